"""What a system administrator does to documents and tasks (DOMAIN §7, VISMA_RULES §1.12).

Reassign tasks; approve, reject or resend blocked documents ("cancel directly" is
`document_cancel(by_admin_user=...)`); and the upkeep that keeps blocked tasks honest:
a task whose assignee can no longer decide is blocked, and unblocked once they can.

Every service checks the administrator right itself and guards with the maps and
availability rules of `documents.transitions`, so what the admin pages offer is what
the services accept. Locks follow the app's order: documents (by id), then processes,
then tasks (by id).
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from core.exceptions import ApplicationError, InvalidTransition
from documents.choices import (
    DecisionAction,
    DocumentStatus,
    OutboxEventType,
    ProcessStatus,
    StepRunStatus,
    TaskKind,
    TaskOrigin,
    TaskStatus,
)
from documents.models import Comment, Decision, Document, StepRun, Task
from documents.notifications.enqueue import new_task_notify_on_commit
from documents.services import outbox
from documents.services.calendar import working_days_add
from documents.services.common import (
    SYSTEM_LABEL,
    HistoryWriter,
    comment_clean,
    document_lock,
    document_state_save,
    employee_label,
    is_requester,
    open_process_lock,
    process_lock,
    system_admin_require,
    user_label,
)
from documents.services.processes import process_close
from documents.services.routing import (
    document_retry_blocked,
    plan_as_json,
    routing_facts_for,
)
from documents.services.steps import tasks_cancel
from documents.transitions import (
    REASSIGNABLE_TASK_STATUSES,
    blocked_during_approval,
    ensure_transition,
    may_approve_type,
    step_is_settled,
)
from orgunits.models import DocumentType, Employee, Membership
from workflows.engine import Plan, plan_for_version
from workflows.models import WorkflowVersion
from workflows.selectors import active_version_get

#: `Task.closed_reason` of a task handed to someone else by an administrator.
REASSIGNED = "reassigned"
#: The name of the step a direct administrator decision is recorded on.
DIRECT_DECISION_STEP_NAME = "Decided directly by an administrator"


# --- reassign -------------------------------------------------------------------------


@transaction.atomic
def tasks_reassign(
    *,
    task_ids: Sequence[int],
    to_employee: Employee,
    admin_user: AbstractBaseUser,
    comment: str,
    today: date | None = None,
) -> list[Task]:
    """Hand active, overdue or blocked tasks to another approver; all or nothing.

    Each old task is cancelled (closed reason "reassigned") and a new active task for
    `to_employee` takes its place in the same step, with a full allowance of working
    days. Returns the new tasks in the order of the old ones' ids. Raises
    ValidationError (no comment, no task, an assignee who cannot take it),
    PermissionDenied (not an administrator), InvalidTransition (a task that is not
    active, overdue or blocked, or whose step is already complete) and
    Task.DoesNotExist for an unknown id.
    """
    text = comment_clean(comment, required_message="A comment is required to reassign.")
    ids = sorted(set(task_ids))
    if not ids:
        raise ValidationError({"task_ids": "Choose at least one task to reassign."})
    rows = list(
        Task.objects.filter(pk__in=ids).values_list(
            "pk", "company_id", "document_id", "process_id"
        )
    )
    missing = sorted(set(ids) - {row[0] for row in rows})
    if missing:
        raise Task.DoesNotExist(f"No task {missing[0]}.")
    for company_id in sorted({row[1] for row in rows}):
        system_admin_require(user=admin_user, company_id=company_id)
    if any(row[1] != to_employee.company_id for row in rows):
        raise ValidationError(
            {"to_employee": "The new approver must work in the tasks' company."}
        )

    # Documents in id order, then their processes, then the tasks in id order: two
    # reassigns of overlapping tasks queue on the first shared document instead of
    # each holding what the other needs.
    documents = {
        document_id: document_lock(document_id)
        for document_id in sorted({row[2] for row in rows})
    }
    processes = {
        process_id: process_lock(process_id)
        for process_id in sorted({row[3] for row in rows})
    }
    tasks = list(
        Task.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("step_run", "assignee")
        .order_by("pk")
    )
    rights = _approver_rights(to_employee)
    steps_taken: set[int] = set()
    for task in tasks:
        task.document = documents[task.document_id]
        task.process = processes[task.process_id]
        _reassign_guard(task=task, to_employee=to_employee, rights=rights)
        if task.step_run_id in steps_taken:
            raise ValidationError(
                {
                    "task_ids": "Two of the tasks are in the same step; one person "
                    "can take only one of them."
                }
            )
        steps_taken.add(task.step_run_id)

    group = uuid.uuid4()
    now = timezone.now()
    today = today or timezone.localdate()
    created: list[Task] = []
    for task in tasks:
        document = documents[task.document_id]
        history = HistoryWriter(
            document, actor_label=user_label(admin_user), actor_user=admin_user
        )
        # One reassignment of several tasks reads as one action in every history.
        history.group = group
        tasks_cancel(
            tasks=[task], process=task.process, history=history, reason=REASSIGNED
        )
        new_task = Task.objects.create(
            company_id=task.company_id,
            step_run=task.step_run,
            process=task.process,
            document=document,
            assignee=to_employee,
            status=TaskStatus.ACTIVE,
            origin=TaskOrigin.REASSIGN,
            kind=TaskKind.APPROVAL,
            reassigned_from=task,
            round=task.round,
            reapproval_reason=task.reapproval_reason,
            line_numbers=list(task.line_numbers or []),
            rule=task.rule,
            source=(
                f"reassigned from {employee_label(task.assignee)} by "
                f"{history.actor_label}"
            )[:300],
            activated_at=now,
            # Each approver gets the full allowance (VISMA_RULES §2 r15), counted
            # from the day they got the task.
            due_date=working_days_add(
                company_id=task.company_id,
                start=today,
                days=task.step_run.days_to_complete,
            ),
        )
        history.record(
            "documents.task.reassign",
            process=task.process,
            data={
                "task": new_task.pk,
                "reassigned_from": task.pk,
                "step": task.step_run.position,
                "from": employee_label(task.assignee),
                "to": employee_label(to_employee),
                "due_date": new_task.due_date,
                "comment": text,
            },
        )
        created.append(new_task)
    new_task_notify_on_commit(task_ids=[t.pk for t in created])
    return created


def _approver_rights(employee: Employee) -> Membership | None:
    if employee.user_id is None:
        return None
    return Membership.objects.filter(
        company_id=employee.company_id, user_id=employee.user_id
    ).first()


def _reassign_guard(
    *, task: Task, to_employee: Employee, rights: Membership | None
) -> None:
    """Refuse a task that cannot move, or a person who cannot take it (after the lock)."""
    document = task.document
    if task.kind != TaskKind.APPROVAL or task.status not in REASSIGNABLE_TASK_STATUSES:
        raise InvalidTransition(
            f"Task {task.pk} is {task.get_status_display().lower()}; only active, "
            "overdue or blocked tasks can be reassigned.",
            {"code": "not_reassignable", "task": task.pk, "status": task.status},
        )
    if document.status != DocumentStatus.IN_PROGRESS or step_is_settled(task.step_run):
        raise InvalidTransition(
            f"The step of task {task.pk} is already complete.",
            {"code": "step_complete", "task": task.pk},
        )
    ensure_transition("task", task.status, TaskStatus.CANCELLED)
    problem = _assignee_problem(
        to_employee=to_employee, rights=rights, task=task, document=document
    )
    if problem:
        raise ValidationError({"to_employee": problem})


def _assignee_problem(
    *,
    to_employee: Employee,
    rights: Membership | None,
    task: Task,
    document: Document,
) -> str:
    name = to_employee.name
    if to_employee.pk == task.assignee_id:
        return f"Task {task.pk} is already assigned to {name}."
    if not to_employee.active:
        return f"{name} is inactive."
    if rights is None:
        return f"{name} has no login in this company."
    if not rights.may_approve(document.document_type):
        label = str(DocumentType(document.document_type).label).lower()
        return f"{name} lacks the approver right for {label}s."
    # Segregation of duties (DOMAIN §3): never to the person who asked for it.
    if is_requester(document, to_employee):
        return f"{name} is the requester of this document."
    # Open or already decided in this round: one person, one vote per step.
    already = (
        Task.objects.filter(
            step_run_id=task.step_run_id,
            assignee=to_employee,
            kind=TaskKind.APPROVAL,
            round=task.round,
        )
        .exclude(status=TaskStatus.CANCELLED)
        .exists()
    )
    if already:
        return f"{name} already has a task in this step."
    return ""


# --- approve / reject a blocked document directly ----------------------------------------


@transaction.atomic
def document_approve_directly(
    *, document_id: int, admin_user: AbstractBaseUser, comment: str
) -> Document:
    """Approve a blocked document with no other approvers; the ERP is told.

    Blocked → approved; the decision is recorded as `admin_approve` on a step of its
    own, the comment is posted, and the outcome goes to the outbox in the same
    transaction. Raises ValidationError without a comment, PermissionDenied unless
    the user administers the company AND holds the approver right for the type
    (VISMA_RULES §2 r14), InvalidTransition unless the document is blocked.
    """
    return _decide_directly(
        document_id=document_id,
        admin_user=admin_user,
        comment=comment,
        action=DecisionAction.ADMIN_APPROVE,
    )


@transaction.atomic
def document_reject_directly(
    *, document_id: int, admin_user: AbstractBaseUser, comment: str
) -> Document:
    """Reject a blocked document with no other approvers; the ERP is told.

    As `document_approve_directly`, with `admin_reject` and the document rejected.
    """
    return _decide_directly(
        document_id=document_id,
        admin_user=admin_user,
        comment=comment,
        action=DecisionAction.ADMIN_REJECT,
    )


@dataclass(frozen=True)
class DirectDecisionResult:
    """One document's outcome in a bulk direct decision."""

    document_id: int
    ok: bool
    status: str = ""
    error: str = ""
    code: str = ""


def documents_approve_directly(
    *, document_ids: Sequence[int], admin_user: AbstractBaseUser, comment: str
) -> dict[int, DirectDecisionResult]:
    """`document_approve_directly` for many documents, each in its own transaction.

    One refused document does not hold the others back; the result says, per id in
    the order given, what happened. Raises ValidationError (once) without a comment.
    """
    return _decide_many(
        document_ids=document_ids,
        admin_user=admin_user,
        comment=comment,
        action=DecisionAction.ADMIN_APPROVE,
    )


def documents_reject_directly(
    *, document_ids: Sequence[int], admin_user: AbstractBaseUser, comment: str
) -> dict[int, DirectDecisionResult]:
    """`document_reject_directly` for many documents, each in its own transaction."""
    return _decide_many(
        document_ids=document_ids,
        admin_user=admin_user,
        comment=comment,
        action=DecisionAction.ADMIN_REJECT,
    )


def _decide_many(
    *,
    document_ids: Sequence[int],
    admin_user: AbstractBaseUser,
    comment: str,
    action: DecisionAction,
) -> dict[int, DirectDecisionResult]:
    _direct_comment(comment, action)
    results: dict[int, DirectDecisionResult] = {}
    for document_id in dict.fromkeys(document_ids):
        try:
            # A transaction (or savepoint) per document: a failure rolls back only
            # that document.
            with transaction.atomic():
                document = _decide_directly(
                    document_id=document_id,
                    admin_user=admin_user,
                    comment=comment,
                    action=action,
                )
        except Document.DoesNotExist:
            results[document_id] = DirectDecisionResult(
                document_id, ok=False, error="No such document.", code="not_found"
            )
        except PermissionDenied as error:
            results[document_id] = DirectDecisionResult(
                document_id, ok=False, error=str(error), code="permission_denied"
            )
        except ApplicationError as error:
            results[document_id] = DirectDecisionResult(
                document_id,
                ok=False,
                error=error.message,
                code=str(error.extra.get("code", "refused")),
            )
        else:
            results[document_id] = DirectDecisionResult(
                document_id, ok=True, status=document.status
            )
    return results


def _direct_comment(comment: str, action: DecisionAction) -> str:
    # Required for both: an administrator overriding the workflow leaves a reason in
    # the audit trail, and the ERP receives it with the outcome.
    verb = "approve" if action == DecisionAction.ADMIN_APPROVE else "reject"
    return comment_clean(
        comment, required_message=f"A comment is required to {verb} directly."
    )


def _direct_decision_require(*, user: AbstractBaseUser, document: Document) -> None:
    system_admin_require(user=user, company_id=document.company_id)
    if not may_approve_type(
        user=user,
        company_id=document.company_id,
        document_type=document.document_type,
    ):
        label = str(DocumentType(document.document_type).label).lower()
        raise PermissionDenied(
            f"Deciding directly needs the approver right for {label}s, even for a "
            "system administrator."
        )


def _decide_directly(
    *,
    document_id: int,
    admin_user: AbstractBaseUser,
    comment: str,
    action: DecisionAction,
) -> Document:
    """The shared body of the direct decisions; the caller holds a transaction."""
    text = _direct_comment(comment, action)
    approve = action == DecisionAction.ADMIN_APPROVE
    document = document_lock(document_id)
    _direct_decision_require(user=admin_user, document=document)
    # The guard after the lock: a resend or a cancel that ran first has committed.
    if document.status != DocumentStatus.BLOCKED:
        raise InvalidTransition(
            "Only a blocked document can be approved or rejected directly; this one "
            f"is {document.get_status_display().lower()}.",
            {"code": "not_blocked", "status": document.status},
        )
    process = open_process_lock(document)
    if process is None:
        raise InvalidTransition(
            "The document has no open process.", {"code": "no_open_process"}
        )
    target = DocumentStatus.APPROVED if approve else DocumentStatus.REJECTED
    ensure_transition("document", document.status, target)
    ensure_transition(
        "process",
        process.status,
        ProcessStatus.APPROVED if approve else ProcessStatus.REJECTED,
    )
    actor = Employee.objects.filter(
        company_id=document.company_id, user=admin_user
    ).first()
    label = employee_label(actor) or user_label(admin_user)
    history = HistoryWriter(document, actor_label=label, actor_user=admin_user)
    now = timezone.now()
    # A decision belongs to a step; a document blocked at routing has none, so the
    # administrator's decision gets a step of its own after the others.
    position = (
        StepRun.objects.filter(process=process).aggregate(n=Max("position"))["n"] or 0
    ) + 1
    verb = "approved" if approve else "rejected"
    step_run = StepRun.objects.create(
        company_id=document.company_id,
        process=process,
        position=position,
        name=DIRECT_DECISION_STEP_NAME,
        status=StepRunStatus.COMPLETED if approve else StepRunStatus.REJECTED,
        reasons=[f"{verb} directly by {label} while the document was blocked"],
        activated_at=now,
        completed_at=now,
    )
    decision = Decision.objects.create(
        company_id=document.company_id,
        task=None,
        step_run=step_run,
        process=process,
        action=action,
        decided_by=actor,
        by_user=admin_user,
        comment=text,
    )
    history.record(
        f"documents.step.{action}",
        process=process,
        data={
            "step": step_run.position,
            "name": step_run.name,
            "decision": decision.pk,
            "comment": text,
        },
    )
    posted = Comment.objects.create(
        company_id=document.company_id,
        document=document,
        process=process,
        author=actor,
        author_user=admin_user,
        author_label=label[:200],
        text=text,
    )
    history.record(
        "documents.comment.add", process=process, data={"comment": posted.pk}
    )
    process_close(
        process=process,
        status=ProcessStatus.APPROVED if approve else ProcessStatus.REJECTED,
        history=history,
        reason=f"{verb} directly by {label}",
    )
    document.status = target
    document.blocked_reason = ""
    history.record(
        f"documents.document.{'approve' if approve else 'reject'}",
        process=process,
        data={"by_admin": True, "comment": text},
    )
    # Same transaction as the decision: both commit or neither does (INV-2).
    outbox.outbox_event_add(
        document=document,
        process=process,
        event_type=OutboxEventType.APPROVED if approve else OutboxEventType.REJECTED,
        status_text=f"{verb.capitalize()} directly by {label}: {text}",
    )
    document_state_save(document, "status", "blocked_reason")
    return document


# --- resend a blocked document ----------------------------------------------------------


def document_resend_preview(
    *, document_id: int, admin_user: AbstractBaseUser, today: date | None = None
) -> Plan:
    """The workflow a resend would produce now, shown before confirming; writes nothing.

    The plan with the active version, or, while the document would still be blocked,
    the reasons that point at the setup mistake (`plan.blocked_reasons`). Raises
    PermissionDenied (not an administrator) and InvalidTransition as
    `document_resend` does.
    """
    document = Document.objects.get(pk=document_id)
    system_admin_require(user=admin_user, company_id=document.company_id)
    _resend_guard(document)
    plan, _ = _plan_now(document, today=today or timezone.localdate())
    return plan


@transaction.atomic
def document_resend(
    *, document_id: int, admin_user: AbstractBaseUser, today: date | None = None
) -> Document:
    """Route a blocked document again with the active workflow version.

    If it resolves, the process runs from the first step (blocked → in progress),
    exactly as the nightly retry would do it; if not, the document stays blocked with
    the fresh reasons. Either way the resend is in the history. Raises
    PermissionDenied and InvalidTransition (not blocked, or blocked during approval:
    those are decided, reassigned or cancelled directly instead).
    """
    document = document_lock(document_id)
    system_admin_require(user=admin_user, company_id=document.company_id)
    _resend_guard(document)
    process = open_process_lock(document)
    if process is None:
        raise InvalidTransition(
            "The document has no open process.", {"code": "no_open_process"}
        )
    today = today or timezone.localdate()
    plan, version = _plan_now(document, today=today)
    HistoryWriter(
        document, actor_label=user_label(admin_user), actor_user=admin_user
    ).record(
        "documents.document.resend",
        process=process,
        data={
            "workflow_version": version.pk if version else None,
            "blocked": plan.blocked,
            "reasons": list(plan.blocked_reasons),
        },
    )
    if not plan.blocked:
        # The nightly retry's own path, under the locks held here: one way to route a
        # blocked document again, whoever asks.
        document_retry_blocked(document_id=document.pk, today=today)
        return Document.objects.get(pk=document.pk)
    # Still blocked: only the reasons change, so no transition and no new version.
    reason = "\n".join(plan.blocked_reasons)
    process.workflow_version = version
    process.plan = (
        plan_as_json(plan, version)
        if version is not None
        else {"blocked": True, "blocked_reasons": [reason], "steps": []}
    )
    process.blocked_reason = reason
    process.save(
        update_fields=["workflow_version", "plan", "blocked_reason", "updated_at"]
    )
    document.blocked_reason = reason
    document_state_save(document, "blocked_reason")
    return document


def _resend_guard(document: Document) -> None:
    if document.status != DocumentStatus.BLOCKED:
        raise InvalidTransition(
            "Only a blocked document can be resent; this one is "
            f"{document.get_status_display().lower()}.",
            {"code": "not_blocked", "status": document.status},
        )
    if blocked_during_approval(document):
        raise InvalidTransition(
            "This document was blocked during its approval, after some steps were "
            "decided; approve, reject or cancel it directly instead.",
            {"code": "blocked_during_approval"},
        )


def _plan_now(
    document: Document, *, today: date
) -> tuple[Plan, WorkflowVersion | None]:
    version = active_version_get(
        company_id=document.company_id, document_type=document.document_type
    )
    if version is None:
        label = str(DocumentType(document.document_type).label).lower()
        # The same words routing uses, so the preview reads like the block it fixes.
        reason = f"No workflow is active for {label}s."
        return Plan(steps=(), blocked=True, blocked_reasons=(reason,)), None
    return plan_for_version(routing_facts_for(document, today=today), version), version


# --- blocked tasks: assignees who lost (or regained) the right ---------------------------


@dataclass(frozen=True)
class RightsCheck:
    """What `tasks_block_for_lost_rights` changed: task ids, each in id order."""

    blocked: tuple[int, ...] = ()
    unblocked: tuple[int, ...] = ()


def tasks_block_for_lost_rights(
    *, company_id: int, today: date | None = None
) -> RightsCheck:
    """Block active tasks whose assignee can no longer decide; unblock the reverse.

    An assignee cannot decide without a login, while inactive, or when the login
    lacks the approver right for the document type (VISMA_RULES §2 r1). Their active
    (or overdue) approval tasks become blocked with that reason, for an administrator
    to reassign; a blocked task whose assignee may decide again becomes active with a
    fresh allowance of working days. Each document is its own transaction, and
    everything is checked again under its locks. Idempotent.
    """
    today = today or timezone.localdate()
    due = _rights_changes_due(company_id)
    blocked: list[int] = []
    unblocked: list[int] = []
    for document_id in sorted(due):
        with transaction.atomic():
            changed = _rights_apply(
                document_id=document_id, task_ids=due[document_id], today=today
            )
        blocked += changed.blocked
        unblocked += changed.unblocked
    return RightsCheck(
        blocked=tuple(sorted(blocked)), unblocked=tuple(sorted(unblocked))
    )


def _checked_tasks(company_id: int) -> QuerySet[Task]:
    """Active and blocked approval tasks of running processes."""
    return Task.objects.filter(
        company_id=company_id,
        kind=TaskKind.APPROVAL,
        status__in=REASSIGNABLE_TASK_STATUSES,
        process__status=ProcessStatus.RUNNING,
        document__status=DocumentStatus.IN_PROGRESS,
    )


def _rights_of(tasks: Sequence[Task], company_id: int) -> dict[int, Membership]:
    user_ids = {t.assignee.user_id for t in tasks if t.assignee.user_id is not None}
    return {
        m.user_id: m
        for m in Membership.objects.filter(company_id=company_id, user_id__in=user_ids)
    }


def assignee_block_reason(
    *, assignee: Employee, document_type: str, rights: Mapping[int, Membership]
) -> str:
    """Why the assignee cannot decide a task of this type now, or "".

    The same words step activation writes when it blocks a task.
    """
    if not assignee.active:
        return f"{assignee.name} is inactive."
    if assignee.user_id is None:
        return f"{assignee.name} has no login."
    membership = rights.get(assignee.user_id)
    if membership is None or not membership.may_approve(document_type):
        return f"{assignee.name} lacks the approver right for this document type."
    return ""


def _rights_changes_due(company_id: int) -> dict[int, list[int]]:
    """Task ids whose status no longer fits their assignee, by document id.

    Whether a task fits depends only on its assignee, its document type and its status,
    so those distinct triples are checked, not every task: at 1 M documents a company
    has 200 k open tasks, and loading them with their documents every minute never
    finished (bench/PERF_NOTES.md). Only the tasks of triples that changed are read.
    """
    tasks = _checked_tasks(company_id)
    triples = list(
        tasks.order_by()
        .values_list("assignee_id", "document__document_type", "status")
        .distinct()
    )
    assignees = Employee.objects.in_bulk({assignee_id for assignee_id, _, _ in triples})
    user_ids = {e.user_id for e in assignees.values() if e.user_id is not None}
    rights = {
        m.user_id: m
        for m in Membership.objects.filter(company_id=company_id, user_id__in=user_ids)
    }
    changed: list[Q] = []
    for assignee_id, document_type, status in triples:
        reason = assignee_block_reason(
            assignee=assignees[assignee_id], document_type=document_type, rights=rights
        )
        if bool(reason) != (status == TaskStatus.BLOCKED):
            changed.append(
                Q(
                    assignee_id=assignee_id,
                    document__document_type=document_type,
                    status=status,
                )
            )
    due: dict[int, list[int]] = {}
    if not changed:
        return due
    for task_id, document_id in (
        tasks.filter(reduce(operator.or_, changed))
        .order_by("pk")
        .values_list("pk", "document_id")
    ):
        due.setdefault(document_id, []).append(task_id)
    return due


def _rights_apply(
    *, document_id: int, task_ids: Sequence[int], today: date
) -> RightsCheck:
    """Block or unblock the tasks of one document under its locks."""
    document = document_lock(document_id)
    process = open_process_lock(document)
    if document.status != DocumentStatus.IN_PROGRESS or process is None:
        return RightsCheck()
    tasks = list(
        Task.objects.select_for_update(of=("self",))
        .filter(
            pk__in=task_ids,
            process=process,
            kind=TaskKind.APPROVAL,
            status__in=REASSIGNABLE_TASK_STATUSES,
        )
        .select_related("assignee", "step_run")
        .order_by("pk")
    )
    rights = _rights_of(tasks, document.company_id)
    history = HistoryWriter(document, actor_label=SYSTEM_LABEL)
    now = timezone.now()
    to_block: list[Task] = []
    to_unblock: list[Task] = []
    for task in tasks:
        reason = assignee_block_reason(
            assignee=task.assignee, document_type=document.document_type, rights=rights
        )
        if reason and task.status == TaskStatus.ACTIVE:
            ensure_transition("task", task.status, TaskStatus.BLOCKED)
            task.status = TaskStatus.BLOCKED
            task.blocked_reason = reason
            to_block.append(task)
        elif not reason and task.status == TaskStatus.BLOCKED:
            ensure_transition("task", task.status, TaskStatus.ACTIVE)
            task.status = TaskStatus.ACTIVE
            task.blocked_reason = ""
            # The time it sat blocked was nobody's to use: a full allowance again.
            task.due_date = working_days_add(
                company_id=document.company_id,
                start=today,
                days=task.step_run.days_to_complete,
            )
            to_unblock.append(task)
        else:
            continue
        task.version += 1
        task.updated_at = now
    changed = [*to_block, *to_unblock]
    if not changed:
        return RightsCheck()
    Task.objects.bulk_update(
        changed, ["status", "blocked_reason", "due_date", "version", "updated_at"]
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
            for t in to_block
        ),
    )
    history.record_many(
        "documents.task.unblock",
        process=process,
        items=(
            {
                "task": t.pk,
                "assignee": employee_label(t.assignee),
                "due_date": t.due_date,
            }
            for t in to_unblock
        ),
    )
    # Unblocked, the task waits for its person again: tell them (once per task).
    new_task_notify_on_commit(task_ids=[t.pk for t in to_unblock])
    return RightsCheck(
        blocked=tuple(t.pk for t in to_block),
        unblocked=tuple(t.pk for t in to_unblock),
    )
