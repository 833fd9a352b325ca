"""An approver decides a task: approve or reject (DOMAIN §4)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidTransition
from documents.choices import (
    DecisionAction,
    DocumentStatus,
    LineDecisionAction,
    OutboxEventType,
    ProcessStatus,
    TaskStatus,
)
from documents.models import (
    Comment,
    Decision,
    Document,
    Line,
    LineDecision,
    Process,
    Task,
)
from documents.services import outbox
from documents.services.common import (
    COMMENT_MAX_LENGTH,
    HistoryWriter,
    document_lock,
    document_save,
    employee_label,
    enqueue_on_commit,
    process_lock,
    version_check,
)
from documents.services.processes import process_close
from documents.tasks import advance_process as advance_process_task
from documents.transitions import (
    APPROVE,
    REJECT,
    acting_relation,
    available_actions,
    ensure_transition,
    step_is_settled,
)
from orgunits.models import Employee


@dataclass(frozen=True)
class _Locked:
    document: Document
    process: Process
    task: Task


def _lock_for_task(task_id: int) -> _Locked:
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
    return _Locked(document=document, process=process, task=task)


def _guard(
    *, locked: _Locked, employee: Employee, user: AbstractBaseUser, action: str
) -> None:
    """Refuse unless `action` is available now (the same rule the buttons use).

    The two checks before `available_actions` only give the common refusals a precise
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
        raise InvalidTransition(
            f"You cannot {action} this task now.",
            {"code": "action_not_available", "action": action},
        )


def _clean_comment(comment: str, *, required: bool) -> str:
    text = comment.strip()
    if required and not text:
        raise ValidationError({"comment": "A comment is required to reject."})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"comment": f"A comment can be at most {COMMENT_MAX_LENGTH} characters."}
        )
    return text


def _decide(
    *,
    locked: _Locked,
    employee: Employee,
    user: AbstractBaseUser,
    action: DecisionAction,
    comment: str,
) -> tuple[Decision, HistoryWriter]:
    """Write the decision, close the task, post the comment, record history."""
    task, process, document = locked.task, locked.process, locked.document
    relation = acting_relation(task=task, employee=employee)
    on_behalf_of = task.assignee if relation == "substitute" else None
    decision = Decision.objects.create(
        company_id=document.company_id,
        task=task,
        step_run=task.step_run,
        process=process,
        action=action,
        decided_by=employee,
        on_behalf_of=on_behalf_of,
        by_user=user,
        comment=comment,
    )
    if task.step_run.line_approval and task.line_numbers:
        lines = {
            line.line_number: line
            for line in Line.objects.filter(
                document=document, line_number__in=task.line_numbers
            )
        }
        LineDecision.objects.bulk_create(
            LineDecision(
                company_id=document.company_id,
                decision=decision,
                line=lines.get(int(number)),
                line_number=int(number),
                action=(
                    LineDecisionAction.APPROVE
                    if action == DecisionAction.APPROVE
                    else LineDecisionAction.REJECT
                ),
            )
            for number in task.line_numbers
        )
    ensure_transition("task", task.status, TaskStatus.COMPLETED)
    task.status = TaskStatus.COMPLETED
    task.closed_at = timezone.now()
    task.version += 1
    task.save(update_fields=["status", "closed_at", "version", "updated_at"])

    history = HistoryWriter(
        document,
        actor_label=employee_label(employee),
        actor_user=user,
        on_behalf_of_label=employee_label(on_behalf_of),
    )
    history.record(
        f"documents.task.{action}",
        process=process,
        data={
            "task": task.pk,
            "decision": decision.pk,
            "step": task.step_run.position,
            "comment": comment,
        },
    )
    if comment:
        # A decision's comment is public like any other (it goes back to the ERP).
        posted = Comment.objects.create(
            company_id=document.company_id,
            document=document,
            process=process,
            author=employee,
            author_user=user,
            author_label=employee_label(employee),
            text=comment,
        )
        history.record(
            "documents.comment.add", process=process, data={"comment": posted.pk}
        )
    return decision, history


@transaction.atomic
def task_approve(
    *,
    task_id: int,
    employee: Employee,
    user: AbstractBaseUser,
    expected_version: int,
    comment: str = "",
) -> Task:
    """Approve a task; the process advances asynchronously (`advance_process`).

    Raises StaleVersion if the document changed since the page was shown, and
    InvalidTransition if the task is closed, the step already complete or the person
    may not approve it.
    """
    text = _clean_comment(comment, required=False)
    locked = _lock_for_task(task_id)
    # Both checks run after the lock: a parallel click has committed or waits here.
    version_check(locked.document, expected_version)
    _guard(locked=locked, employee=employee, user=user, action=APPROVE)
    _decide(
        locked=locked,
        employee=employee,
        user=user,
        action=DecisionAction.APPROVE,
        comment=text,
    )
    document_save(locked.document)
    # On commit only: the advance must see this decision, and must not run at all if
    # this transaction rolls back.
    enqueue_on_commit(advance_process_task, locked.process.pk)
    return locked.task


@transaction.atomic
def task_reject(
    *,
    task_id: int,
    employee: Employee,
    user: AbstractBaseUser,
    expected_version: int,
    comment: str,
) -> Task:
    """Reject a task: the process ends at once and the document is rejected.

    All open tasks are cancelled, later steps skipped, and the outcome written to the
    outbox in the same transaction. Raises ValidationError without a comment,
    StaleVersion and InvalidTransition as `task_approve` does.
    """
    text = _clean_comment(comment, required=True)
    locked = _lock_for_task(task_id)
    version_check(locked.document, expected_version)
    _guard(locked=locked, employee=employee, user=user, action=REJECT)
    _, history = _decide(
        locked=locked,
        employee=employee,
        user=user,
        action=DecisionAction.REJECT,
        comment=text,
    )
    document, process = locked.document, locked.process
    process_close(
        process=process,
        status=ProcessStatus.REJECTED,
        history=history,
        reason=f"rejected by {employee.name}",
    )
    ensure_transition("document", document.status, DocumentStatus.REJECTED)
    document.status = DocumentStatus.REJECTED
    history.record("documents.document.reject", process=process)
    # Same transaction as the rejection: both commit or neither does (INV-2).
    outbox.outbox_event_add(
        document=document,
        process=process,
        event_type=OutboxEventType.REJECTED,
        status_text=f"Rejected by {employee.name}: {text}",
    )
    document_save(document, "status")
    return locked.task
