"""Whether a step's completion policy is met: a pure read, shared by all callers.

The advance, the decision guard, `available_actions` and the reconciler all ask this
one function, so they can never disagree about when a step is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from documents.choices import (
    APPROVING_ACTIONS,
    LineDecisionAction,
    TaskKind,
    TaskStatus,
)
from documents.models import Decision, LineDecision, StepRun, Task
from workflows.models import CompletionPolicy


@dataclass(frozen=True)
class StepState:
    complete: bool
    approvals: int
    needed: int


def step_evaluate(step_run: StepRun) -> StepState:
    """Whether the step's completion policy is met by the approvals so far (reads only).

    Cancelled tasks (forwarded, reassigned, excluded) do not count either way, nor do
    the tasks of an earlier round of a step sent back for re-approval. With
    line approval, each line needs the policy's number of approvals among the
    approvers it was routed to; "at least N" is capped at the number of people there
    are, so a step can never wait for approvers that do not exist.
    """
    tasks = list(
        Task.objects.filter(
            step_run=step_run, kind=TaskKind.APPROVAL, round=step_run.round
        ).exclude(status=TaskStatus.CANCELLED)
    )
    approved_task_ids = set(
        Decision.objects.filter(
            step_run=step_run, task__in=tasks, action__in=APPROVING_ACTIONS
        ).values_list("task_id", flat=True)
    )
    lines: dict[int, int] = {}
    for task in tasks:
        for number in task.line_numbers or ():
            lines[int(number)] = lines.get(int(number), 0) + 1
    if step_run.line_approval and lines:
        approvals_per_line: dict[int, int] = {}
        # Line by line: a line approved by one of its approvers counts even while
        # that approver's other lines (and so their task) are still open.
        for number in LineDecision.objects.filter(
            task__in=tasks, action=LineDecisionAction.APPROVE
        ).values_list("line_number", flat=True):
            approvals_per_line[number] = approvals_per_line.get(number, 0) + 1
        satisfied = sum(
            1
            for number, people in lines.items()
            if approvals_per_line.get(number, 0) >= _needed(step_run, people)
        )
        return StepState(
            complete=satisfied == len(lines), approvals=satisfied, needed=len(lines)
        )
    needed = _needed(step_run, len(tasks))
    approvals = len(approved_task_ids)
    return StepState(
        complete=bool(tasks) and approvals >= needed, approvals=approvals, needed=needed
    )


def _needed(step_run: StepRun, people: int) -> int:
    if step_run.completion_policy == CompletionPolicy.ALL:
        return people
    if step_run.completion_policy == CompletionPolicy.AT_LEAST:
        return min(step_run.required_count, people)
    return 1
