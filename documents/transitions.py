"""The one place that says which status changes and which task actions are allowed.

Services guard with `ensure_transition` and `available_actions`; pages use
`available_actions` for their buttons. So what a button offers is exactly what the
service accepts (STYLE §3, after Wagtail's `get_actions`).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from core.exceptions import InvalidTransition
from documents.choices import (
    DocumentStatus,
    ProcessStatus,
    StepRunStatus,
    TaskKind,
    TaskStatus,
)
from documents.models import Document, StepRun, Task
from documents.step_state import step_evaluate
from orgunits.models import Employee, Membership, Substitution

D, P, S, T = DocumentStatus, ProcessStatus, StepRunStatus, TaskStatus

DOCUMENT_TRANSITIONS: Mapping[str, frozenset[str]] = {
    D.RECEIVED: frozenset({D.IN_PROGRESS, D.BLOCKED, D.CANCELLED}),
    # in progress → blocked: a later step cannot be activated (e.g. 4-eyes nobody left).
    D.IN_PROGRESS: frozenset({D.APPROVED, D.REJECTED, D.CANCELLED, D.BLOCKED}),
    # blocked → in progress: resent after the setup was fixed (by hand or nightly);
    # → approved/rejected: an administrator decides directly.
    D.BLOCKED: frozenset({D.IN_PROGRESS, D.APPROVED, D.REJECTED, D.CANCELLED}),
    D.APPROVED: frozenset(),
    # A rejected or cancelled document sent again starts over with a new process.
    D.REJECTED: frozenset({D.RECEIVED}),
    D.CANCELLED: frozenset({D.RECEIVED}),
}

PROCESS_TRANSITIONS: Mapping[str, frozenset[str]] = {
    P.RUNNING: frozenset({P.APPROVED, P.REJECTED, P.CANCELLED, P.BLOCKED}),
    P.BLOCKED: frozenset({P.RUNNING, P.APPROVED, P.REJECTED, P.CANCELLED}),
    P.APPROVED: frozenset(),
    P.REJECTED: frozenset(),
    P.CANCELLED: frozenset(),
}

STEP_RUN_TRANSITIONS: Mapping[str, frozenset[str]] = {
    S.PLANNED: frozenset({S.ACTIVE, S.COMPLETED, S.SKIPPED, S.CANCELLED}),
    # active → planned: an edit here sends the document back to an earlier step for
    # re-approval; this step runs again after it.
    S.ACTIVE: frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED, S.PLANNED}),
    # completed → planned: re-approval after a later step edited routing data; the
    # advance activates it again in a new round.
    S.COMPLETED: frozenset({S.PLANNED}),
    # skipped → planned: an edit made the step's condition or approvers apply again.
    S.SKIPPED: frozenset({S.PLANNED}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

TASK_TRANSITIONS: Mapping[str, frozenset[str]] = {
    T.PLANNED: frozenset({T.ACTIVE, T.BLOCKED, T.CANCELLED}),
    T.ACTIVE: frozenset({T.COMPLETED, T.IN_REVIEW, T.BLOCKED, T.CANCELLED}),
    # The review came back: the decision is the assignee's again.
    T.IN_REVIEW: frozenset({T.ACTIVE, T.CANCELLED}),
    # Unblocked by granting the right (→ active) or by reassigning (→ cancelled).
    T.BLOCKED: frozenset({T.ACTIVE, T.CANCELLED}),
    T.COMPLETED: frozenset(),
    T.CANCELLED: frozenset(),
}

_MAPS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "document": DOCUMENT_TRANSITIONS,
    "process": PROCESS_TRANSITIONS,
    "step": STEP_RUN_TRANSITIONS,
    "task": TASK_TRANSITIONS,
}


def can_transition(kind: str, current: str, target: str) -> bool:
    return target in _MAPS[kind].get(current, frozenset())


def ensure_transition(kind: str, current: str, target: str) -> None:
    """Raise `InvalidTransition` unless `kind` ("document", "task"...) may move."""
    if not can_transition(kind, current, target):
        raise InvalidTransition(
            f"A {kind} that is {current.replace('_', ' ')} cannot become "
            f"{target.replace('_', ' ')}.",
            {"code": "invalid_transition", "from": current, "to": target},
        )


# --- task actions -----------------------------------------------------------------------

APPROVE = "approve"
REJECT = "reject"
COMMENT = "comment"
FORWARD = "forward"
REQUEST_REVIEW = "request_review"
REVIEW = "review"
POSTPONE = "postpone"
EDIT = "edit"
ADD_ATTACHMENT = "add_attachment"
#: Approve or reject single lines of a line-approval task.
DECIDE_LINES = "decide_lines"
#: Document level: a system administrator edits any line, whatever the step allows.
ADMIN_EDIT = "admin_edit"

ALL_ACTIONS = frozenset(
    {
        APPROVE,
        REJECT,
        COMMENT,
        FORWARD,
        REQUEST_REVIEW,
        REVIEW,
        POSTPONE,
        EDIT,
        ADD_ATTACHMENT,
        DECIDE_LINES,
        ADMIN_EDIT,
    }
)

_DECIDING = frozenset(
    {APPROVE, REJECT, COMMENT, FORWARD, REQUEST_REVIEW, POSTPONE, ADD_ATTACHMENT}
)


def acting_relation(*, task: Task, employee: Employee) -> str | None:
    """ "assignee", "substitute" (active substitute of the assignee) or None."""
    if employee.company_id != task.company_id or not employee.active:
        return None
    if employee.pk == task.assignee_id:
        return "assignee"
    is_substitute = (
        Substitution.objects.active_at(timezone.now())
        .filter(
            company_id=task.company_id,
            principal_id=task.assignee_id,
            substitute_id=employee.pk,
        )
        .exists()
    )
    return "substitute" if is_substitute else None


def may_approve_type(
    *, user: AbstractBaseUser | AnonymousUser, company_id: int, document_type: str
) -> bool:
    """The login holds the approver right for this document type in this company."""
    if not user.is_authenticated:
        return False
    membership = Membership.objects.filter(company_id=company_id, user=user).first()
    return membership is not None and membership.may_approve(document_type)


def step_is_settled(step_run: StepRun) -> bool:
    """The step no longer takes decisions: not active, or its policy is already met.

    Between the approval that completes a step and the asynchronous advance, the other
    tasks of the step are still active; this keeps a second decision out.
    """
    return step_run.status != StepRunStatus.ACTIVE or step_evaluate(step_run).complete


def available_actions(
    *,
    task: Task,
    employee: Employee | None,
    user: AbstractBaseUser | AnonymousUser | None,
) -> frozenset[str]:
    """What `employee`, signed in as `user`, may do with `task` right now.

    Derived from the task's status and kind, whether the employee is the assignee or
    their active substitute, the step's options and the login's approver right for
    the document type. Empty when the person has nothing to do with the task.
    """
    if employee is None or user is None or not user.is_authenticated:
        return frozenset()
    # The employee row must be this login's own: nobody acts as someone else.
    if employee.user_id != user.pk:
        return frozenset()
    if task.document.status != DocumentStatus.IN_PROGRESS:
        return frozenset()
    if acting_relation(task=task, employee=employee) is None:
        return frozenset()

    if task.kind == TaskKind.REVIEW:
        # A reviewer gives an opinion and never decides (VISMA_RULES §2 r13).
        if task.status == TaskStatus.ACTIVE:
            return frozenset({REVIEW, COMMENT, ADD_ATTACHMENT})
        return frozenset()

    if task.status == TaskStatus.ACTIVE:
        if not may_approve_type(
            user=user,
            company_id=task.company_id,
            document_type=task.document.document_type,
        ):
            # Rights lost after activation: the person may still talk, not decide.
            return frozenset({COMMENT})
        if step_is_settled(task.step_run):
            # The step is complete and about to advance: no further decisions.
            return frozenset({COMMENT})
        actions = set(_DECIDING)
        if task.step_run.editing_allowed:
            actions.add(EDIT)
        if task.step_run.line_approval and task.line_numbers:
            actions.add(DECIDE_LINES)
        return frozenset(actions)
    if task.status == TaskStatus.IN_REVIEW:
        # Waiting for the reviewer: the decision comes back once they answered.
        return frozenset({COMMENT, ADD_ATTACHMENT})
    if task.status == TaskStatus.BLOCKED:
        return frozenset({COMMENT})
    return frozenset()


def is_company_admin(
    *, user: AbstractBaseUser | AnonymousUser | None, company_id: int
) -> bool:
    """The login is a system administrator of the company."""
    if user is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(
        company_id=company_id, user=user, is_system_admin=True, company__is_active=True
    ).exists()


def available_document_actions(
    *,
    document: Document,
    employee: Employee | None,
    user: AbstractBaseUser | AnonymousUser | None,
) -> frozenset[str]:
    """Document-level actions of `user` (acting as `employee`, if any) right now.

    EDIT comes from the person's own (or substituted) tasks through
    `available_actions`, so it exists exactly while one of them offers it.
    ADD_ATTACHMENT is for anyone with an open task on the document, their active
    substitutes, and administrators. ADMIN_EDIT and ADD_ATTACHMENT are open to the
    company's system administrators while the document is not finished. Viewers get
    nothing: they only read.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    if document.status not in (
        DocumentStatus.RECEIVED,
        DocumentStatus.IN_PROGRESS,
        DocumentStatus.BLOCKED,
    ):
        return frozenset()
    if employee is not None and (
        employee.user_id != user.pk or employee.company_id != document.company_id
    ):
        return frozenset()
    actions: set[str] = set()
    if is_company_admin(user=user, company_id=document.company_id):
        actions |= {ADMIN_EDIT, ADD_ATTACHMENT}
    if employee is None:
        return frozenset(actions)
    open_tasks = Task.objects.filter(
        document=document, status__in=Task.OPEN_STATUSES
    ).select_related("step_run")
    for task in open_tasks:
        if acting_relation(task=task, employee=employee) is None:
            continue
        actions.add(ADD_ATTACHMENT)
        task.document = document
        if EDIT in available_actions(task=task, employee=employee, user=user):
            actions.add(EDIT)
    return frozenset(actions)


# --- system administrator actions (DOMAIN §7, VISMA_RULES §1.12) ------------------------

APPROVE_DIRECTLY = "approve_directly"
REJECT_DIRECTLY = "reject_directly"
CANCEL_DIRECTLY = "cancel_directly"
RESEND = "resend"
REASSIGN = "reassign"

#: Tasks an administrator may hand to someone else: active (overdue is an active task
#: past its due date) and blocked ones. Planned tasks have not started and a task in
#: review waits for its reviewer, so neither has a decision to move.
REASSIGNABLE_TASK_STATUSES = frozenset({T.ACTIVE, T.BLOCKED})


def blocked_during_approval(document: Document) -> bool:
    """The open process stopped at a step (it has step runs), not at routing.

    Such a process cannot simply be routed again: its earlier steps were decided.
    """
    return StepRun.objects.filter(
        process__document=document, process__status=P.BLOCKED
    ).exists()


def available_admin_document_actions(
    *, document: Document, user: AbstractBaseUser | AnonymousUser | None
) -> frozenset[str]:
    """What a system administrator may do with the document itself right now.

    Cancel directly: any unfinished document. On a blocked one also approve or reject
    directly, but only with the approver right for the document type, even as an
    administrator (VISMA_RULES §2 r14), and resend when the block came from routing.
    Empty for anyone who is not an administrator of the document's company.
    """
    if document.status not in Document.OPEN_STATUSES:
        return frozenset()
    if not is_company_admin(user=user, company_id=document.company_id):
        return frozenset()
    actions = {CANCEL_DIRECTLY}
    if document.status == D.BLOCKED:
        if user is not None and may_approve_type(
            user=user,
            company_id=document.company_id,
            document_type=document.document_type,
        ):
            actions |= {APPROVE_DIRECTLY, REJECT_DIRECTLY}
        if not blocked_during_approval(document):
            actions.add(RESEND)
    return frozenset(actions)


def available_admin_task_actions(
    *, task: Task, user: AbstractBaseUser | AnonymousUser | None
) -> frozenset[str]:
    """REASSIGN for an administrator while the task is active, overdue or blocked.

    Only approval tasks of a document in progress whose step still takes decisions:
    once the step is complete, the task is about to be cancelled anyway.
    """
    if task.kind != TaskKind.APPROVAL or task.status not in REASSIGNABLE_TASK_STATUSES:
        return frozenset()
    if task.document.status != D.IN_PROGRESS:
        return frozenset()
    if not is_company_admin(user=user, company_id=task.company_id):
        return frozenset()
    if step_is_settled(task.step_run):
        return frozenset()
    return frozenset({REASSIGN})
