"""Plumbing shared by the document services: locks, versions, history, enqueueing.

Lock order, everywhere: document, then process, then tasks. Two services that lock the
same rows in the same order wait for each other instead of deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from celery import Task as CeleryTask
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import TaskStatus
from documents.models import Comment, Document, HistoryEvent, Process, Task
from documents.transitions import (
    available_actions,
    is_company_admin,
    step_is_settled,
)
from orgunits.models import Employee

#: The actor label of what Signoff does by itself (routing, advancing, automatic steps).
SYSTEM_LABEL = "Signoff"
#: Comments (and decision comments) longer than this are refused as input errors.
COMMENT_MAX_LENGTH = 5000


def document_lock(document_id: int) -> Document:
    """The document row, locked until the transaction ends (always the first lock)."""
    return Document.objects.select_for_update().get(pk=document_id)


def process_lock(process_id: int) -> Process:
    """The process row, locked; call after `document_lock` of its document."""
    return Process.objects.select_for_update().get(pk=process_id)


def open_process_lock(document: Document) -> Process | None:
    """The document's open (running or blocked) process, locked, if there is one."""
    return (
        Process.objects.select_for_update()
        .filter(document=document, status__in=Process.OPEN_STATUSES)
        .first()
    )


def open_tasks_lock(process: Process) -> list[Task]:
    """Every open task of the process, locked in id order (the same order for all)."""
    return list(
        Task.objects.select_for_update()
        .filter(process=process, status__in=Task.OPEN_STATUSES)
        .order_by("pk")
    )


@dataclass(frozen=True)
class LockedTask:
    document: Document
    process: Process
    task: Task


def task_lock(task_id: int) -> LockedTask:
    """Lock the task's document, process and the task itself, in that order."""
    document_id, process_id = Task.objects.values_list("document_id", "process_id").get(
        pk=task_id
    )
    document = document_lock(document_id)
    process = process_lock(process_id)
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("step_run", "assignee")
        .get(pk=task_id)
    )
    # The locked rows are fresh; share them so the guard reads what was locked.
    task.document = document
    task.process = process
    return LockedTask(document=document, process=process, task=task)


#: How a refusal names an action whose code does not read as a verb.
_ACTION_PHRASES = {
    "request_review": "ask for a review of",
    "decide_lines": "decide the lines of",
    "add_attachment": "add attachments to",
}


def task_guard(
    *, locked: LockedTask, employee: Employee, user: AbstractBaseUser, action: str
) -> None:
    """Refuse unless `action` is available now (the same rule the buttons use).

    Call it after `task_lock`: a parallel request has committed or waits by then. The
    two checks before `available_actions` only give the common refusals a precise
    message; `available_actions` would refuse them as well.
    """
    task = locked.task
    if not task.is_open:
        raise InvalidTransition(
            f"This task is already {task.get_status_display().lower()}.",
            {"code": "task_closed", "status": task.status},
        )
    if task.status == TaskStatus.ACTIVE and step_is_settled(task.step_run):
        raise InvalidTransition(
            "This step is already complete.", {"code": "step_complete"}
        )
    if action not in available_actions(task=task, employee=employee, user=user):
        phrase = _ACTION_PHRASES.get(action, action.replace("_", " "))
        raise InvalidTransition(
            f"You cannot {phrase} this task now.",
            {"code": "action_not_available", "action": action},
        )


def comment_clean(comment: str, *, required_message: str = "") -> str:
    """The stripped comment; ValidationError if too long, or empty when required."""
    text = comment.strip()
    if required_message and not text:
        raise ValidationError({"comment": required_message})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"comment": f"A comment can be at most {COMMENT_MAX_LENGTH} characters."}
        )
    return text


def comment_post(
    *,
    document: Document,
    process: Process | None,
    employee: Employee,
    user: AbstractBaseUser,
    text: str,
    history: HistoryWriter,
) -> Comment:
    """Post a cleaned comment that came with a task action, with its history row.

    Public like every comment: everyone on the document and the ERP see it.
    """
    posted = Comment.objects.create(
        company_id=document.company_id,
        document=document,
        process=process,
        author=employee,
        author_user=user,
        author_label=employee_label(employee),
        text=text,
    )
    history.record(
        "documents.comment.add", process=process, data={"comment": posted.pk}
    )
    return posted


def version_check(document: Document, expected_version: int) -> None:
    """Refuse an action taken on a page older than the document's last change.

    "Change" means what an approver saw: content and routing (see `document_save`).
    Decisions and comments leave the version alone, so the approvers of an "all" step
    acting from the same page do not refuse each other; each decision is guarded by
    its own task's status, checked after the lock.
    """
    if document.version != expected_version:
        raise StaleVersion(
            "The document changed since you opened it. Reload it and try again.",
            {
                "code": "stale_version",
                "expected_version": expected_version,
                "current_version": document.version,
            },
        )


def document_save(document: Document, *fields: str) -> None:
    """Save the changed fields and bump the version: what an approver saw changed.

    For changes of the document's content or routing: receive and resubmission,
    routing and re-routing, header and line edits, the attachment list, recalculated
    steps and re-approval. Pages built on the old version are then refused.
    """
    document.version += 1
    document.save(update_fields=[*fields, "version", "updated_at"])


def document_state_save(document: Document, *fields: str) -> None:
    """Save status bookkeeping without a new version (decisions, advance, cancel).

    These changes are guarded by the status of the task, step, process or document,
    all checked after the lock; bumping the version for them would make parallel
    approvers of one step refuse each other (RELIABILITY 14).
    """
    document.save(update_fields=[*fields, "updated_at"])


def enqueue_on_commit(task: CeleryTask, *args: int) -> None:
    """Send a Celery task once the transaction commits, never before.

    robust=True: if the broker is down at that moment, the request that already
    committed must still succeed. The error is logged, and `reconcile_documents`
    re-derives the lost work from the database within a minute or two.
    """

    def send() -> None:
        task.delay(*args)

    # A named function, not a functools.partial: Django's robust on_commit logs a
    # failure with the callback's __qualname__, which a partial lacks.
    send.__qualname__ = f"send {task.name}{args}"
    transaction.on_commit(send, robust=True)


def add_working_days(
    start: date, days: int, holidays: Container[date] = frozenset()
) -> date:
    """`start` plus `days` working days: Monday to Friday, except `holidays`.

    The one working-day rule of the app; `calendar.working_days_add` feeds it the
    company's holidays.
    """
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current


def is_requester(document: Document, employee: Employee) -> bool:
    """The person who asked for the document: never their own approver or reviewer."""
    if document.requester_id is not None and document.requester_id == employee.pk:
        return True
    return bool(document.requester_number) and (
        employee.company_id == document.company_id
        and employee.number == document.requester_number
    )


def employee_label(employee: Employee | None) -> str:
    return "" if employee is None else f"{employee.name} ({employee.number})"


def system_admin_require(*, user: AbstractBaseUser, company_id: int) -> None:
    """Refuse (PermissionDenied) unless the login administers the company.

    Services check it themselves, so a page or API that forgot to never lets an
    approver or a viewer act as an administrator.
    """
    if not is_company_admin(user=user, company_id=company_id):
        raise PermissionDenied(
            "Only a system administrator of the company may do this."
        )


def user_label(user: AbstractBaseUser | None) -> str:
    if user is None:
        return SYSTEM_LABEL
    full_name = getattr(user, "get_full_name", lambda: "")()
    return str(full_name or user.get_username())


class HistoryWriter:
    """Writes the history rows of one service call, all sharing one `group` UUID."""

    def __init__(
        self,
        document: Document,
        *,
        actor_label: str,
        actor_user: AbstractBaseUser | None = None,
        on_behalf_of_label: str = "",
    ) -> None:
        self.document = document
        self.actor_label = actor_label[:200]
        self.actor_user = actor_user
        self.on_behalf_of_label = on_behalf_of_label[:200]
        self.group = uuid.uuid4()
        self.at = timezone.now()

    def record(
        self,
        action: str,
        *,
        process: Process | None = None,
        data: Mapping[str, Any] | None = None,
        actor_label: str | None = None,
        on_behalf_of_label: str | None = None,
    ) -> HistoryEvent:
        return HistoryEvent.objects.create(
            **self._fields(action, process, data, actor_label, on_behalf_of_label)
        )

    def record_many(
        self,
        action: str,
        *,
        process: Process | None,
        items: Iterable[Mapping[str, Any]],
    ) -> None:
        """One row per item (e.g. per task), written in a single INSERT."""
        HistoryEvent.objects.bulk_create(
            HistoryEvent(**self._fields(action, process, data, None, None))
            for data in items
        )

    def _fields(
        self,
        action: str,
        process: Process | None,
        data: Mapping[str, Any] | None,
        actor_label: str | None,
        on_behalf_of_label: str | None,
    ) -> dict[str, Any]:
        return {
            "company_id": self.document.company_id,
            "document": self.document,
            "process": process,
            "action": action,
            "actor_user": self.actor_user,
            "actor_label": (actor_label or self.actor_label)[:200],
            "on_behalf_of_label": (
                self.on_behalf_of_label
                if on_behalf_of_label is None
                else on_behalf_of_label[:200]
            ),
            "data": dict(data or {}),
            "at": self.at,
            "group": self.group,
        }
