"""An approver decides a task: approve or reject (DOMAIN §4)."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from documents.choices import (
    DecisionAction,
    DocumentStatus,
    LineDecisionAction,
    OutboxEventType,
    ProcessStatus,
    TaskStatus,
)
from documents.models import Decision, Line, LineDecision, Task
from documents.services import outbox
from documents.services.common import (
    HistoryWriter,
    LockedTask,
    comment_clean,
    comment_post,
    document_state_save,
    employee_label,
    task_guard,
    task_lock,
    version_check,
)
from documents.services.processes import process_advance_request, process_close
from documents.transitions import (
    APPROVE,
    REJECT,
    acting_relation,
    ensure_transition,
)
from orgunits.models import Employee

REJECT_COMMENT_REQUIRED = "A comment is required to reject."


def on_behalf_of_for(task: Task, employee: Employee) -> Employee | None:
    """The assignee when `employee` acts as their substitute, else None."""
    relation = acting_relation(task=task, employee=employee)
    return task.assignee if relation == "substitute" else None


def decision_write(
    *,
    locked: LockedTask,
    employee: Employee,
    user: AbstractBaseUser,
    action: DecisionAction,
    comment: str,
    line_actions: Mapping[int, LineDecisionAction] | None = None,
    history: HistoryWriter | None = None,
) -> tuple[Decision, HistoryWriter]:
    """Write the decision, close the task, post the comment, record history.

    In a line-approval step the task's lines get line decisions too: `line_actions`
    when the caller decided lines one by one, else every line of the task not
    decided yet gets the task's verdict. A caller that already wrote history rows for
    the same user action passes its writer, so all rows share one group.
    """
    task, process, document = locked.task, locked.process, locked.document
    on_behalf_of = on_behalf_of_for(task, employee)
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
    if line_actions is None and task.step_run.line_approval and task.line_numbers:
        verdict = (
            LineDecisionAction.APPROVE
            if action == DecisionAction.APPROVE
            else LineDecisionAction.REJECT
        )
        decided = set(
            LineDecision.objects.filter(task=task).values_list("line_number", flat=True)
        )
        line_actions = {
            int(number): verdict
            for number in task.line_numbers
            if int(number) not in decided
        }
    if line_actions:
        line_decisions_write(
            locked=locked,
            employee=employee,
            on_behalf_of=on_behalf_of,
            line_actions=line_actions,
            decision=decision,
        )
    ensure_transition("task", task.status, TaskStatus.COMPLETED)
    task.status = TaskStatus.COMPLETED
    task.closed_at = timezone.now()
    task.version += 1
    task.save(update_fields=["status", "closed_at", "version", "updated_at"])

    if history is None:
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
        comment_post(
            document=document,
            process=process,
            employee=employee,
            user=user,
            text=comment,
            history=history,
        )
    return decision, history


def line_decisions_write(
    *,
    locked: LockedTask,
    employee: Employee,
    on_behalf_of: Employee | None,
    line_actions: Mapping[int, LineDecisionAction],
    decision: Decision | None,
) -> None:
    """One immutable row per decided line of the task."""
    task, document = locked.task, locked.document
    lines = {
        line.line_number: line
        for line in Line.objects.filter(document=document, line_number__in=line_actions)
    }
    now = timezone.now()
    LineDecision.objects.bulk_create(
        LineDecision(
            company_id=document.company_id,
            decision=decision,
            task=task,
            decided_by=employee,
            on_behalf_of=on_behalf_of,
            at=now,
            line=lines.get(number),
            line_number=number,
            action=line_action,
        )
        for number, line_action in sorted(line_actions.items())
    )


def document_reject_now(
    *, locked: LockedTask, employee: Employee, history: HistoryWriter, comment: str
) -> None:
    """After a rejecting decision: the process ends at once, the document is rejected.

    Open tasks are cancelled, later steps skipped, and the outcome written to the
    outbox in the caller's transaction (VISMA_RULES §2 r12).
    """
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
        status_text=f"Rejected by {employee.name}: {comment}",
    )
    document_state_save(document, "status")


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
    text = comment_clean(comment)
    locked = task_lock(task_id)
    # Both checks run after the lock: a parallel click has committed or waits here.
    # The version is not bumped by decisions, so the other approvers of an "all"
    # step keep acting from the same page; this task's own status refuses a repeat.
    version_check(locked.document, expected_version)
    task_guard(locked=locked, employee=employee, user=user, action=APPROVE)
    decision_write(
        locked=locked,
        employee=employee,
        user=user,
        action=DecisionAction.APPROVE,
        comment=text,
    )
    # On commit only: the advance must see this decision, and must not run at all if
    # this transaction rolls back.
    process_advance_request(process_id=locked.process.pk)
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
    text = comment_clean(comment, required_message=REJECT_COMMENT_REQUIRED)
    locked = task_lock(task_id)
    version_check(locked.document, expected_version)
    task_guard(locked=locked, employee=employee, user=user, action=REJECT)
    _, history = decision_write(
        locked=locked,
        employee=employee,
        user=user,
        action=DecisionAction.REJECT,
        comment=text,
    )
    document_reject_now(locked=locked, employee=employee, history=history, comment=text)
    return locked.task
