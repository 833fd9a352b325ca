"""Bulk approve from the task list: each task on its own, only if unchanged since shown.

Every item is one `task_approve` in its own transaction, so a refused item never
leaves part of a decision behind and never holds up the others (DOMAIN §4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError

from core.exceptions import ApplicationError
from documents.models import Task
from documents.services.decisions import task_approve
from orgunits.models import Employee

NO_SUCH_TASK = "No such task."


@dataclass(frozen=True)
class BulkRefusal:
    task_id: int
    message: str
    code: str


@dataclass(frozen=True)
class BulkResult:
    """The task ids approved, and one refusal per item that was not, in input order."""

    approved: tuple[int, ...] = ()
    refused: tuple[BulkRefusal, ...] = field(default_factory=tuple)

    @property
    def messages(self) -> dict[int, str]:
        return {refusal.task_id: refusal.message for refusal in self.refused}


def _actor_for(*, user: AbstractBaseUser, task_id: int) -> Employee | None:
    """The user's own active employee in the task's company (the list spans companies)."""
    company_id = Task.objects.filter(pk=task_id).values_list("company_id", flat=True)
    return (
        Employee.objects.filter(company_id__in=company_id, user=user, active=True)
        .order_by("pk")
        .first()
    )


def tasks_bulk_approve(
    *, user: AbstractBaseUser, items: Sequence[tuple[int, int]]
) -> BulkResult:
    """Approve each (task id, document version shown) pair that is still unchanged.

    No transaction around the whole: each approval commits (and enqueues its advance)
    on its own. A stale version, a task decided or moved on meanwhile, or a task the
    user may not approve is reported for that item with the same message a single
    approval would give; a task the user has nothing to do with reads as missing.
    """
    approved: list[int] = []
    refused: list[BulkRefusal] = []
    for task_id, expected_version in items:
        employee = _actor_for(user=user, task_id=task_id)
        if employee is None:
            # Another company's or a non-existent task: the same answer, no hint.
            refused.append(BulkRefusal(task_id, NO_SUCH_TASK, "not_found"))
            continue
        try:
            task_approve(
                task_id=task_id,
                employee=employee,
                user=user,
                expected_version=expected_version,
            )
        except ApplicationError as error:
            code = str(error.extra.get("code", "refused"))
            refused.append(BulkRefusal(task_id, error.message, code))
        except ValidationError as error:
            refused.append(BulkRefusal(task_id, " ".join(error.messages), "invalid"))
        else:
            approved.append(task_id)
    return BulkResult(approved=tuple(approved), refused=tuple(refused))
