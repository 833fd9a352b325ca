"""Forward: an approver hands their task, and the decision, to another approver.

The forwarded task is closed and the recipient gets a new active task in the same step
(VISMA_RULES §1.7, §2 r13): they decide, not the one who forwarded.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from documents.choices import TaskKind, TaskOrigin, TaskStatus
from documents.models import Task
from documents.notifications.enqueue import new_task_notify_on_commit
from documents.services.calendar import working_days_add
from documents.services.common import (
    HistoryWriter,
    LockedTask,
    comment_clean,
    comment_post,
    employee_label,
    is_requester,
    task_guard,
    task_lock,
    version_check,
)
from documents.services.decisions import on_behalf_of_for
from documents.transitions import FORWARD, ensure_transition
from orgunits.models import DocumentType, Employee
from orgunits.selectors import approver_list

#: `Task.rule` of a forwarded task ("why this person").
RULE_FORWARD = "forward"


def _recipient_check(*, locked: LockedTask, to_employee: Employee) -> None:
    """Refuse a recipient who may not take over the decision (read under the lock)."""
    document, task = locked.document, locked.task
    if not to_employee.active:
        raise ValidationError({"to_employee": f"{to_employee.name} is inactive."})
    type_label = str(DocumentType(document.document_type).label).lower()
    may_approve = (
        approver_list(company=document.company, document_type=document.document_type)
        .filter(pk=to_employee.pk)
        .exists()
    )
    if not may_approve:
        raise ValidationError(
            {
                "to_employee": (
                    f"{to_employee.name} does not hold the approver right for "
                    f"{type_label}s."
                )
            }
        )
    if is_requester(document, to_employee):
        raise ValidationError(
            {"to_employee": "The requester cannot approve their own document."}
        )
    # Open or already approved in this round: one person, one vote per step.
    has_task = (
        Task.objects.filter(
            step_run=task.step_run,
            assignee=to_employee,
            kind=TaskKind.APPROVAL,
            round=task.round,
        )
        .exclude(status=TaskStatus.CANCELLED)
        .exists()
    )
    if has_task:
        raise ValidationError(
            {"to_employee": f"{to_employee.name} already has a task in this step."}
        )


@transaction.atomic
def task_forward(
    *,
    task_id: int,
    employee: Employee,
    user: AbstractBaseUser,
    expected_version: int,
    to_employee: Employee,
    comment: str = "",
) -> Task:
    """Close the task as "forwarded" and give `to_employee` a new active one; returns it.

    The new task keeps the lines and gets a fresh allowance of working days; in a
    line-approval step the recipient decides every line again, since the lines
    approved on the forwarded task leave with it (a cancelled task counts for
    nothing). Raises
    StaleVersion for an outdated page, InvalidTransition when the task cannot be
    forwarded now, and ValidationError for an inactive recipient, one without the
    approver right for the document type, the requester, someone with a task in this
    step already, or a too long comment.
    """
    text = comment_clean(comment)
    locked = task_lock(task_id)
    # Guard and recipient checks after the lock: a parallel approve of the same task
    # has committed by now, and this sees it (the loser gets InvalidTransition).
    version_check(locked.document, expected_version)
    task_guard(locked=locked, employee=employee, user=user, action=FORWARD)
    _recipient_check(locked=locked, to_employee=to_employee)

    task, document, process = locked.task, locked.document, locked.process
    step_run = task.step_run
    on_behalf_of = on_behalf_of_for(task, employee)
    now = timezone.now()
    ensure_transition("task", task.status, TaskStatus.CANCELLED)
    task.status = TaskStatus.CANCELLED
    task.closed_reason = "forwarded"
    task.closed_at = now
    task.version += 1
    task.save(
        update_fields=["status", "closed_reason", "closed_at", "version", "updated_at"]
    )
    actor = employee_label(employee)
    forwarded = Task.objects.create(
        company_id=document.company_id,
        step_run=step_run,
        process=process,
        document=document,
        assignee=to_employee,
        status=TaskStatus.ACTIVE,
        origin=TaskOrigin.FORWARD,
        kind=TaskKind.APPROVAL,
        forwarded_from=task,
        round=task.round,
        reapproval_reason=task.reapproval_reason,
        # Each approver gets the full allowance (company working days) from the
        # moment they get the task, as at activation.
        due_date=working_days_add(
            company_id=document.company_id,
            start=timezone.localdate(),
            days=step_run.days_to_complete,
        ),
        line_numbers=list(task.line_numbers),
        rule=RULE_FORWARD,
        source=f"forwarded by {actor}"[:300],
        activated_at=now,
    )

    history = HistoryWriter(
        document,
        actor_label=actor,
        actor_user=user,
        on_behalf_of_label=employee_label(on_behalf_of),
    )
    history.record(
        "documents.task.forward",
        process=process,
        data={
            "task": task.pk,
            "to_task": forwarded.pk,
            "step": step_run.position,
            "from": employee_label(task.assignee),
            "to": employee_label(to_employee),
            "comment": text,
        },
    )
    history.record(
        "documents.task.create",
        process=process,
        data={
            "task": forwarded.pk,
            "step": step_run.position,
            "assignee": employee_label(to_employee),
            "rule": forwarded.rule,
            "source": forwarded.source,
            "forwarded_from": task.pk,
            "due_date": forwarded.due_date,
        },
    )
    if text:
        # The recipient (and the ERP) see why the task came to them.
        comment_post(
            document=document,
            process=process,
            employee=employee,
            user=user,
            text=text,
            history=history,
        )
    new_task_notify_on_commit(task_ids=[forwarded.pk])
    return forwarded
