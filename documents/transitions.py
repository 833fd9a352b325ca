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
from documents.models import StepRun, Task
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
    S.ACTIVE: frozenset({S.COMPLETED, S.REJECTED, S.CANCELLED}),
    # completed → active: re-approval after a later step edited routing data.
    S.COMPLETED: frozenset({S.ACTIVE}),
    S.SKIPPED: frozenset(),
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
        return frozenset(actions)
    if task.status == TaskStatus.IN_REVIEW:
        # Waiting for the reviewer: the decision comes back once they answered.
        return frozenset({COMMENT, ADD_ATTACHMENT})
    if task.status == TaskStatus.BLOCKED:
        return frozenset({COMMENT})
    return frozenset()
