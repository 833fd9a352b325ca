"""A plan laid out for a page: labels, "on behalf of" names, approvers per line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from workflows.engine import (
    RULE_AUTO_APPROVAL,
    RULE_DEPUTY,
    RULE_FOUR_EYES,
    Plan,
    PlannedApprover,
    StepOutcome,
    StepPlan,
)
from workflows.models import StepRuleKind

#: How the trace names each way an approver was found (the rule kinds plus the options).
RULE_LABELS: Mapping[str, str] = {
    **{kind.value: kind.label for kind in StepRuleKind},
    RULE_DEPUTY: _("Deputy (requester's nearest manager)"),
    RULE_AUTO_APPROVAL: _("Automatic approval"),
    RULE_FOUR_EYES: _("4-eyes fallback"),
}

OUTCOME_LABELS: Mapping[str, str] = {
    StepOutcome.ROUTE: _("Routed"),
    StepOutcome.SKIPPED: _("Skipped"),
    StepOutcome.BLOCKED: _("Blocked"),
    StepOutcome.AUTO_APPROVED: _("Approved automatically"),
    StepOutcome.FOUR_EYES: _("4-eyes fallback (only if one person approved all)"),
}


@dataclass(frozen=True)
class TraceApprover:
    """One approver as the trace shows them, with whom they stand in for."""

    approver: PlannedApprover
    rule_label: str
    on_behalf_of: str = ""


@dataclass(frozen=True)
class TraceLine:
    """A line of a line-approval step and the people it is routed to."""

    line_number: int
    approvers: tuple[TraceApprover, ...]


@dataclass(frozen=True)
class TraceStep:
    step: StepPlan
    outcome_label: str
    approvers: tuple[TraceApprover, ...]
    lines: tuple[TraceLine, ...]
    auto_approved_by: TraceApprover | None

    @property
    def outcome(self) -> str:
        return str(self.step.outcome)


def trace(result: Plan) -> list[TraceStep]:
    """The plan laid out for a page: labels, "on behalf of" names, lines per approver."""
    steps: list[TraceStep] = []
    for step in result.steps:
        names = {a.employee_id: a.employee_name for a in step.approvers}
        people = tuple(_trace_approver(a, names) for a in step.approvers)
        by_line: dict[int, list[TraceApprover]] = {}
        for person in people:
            for number in person.approver.line_numbers:
                by_line.setdefault(number, []).append(person)
        steps.append(
            TraceStep(
                step=step,
                outcome_label=str(OUTCOME_LABELS.get(step.outcome, step.outcome)),
                approvers=people,
                lines=tuple(
                    TraceLine(number, tuple(by_line[number]))
                    for number in sorted(by_line)
                ),
                auto_approved_by=(
                    _trace_approver(step.auto_approved_by, names)
                    if step.auto_approved_by
                    else None
                ),
            )
        )
    return steps


def _trace_approver(
    approver: PlannedApprover, names: Mapping[int, str]
) -> TraceApprover:
    principal = ""
    if approver.substitute_for_id is not None:
        principal = names.get(
            approver.substitute_for_id, f"#{approver.substitute_for_id}"
        )
    return TraceApprover(
        approver=approver,
        rule_label=str(RULE_LABELS.get(approver.rule, approver.rule)),
        on_behalf_of=principal,
    )
