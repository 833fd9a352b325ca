"""How routing changes between two plans, as readable lines (replaying documents)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from workflows.engine import Plan, PlannedApprover, StepOutcome, StepPlan


def plan_difference(before: Plan, after: Plan) -> list[str]:
    """How routing changes from `before` to `after`, one readable line per change.

    Steps are paired by name (a renamed step by its position), so a reordered draft
    reads as the same steps moved rather than as everything replaced. Empty when the
    document would be routed exactly the same way.
    """
    lines: list[str] = []
    if before.blocked != after.blocked:
        if after.blocked:
            lines.append(
                f"The document is now blocked: {'; '.join(after.blocked_reasons)}"
            )
        else:
            lines.append("The document is no longer blocked.")
    for old, new in _pair_steps(before.steps, after.steps):
        if old is None and new is not None:
            lines.append(f"{new.label} added: {_describe_outcome(new)}")
        elif new is None and old is not None:
            lines.append(f"{old.label} removed (was: {_describe_outcome(old)})")
        elif old is not None and new is not None:
            lines += [f"{new.label}: {change}" for change in _step_changes(old, new)]
    return lines


def _pair_steps(
    before: Sequence[StepPlan], after: Sequence[StepPlan]
) -> list[tuple[StepPlan | None, StepPlan | None]]:
    unpaired = list(before)
    pairs: list[tuple[StepPlan | None, StepPlan | None]] = []
    pending: list[StepPlan] = []
    for new in after:
        match = next((s for s in unpaired if s.name == new.name), None)
        if match is None:
            pending.append(new)
            continue
        unpaired.remove(match)
        pairs.append((match, new))
    for new in pending:
        match = next((s for s in unpaired if s.position == new.position), None)
        if match is not None:
            unpaired.remove(match)
        pairs.append((match, new))
    pairs += [(old, None) for old in unpaired]
    # In the draft's order; removed steps where they used to be.
    return sorted(pairs, key=lambda pair: _pair_position(*pair))


def _pair_position(old: StepPlan | None, new: StepPlan | None) -> int:
    if new is not None:
        return new.position
    return old.position if old is not None else 0


def _step_changes(old: StepPlan, new: StepPlan) -> list[str]:
    changes: list[str] = []
    if old.position != new.position:
        changes.append(f"moved from position {old.position} to {new.position}")
    if old.outcome != new.outcome:
        changes.append(f"now {_describe_outcome(new)} (was {_describe_outcome(old)})")
        return changes
    if new.outcome == StepOutcome.BLOCKED and old.reasons != new.reasons:
        changes.append(f"still blocked, now because {'; '.join(new.reasons)}")
    if new.outcome == StepOutcome.AUTO_APPROVED:
        before_by = old.auto_approved_by.employee_name if old.auto_approved_by else ""
        after_by = new.auto_approved_by.employee_name if new.auto_approved_by else ""
        if before_by != after_by:
            changes.append(
                f"approved automatically on behalf of {after_by} (was {before_by})"
            )
    before_people = {_person_key(a): a for a in old.approvers}
    after_people = {_person_key(a): a for a in new.approvers}
    added = [after_people[k] for k in after_people.keys() - before_people.keys()]
    removed = [before_people[k] for k in before_people.keys() - after_people.keys()]
    if added:
        changes.append(f"approvers added: {_people_text(added)}")
    if removed:
        changes.append(f"approvers removed: {_people_text(removed)}")
    for key in sorted(after_people.keys() & before_people.keys()):
        was, now = before_people[key], after_people[key]
        if was.line_numbers != now.line_numbers:
            changes.append(
                f"{_person_text(now)} now approves {_lines_text(now.line_numbers)} "
                f"(was {_lines_text(was.line_numbers)})"
            )
    if (old.completion_policy, old.required_count) != (
        new.completion_policy,
        new.required_count,
    ):
        changes.append(
            f"completion {_policy_text(old)} → {_policy_text(new)}",
        )
    return changes


def _person_key(approver: PlannedApprover) -> tuple[str, int]:
    return (approver.employee_number, approver.employee_id)


def _describe_outcome(step: StepPlan) -> str:
    if step.outcome == StepOutcome.SKIPPED:
        return f"skipped ({'; '.join(step.reasons)})"
    if step.outcome == StepOutcome.BLOCKED:
        return f"blocked ({'; '.join(step.reasons)})"
    if step.outcome == StepOutcome.AUTO_APPROVED:
        who = step.auto_approved_by.employee_name if step.auto_approved_by else "?"
        return f"approved automatically on behalf of {who}"
    if step.outcome == StepOutcome.FOUR_EYES:
        return f"4-eyes fallback to {_people_text(step.approvers)}"
    return f"routed to {_people_text(step.approvers)}"


def _people_text(people: Iterable[PlannedApprover]) -> str:
    ordered = sorted(people, key=lambda a: (a.employee_name, a.employee_number))
    return ", ".join(_person_text(a) for a in ordered) or "nobody"


def _person_text(approver: PlannedApprover) -> str:
    text = f"{approver.employee_name} ({approver.employee_number})"
    if approver.substitute_for_id is not None:
        text += " as substitute"
    return text


def _lines_text(numbers: Sequence[int]) -> str:
    if not numbers:
        return "no lines"
    return f"line{'s' if len(numbers) > 1 else ''} " + ", ".join(map(str, numbers))


def _policy_text(step: StepPlan) -> str:
    if step.completion_policy == "at_least":
        return f"at least {step.required_count}"
    return step.completion_policy
