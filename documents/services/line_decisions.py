"""Line approval: an approver approves (or rejects) the lines routed to them.

A line-approval task completes only when all of its lines are approved; then its
`Decision` is written (VISMA_RULES §1.8, §2 r17). Rejecting a line rejects the
document at once, as any rejection does (DOMAIN §4).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import InvalidTransition
from documents.choices import DecisionAction, LineDecisionAction
from documents.models import LineDecision, Task
from documents.services.common import (
    HistoryWriter,
    comment_clean,
    comment_post,
    employee_label,
    task_guard,
    task_lock,
    version_check,
)
from documents.services.decisions import (
    REJECT_COMMENT_REQUIRED,
    decision_write,
    document_reject_now,
    line_decisions_write,
    on_behalf_of_for,
)
from documents.services.processes import process_advance_request
from documents.transitions import DECIDE_LINES
from orgunits.models import Employee


def _lines_are(numbers: set[int], predicate: str) -> str:
    """ "Line 3 is …" / "Lines 3, 4 are …"."""
    ordered = ", ".join(str(n) for n in sorted(numbers))
    if len(numbers) == 1:
        return f"Line {ordered} is {predicate}"
    return f"Lines {ordered} are {predicate}"


def _clean_lines(
    approve: Sequence[int], reject: Sequence[int]
) -> tuple[set[int], set[int]]:
    approved, rejected = {int(n) for n in approve}, {int(n) for n in reject}
    if not approved and not rejected:
        raise ValidationError({"lines": "Choose at least one line."})
    both = approved & rejected
    if both:
        raise ValidationError(
            {"lines": _lines_are(both, "both approved and rejected.")}
        )
    return approved, rejected


@transaction.atomic
def task_decide_lines(
    *,
    task_id: int,
    employee: Employee,
    user: AbstractBaseUser,
    expected_version: int,
    approve: Sequence[int],
    reject: Sequence[int] = (),
    comment: str = "",
) -> Task:
    """Approve or reject some of the task's lines; returns the task.

    All lines approved → the task completes with an approving decision and the
    process advances (asynchronously). Any line rejected → the task's decision is a
    rejection and the document is rejected now. Raises ValidationError for no lines,
    a line in both lists, lines not routed to this task, or a rejection without a
    comment; StaleVersion for an outdated page; InvalidTransition when the task
    cannot be decided now or a line is already decided.
    """
    approved, rejected = _clean_lines(approve, reject)
    text = comment_clean(
        comment, required_message=REJECT_COMMENT_REQUIRED if rejected else ""
    )
    locked = task_lock(task_id)
    version_check(locked.document, expected_version)
    task_guard(locked=locked, employee=employee, user=user, action=DECIDE_LINES)
    task = locked.task
    own = {int(n) for n in task.line_numbers}
    foreign = (approved | rejected) - own
    if foreign:
        raise ValidationError({"lines": _lines_are(foreign, "not routed to you.")})
    decided = set(
        LineDecision.objects.filter(task=task).values_list("line_number", flat=True)
    )
    again = (approved | rejected) & decided
    if again:
        raise InvalidTransition(
            _lines_are(again, "already decided."),
            {"code": "line_decided", "lines": sorted(again)},
        )

    on_behalf_of = on_behalf_of_for(task, employee)
    history = HistoryWriter(
        locked.document,
        actor_label=employee_label(employee),
        actor_user=user,
        on_behalf_of_label=employee_label(on_behalf_of),
    )
    line_actions = {n: LineDecisionAction.APPROVE for n in approved} | {
        n: LineDecisionAction.REJECT for n in rejected
    }
    history.record(
        "documents.task.decide_lines",
        process=locked.process,
        data={
            "task": task.pk,
            "step": task.step_run.position,
            "approved": sorted(approved),
            "rejected": sorted(rejected),
        },
    )
    if rejected:
        decision_write(
            locked=locked,
            employee=employee,
            user=user,
            action=DecisionAction.REJECT,
            comment=text,
            line_actions=line_actions,
            history=history,
        )
        document_reject_now(
            locked=locked, employee=employee, history=history, comment=text
        )
        return task

    if own <= decided | approved:
        decision_write(
            locked=locked,
            employee=employee,
            user=user,
            action=DecisionAction.APPROVE,
            comment=text,
            line_actions=line_actions,
            history=history,
        )
    else:
        line_decisions_write(
            locked=locked,
            employee=employee,
            on_behalf_of=on_behalf_of,
            line_actions=line_actions,
            decision=None,
        )
        # The task stays active but changed: a page showing it is out of date.
        task.version += 1
        task.save(update_fields=["version", "updated_at"])
        if text:
            comment_post(
                document=locked.document,
                process=locked.process,
                employee=employee,
                user=user,
                text=text,
                history=history,
            )
    # Even with lines of this task left, the step may be complete: another approver
    # may have approved those lines. The advance decides, after commit.
    process_advance_request(process_id=locked.process.pk)
    return task
