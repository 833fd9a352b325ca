"""Process progression: the one routine that decides what comes next (STYLE §3).

`process_advance` completes the active step when its policy is met, activates the next
step, or finishes the process; routing, approvals and the reconciler all end up here.
The helpers below it expect the caller to hold the document and process locks.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from documents.choices import (
    APPROVING_ACTIONS,
    DocumentStatus,
    OutboxEventType,
    ProcessStatus,
    StepRunStatus,
)
from documents.models import Decision, Document, Process, StepRun
from documents.services import outbox
from documents.services.common import (
    SYSTEM_LABEL,
    HistoryWriter,
    document_lock,
    document_state_save,
    enqueue_on_commit,
    open_tasks_lock,
    process_lock,
)
from documents.services.steps import (
    Activation,
    step_activate,
    step_complete,
    tasks_cancel,
)
from documents.step_state import step_evaluate
from documents.tasks import advance_process as advance_process_task
from documents.transitions import ensure_transition


@transaction.atomic
def process_advance(*, process_id: int, today: date | None = None) -> Process:
    """Move a running process on if its active step is complete; idempotent.

    Completes the active step (cancelling its other open tasks), then activates the
    next step, or approves the document when none is left. Does nothing when the step
    still waits or the process is no longer running, so a duplicate or late Celery
    delivery is harmless.
    """
    document_id = Process.objects.values_list("document_id", flat=True).get(
        pk=process_id
    )
    # Lock order document → process → tasks, as every writer does.
    document = document_lock(document_id)
    process = process_lock(process_id)
    if process.advance_due_at is not None:
        # This run sees every decision committed before it (the document lock orders
        # it after them), so whatever it decides answers the mark.
        Process.objects.filter(pk=process.pk).update(advance_due_at=None)
        process.advance_due_at = None
    # The guard is after the lock: a concurrent advance or cancel has finished by now.
    if process.status != ProcessStatus.RUNNING:
        return process
    open_tasks_lock(process)
    history = HistoryWriter(document, actor_label=SYSTEM_LABEL)
    active = (
        StepRun.objects.filter(process=process, status=StepRunStatus.ACTIVE)
        .order_by("position")
        .first()
    )
    if active is not None:
        if not step_evaluate(active).complete:
            return process
        step_complete(step_run=active, process=process, history=history)
    process_continue(
        process=process,
        document=document,
        history=history,
        today=today or timezone.localdate(),
    )
    # Background progress is not a change the approvers saw: no new version. A
    # decision on a step that moved on is refused by its task's status instead.
    document_state_save(document, "status", "blocked_reason")
    return process


def process_advance_request(*, process_id: int) -> None:
    """Ask for `process_advance` after this transaction commits, durably.

    The mark is written in the caller's transaction (the first mark stays, so the
    reconciler's grace counts from the oldest unanswered request); the message is
    sent on commit. If the message is lost, `process_ids_awaiting_advance` finds the
    mark once its grace is over.
    """
    Process.objects.filter(pk=process_id, advance_due_at__isnull=True).update(
        advance_due_at=timezone.now()
    )
    enqueue_on_commit(advance_process_task, process_id)


def process_continue(
    *, process: Process, document: Document, history: HistoryWriter, today: date
) -> None:
    """Activate planned steps in order until one waits for people, or finish."""
    for step_run in StepRun.objects.filter(
        process=process, status=StepRunStatus.PLANNED
    ).order_by("position"):
        outcome = step_activate(
            step_run=step_run,
            process=process,
            document=document,
            history=history,
            today=today,
        )
        if outcome == Activation.BLOCKED:
            process_block(
                process=process,
                document=document,
                history=history,
                reason=(
                    f'Step {step_run.position} "{step_run.name}" has no approver '
                    "left; reassign it."
                ),
            )
            return
        if outcome == Activation.WAITING:
            return
    process_approve(process=process, document=document, history=history)


def process_block(
    *, process: Process, document: Document, history: HistoryWriter, reason: str
) -> None:
    """The process cannot go on without an administrator: process and document blocked."""
    ensure_transition("process", process.status, ProcessStatus.BLOCKED)
    process.status = ProcessStatus.BLOCKED
    process.blocked_reason = reason
    process.save(update_fields=["status", "blocked_reason", "updated_at"])
    history.record("documents.process.block", process=process, data={"reason": reason})
    ensure_transition("document", document.status, DocumentStatus.BLOCKED)
    document.status = DocumentStatus.BLOCKED
    document.blocked_reason = reason
    history.record(
        "documents.document.block", process=process, data={"reasons": [reason]}
    )


def process_approve(
    *, process: Process, document: Document, history: HistoryWriter
) -> None:
    """Every step is settled: process and document approved, outcome in the outbox."""
    ensure_transition("process", process.status, ProcessStatus.APPROVED)
    ensure_transition("document", document.status, DocumentStatus.APPROVED)
    process.status = ProcessStatus.APPROVED
    process.finished_at = timezone.now()
    process.save(update_fields=["status", "finished_at", "updated_at"])
    history.record("documents.process.approve", process=process)
    document.status = DocumentStatus.APPROVED
    document.blocked_reason = ""
    history.record("documents.document.approve", process=process)
    # Same transaction as the status change: both commit or neither does (INV-2).
    outbox.outbox_event_add(
        document=document,
        process=process,
        event_type=OutboxEventType.APPROVED,
        status_text=_approved_text(process),
    )


def _approved_text(process: Process) -> str:
    last = (
        Decision.objects.filter(process=process, action__in=APPROVING_ACTIONS)
        .select_related("decided_by", "on_behalf_of")
        .order_by("-at", "-pk")
        .first()
    )
    person = None if last is None else (last.decided_by or last.on_behalf_of)
    return f"Approved by {person.name}" if person else "Approved"


def process_close(
    *,
    process: Process,
    status: ProcessStatus,
    history: HistoryWriter,
    reason: str,
) -> None:
    """End the process now (reject, cancel): open tasks cancelled, steps closed.

    Steps that had not started are skipped after a rejection (VISMA_RULES §2 r12) and
    cancelled after a cancellation; the active one follows the process.
    """
    ensure_transition("process", process.status, status)
    tasks_cancel(
        tasks=open_tasks_lock(process), process=process, history=history, reason=reason
    )
    rejected = status == ProcessStatus.REJECTED
    for step_run in StepRun.objects.filter(
        process=process, status__in=[StepRunStatus.PLANNED, StepRunStatus.ACTIVE]
    ):
        if step_run.status == StepRunStatus.ACTIVE:
            target = StepRunStatus.REJECTED if rejected else StepRunStatus.CANCELLED
        else:
            target = StepRunStatus.SKIPPED if rejected else StepRunStatus.CANCELLED
        ensure_transition("step", step_run.status, target)
        step_run.status = target
        step_run.completed_at = timezone.now()
        step_run.reasons = [*step_run.reasons, reason]
        step_run.save(update_fields=["status", "completed_at", "reasons", "updated_at"])
        history.record(
            f"documents.step.{_verb(target)}",
            process=process,
            data={"step": step_run.position, "name": step_run.name, "reason": reason},
        )
    process.status = status
    process.finished_at = timezone.now()
    process.save(update_fields=["status", "finished_at", "updated_at"])
    history.record(f"documents.process.{_verb(status)}", process=process)


def _verb(status: str) -> str:
    return {
        "rejected": "reject",
        "cancelled": "cancel",
        "approved": "approve",
        "skipped": "skip",
    }[status]
