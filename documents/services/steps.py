"""Steps of a running process: is the active one complete, start the next one.

Every function here expects the caller to hold the locks of the document and the
process, and to lock tasks after them, inside one transaction;
`documents.services.processes.process_advance` is that caller.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from django.utils import timezone

from documents.choices import (
    APPROVING_ACTIONS,
    DecisionAction,
    StepRunStatus,
    TaskStatus,
)
from documents.models import (
    Decision,
    Document,
    Process,
    StepRun,
    Task,
)
from documents.notifications.enqueue import new_task_notify_on_commit
from documents.services.calendar import working_days_add
from documents.services.common import (
    HistoryWriter,
    employee_label,
)
from documents.transitions import ensure_transition
from orgunits.models import Membership


class Activation(StrEnum):
    """What activating a step led to."""

    WAITING = "waiting"  # people have tasks now
    DONE = "done"  # completed or skipped without anyone: go on to the next step
    BLOCKED = "blocked"  # the process cannot go on without an administrator


def step_complete(
    *, step_run: StepRun, process: Process, history: HistoryWriter, reason: str = ""
) -> None:
    """Mark the step completed and close the tasks in it that nobody needs any more."""
    ensure_transition("step", step_run.status, StepRunStatus.COMPLETED)
    step_run.status = StepRunStatus.COMPLETED
    step_run.completed_at = timezone.now()
    if reason:
        step_run.reasons = [*step_run.reasons, reason]
    step_run.save(update_fields=["status", "completed_at", "reasons", "updated_at"])
    history.record(
        "documents.step.complete",
        process=process,
        data={"step": step_run.position, "name": step_run.name, "reason": reason},
    )
    leftovers = list(
        Task.objects.filter(step_run=step_run, status__in=Task.OPEN_STATUSES)
    )
    tasks_cancel(
        tasks=leftovers,
        process=process,
        history=history,
        reason=f'step "{step_run.name}" is complete',
    )


def tasks_cancel(
    *,
    tasks: list[Task],
    process: Process,
    history: HistoryWriter,
    reason: str,
) -> None:
    """Cancel open tasks (already locked by the caller) with one history row each."""
    now = timezone.now()
    for task in tasks:
        ensure_transition("task", task.status, TaskStatus.CANCELLED)
        task.status = TaskStatus.CANCELLED
        task.closed_reason = reason[:300]
        task.closed_at = now
        task.version += 1
        # bulk_update skips auto_now, so the timestamp is set by hand.
        task.updated_at = now
    Task.objects.bulk_update(
        tasks, ["status", "closed_reason", "closed_at", "version", "updated_at"]
    )
    history.record_many(
        "documents.task.cancel",
        process=process,
        items=(
            {"task": t.pk, "assignee": t.assignee_id, "reason": reason} for t in tasks
        ),
    )


def step_activate(
    *,
    step_run: StepRun,
    process: Process,
    document: Document,
    history: HistoryWriter,
    today: date,
) -> Activation:
    """Start one planned step: give its people their tasks, or settle it at once.

    Settled without anyone: an automatic approval (a decision on behalf of the named
    person, no task, no e-mail), a 4-eyes step that is not needed, and — with the
    workflow option — a step whose approvers all approved an earlier step.
    """
    if step_run.is_four_eyes and not _four_eyes_needed(
        step_run=step_run, process=process, history=history
    ):
        return Activation.DONE
    if step_run.auto_approve_as_id is not None:
        _auto_approve(step_run=step_run, process=process, history=history)
        return Activation.DONE

    planned = list(
        Task.objects.filter(step_run=step_run, status=TaskStatus.PLANNED)
        .select_related("assignee")
        .order_by("pk")
    )
    if not planned:
        # Only the 4-eyes exclusion can empty a routed step; an administrator must
        # reassign, so the process stops here rather than skipping the step.
        return Activation.BLOCKED
    if not step_run.is_four_eyes and _already_approved(
        process=process, step_run=step_run, tasks=planned
    ):
        step_complete(
            step_run=step_run,
            process=process,
            history=history,
            reason="every approver of this step already approved an earlier step",
        )
        return Activation.DONE

    ensure_transition("step", step_run.status, StepRunStatus.ACTIVE)
    now = timezone.now()
    step_run.status = StepRunStatus.ACTIVE
    step_run.activated_at = now
    step_run.save(update_fields=["status", "activated_at", "updated_at"])
    history.record(
        "documents.step.activate",
        process=process,
        data={"step": step_run.position, "name": step_run.name},
    )
    _tasks_activate(
        tasks=planned,
        step_run=step_run,
        process=process,
        document=document,
        history=history,
        today=today,
    )
    return Activation.WAITING


def _tasks_activate(
    *,
    tasks: list[Task],
    step_run: StepRun,
    process: Process,
    document: Document,
    history: HistoryWriter,
    today: date,
) -> None:
    """Planned → active with a due date, or → blocked when the person cannot decide."""
    user_ids = {t.assignee.user_id for t in tasks if t.assignee.user_id}
    rights = {
        m.user_id: m.may_approve(document.document_type)
        for m in Membership.objects.filter(
            company_id=document.company_id, user_id__in=user_ids
        )
    }
    # Working days per approver (company calendar): each gets the full allowance
    # from activation. One holiday query for the whole step.
    due = working_days_add(
        company_id=document.company_id, start=today, days=step_run.days_to_complete
    )
    now = timezone.now()
    activated, blocked = [], []
    for task in tasks:
        reason = _block_reason(task, rights)
        target = TaskStatus.BLOCKED if reason else TaskStatus.ACTIVE
        ensure_transition("task", task.status, target)
        task.status = target
        task.blocked_reason = reason
        task.activated_at = now
        task.due_date = due
        task.version += 1
        task.updated_at = now
        (blocked if reason else activated).append(task)
    Task.objects.bulk_update(
        tasks,
        [
            "status",
            "blocked_reason",
            "activated_at",
            "due_date",
            "version",
            "updated_at",
        ],
    )
    history.record_many(
        "documents.task.activate",
        process=process,
        items=(
            {
                "task": t.pk,
                "assignee": employee_label(t.assignee),
                "due_date": t.due_date,
            }
            for t in activated
        ),
    )
    history.record_many(
        "documents.task.block",
        process=process,
        items=(
            {
                "task": t.pk,
                "assignee": employee_label(t.assignee),
                "reason": t.blocked_reason,
            }
            for t in blocked
        ),
    )
    new_task_notify_on_commit(task_ids=[t.pk for t in activated])


def _block_reason(task: Task, rights: dict[int, bool]) -> str:
    """Why the assignee cannot act (a blocked task, VISMA_RULES §2 r1), or ""."""
    person = task.assignee
    if not person.active:
        return f"{person.name} is inactive."
    if person.user_id is None:
        return f"{person.name} has no login."
    if not rights.get(person.user_id, False):
        return f"{person.name} lacks the approver right for this document type."
    return ""


def _four_eyes_needed(
    *, step_run: StepRun, process: Process, history: HistoryWriter
) -> bool:
    """Skip the 4-eyes step unless one single person approved everything.

    When it is needed, that person's task in it is cancelled: one of the others must
    complete it. Counts the person who acted: a substitute approving for someone is
    that substitute; an automatic approval counts as the person it acts for.
    """
    approvers = {
        d.approver_id
        for d in Decision.objects.filter(
            process=process,
            action__in=APPROVING_ACTIONS,
            step_run__status=StepRunStatus.COMPLETED,
        )
        if d.approver_id is not None
    }
    if len(approvers) > 1:
        ensure_transition("step", step_run.status, StepRunStatus.SKIPPED)
        step_run.status = StepRunStatus.SKIPPED
        step_run.reasons = [
            *step_run.reasons,
            f"{len(approvers)} different people approved; 4-eyes approval is not needed",
        ]
        step_run.save(update_fields=["status", "reasons", "updated_at"])
        history.record(
            "documents.step.skip",
            process=process,
            data={"step": step_run.position, "name": step_run.name},
        )
        tasks_cancel(
            tasks=list(
                Task.objects.filter(step_run=step_run, status__in=Task.OPEN_STATUSES)
            ),
            process=process,
            history=history,
            reason="4-eyes approval is not needed",
        )
        return False
    # Nobody approved at all (only possible if every earlier step settled itself):
    # the safe side is to ask the 4-eyes people rather than approve unseen.
    if approvers:
        tasks_cancel(
            tasks=list(
                Task.objects.filter(
                    step_run=step_run,
                    status__in=Task.OPEN_STATUSES,
                    assignee_id__in=approvers,
                )
            ),
            process=process,
            history=history,
            reason="approved every step alone; 4-eyes approval needs someone else",
        )
    return True


def _auto_approve(
    *, step_run: StepRun, process: Process, history: HistoryWriter
) -> None:
    """The workflow approves on the named person's behalf: a decision, no task."""
    person = step_run.auto_approve_as
    Decision.objects.create(
        company_id=process.company_id,
        task=None,
        step_run=step_run,
        process=process,
        action=DecisionAction.AUTO_APPROVE,
        decided_by=None,
        on_behalf_of=person,
    )
    history.record(
        "documents.step.auto_approve",
        process=process,
        data={"step": step_run.position, "name": step_run.name},
        on_behalf_of_label=employee_label(person),
    )
    ensure_transition("step", step_run.status, StepRunStatus.COMPLETED)
    step_run.status = StepRunStatus.COMPLETED
    step_run.activated_at = step_run.completed_at = timezone.now()
    step_run.save(
        update_fields=["status", "activated_at", "completed_at", "updated_at"]
    )
    history.record(
        "documents.step.complete",
        process=process,
        data={"step": step_run.position, "name": step_run.name},
    )


def _already_approved(
    *, process: Process, step_run: StepRun, tasks: list[Task]
) -> bool:
    """The workflow option: all of the step's approvers approved an earlier step.

    Earlier by position: a step sent back for re-approval must not count its own
    previous round, or the re-approval would settle itself.
    """
    plan_workflow = (process.plan or {}).get("workflow") or {}
    if not plan_workflow.get("skip_when_already_approved"):
        return False
    earlier: set[int] = set()
    for decided_by, on_behalf_of in Decision.objects.filter(
        process=process,
        action__in=APPROVING_ACTIONS,
        step_run__position__lt=step_run.position,
    ).values_list("decided_by_id", "on_behalf_of_id"):
        earlier.update(i for i in (decided_by, on_behalf_of) if i is not None)
    return {t.assignee_id for t in tasks} <= earlier
