"""The routing engine: which steps a document goes through and who approves each one.

`plan(facts, definition)` is pure: it reads the org directory once (a constant number of
queries whatever the number of lines) and writes nothing. Live routing, the simulator
and the nightly retry of blocked documents all call it, so what the simulator shows is
what production does (DOMAIN §3). The facts are plain values; the documents app turns a
document into `RoutingFacts`, this module never sees a document row.

Semantics, step by step:

- Condition (`StepCondition`): amounts are compared as ``low <= |gross| < high``; day
  conditions count calendar days from `facts.today`. A limit without the document's
  currency blocks the document: it never silently passes or skips.
- Approvers are the union of the step's rules. Org-unit rules (cost unit, department,
  project, branch, project manager) resolve per line in a line-approval step, each
  approver keeping the lines routed to them. In any other step they resolve over the
  header and every line and take the union: everybody responsible for some part of the
  document is asked, and the completion policy decides how many must agree. A line
  inherits every org fact it does not set itself from the header.
- The requester never approves their own document: they are left out of every step. If
  that leaves a step (or, in a line-approval step, some line) without an approver, the
  requester's nearest manager takes it (the deputy rule); without one, the document is
  blocked with that reason.
- Active substitutes are added next to their principal, marked `substitute_for_id`.
- Only steps whose condition holds are checked for approvers: a skipped step cannot
  block. Automatic approval names its person instead of rules (`AUTO_APPROVED`, no
  task); on the requester's behalf it becomes an ordinary step for the deputy.
- Blocked (the document cannot be routed, DOMAIN §3): a mandatory step without an
  approver (in a line-approval step: any line without one), every step skipped, a
  named / initial / auto-approval / 4-eyes person who does not exist or is inactive, a
  limit without the document's currency, an "at least N" step with fewer than N
  approvers (per line in a line-approval step; substitutes do not count), a 4-eyes
  option without two people or without anyone but the requester. An optional step
  without an approver is skipped; its lines that found nobody need no approval there.
- Every step is planned even after a blocked one, so the simulator shows all problems.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from orgunits.resolver import OrgDirectory, OrgFacts, Person, Resolution
from workflows.definition import (
    AMOUNT_CONDITIONS,
    DAY_CONDITIONS,
    ROLE_RULE_KINDS,
    LimitRef,
    PersonRef,
    StepDefinition,
    WorkflowDefinition,
)
from workflows.models import (
    CompletionPolicy,
    StepCondition,
    StepRuleKind,
    WorkflowVersion,
)

FOUR_EYES_STEP_NAME = "4-eyes approval"
#: Rules that resolve per line (line approval) or over header and lines (otherwise).
_ORG_UNIT_RULE_KINDS = frozenset(
    {
        StepRuleKind.COST_UNIT,
        StepRuleKind.DEPARTMENT,
        StepRuleKind.PROJECT,
        StepRuleKind.BRANCH,
        StepRuleKind.PROJECT_MANAGER,
    }
)
#: `PlannedApprover.rule` values besides the `StepRuleKind` values.
RULE_DEPUTY = "deputy"
RULE_AUTO_APPROVAL = "auto_approval"
RULE_FOUR_EYES = "four_eyes"


@dataclass(frozen=True)
class RoutingLine:
    line_number: int
    amount: Decimal
    org: OrgFacts


@dataclass(frozen=True)
class RoutingFacts:
    """What routing needs to know about one document, as plain values."""

    company_id: int
    document_type: str
    amount: Decimal  # gross, in the document currency
    currency: str
    requester_number: str | None
    initial_approver_number: str | None
    received_on: date
    due_date: date | None
    today: date  # for day conditions; the caller passes it (clock is injectable)
    header: OrgFacts  # header-level org facts (department, branch, requester...)
    lines: tuple[RoutingLine, ...] = ()
    # The moment substitutions are evaluated at; None = now.
    at: datetime | None = None


class StepOutcome(StrEnum):
    ROUTE = "route"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    AUTO_APPROVED = "auto_approved"
    FOUR_EYES = "four_eyes"  # the conditional fallback step; the runtime decides


@dataclass(frozen=True)
class PlannedApprover:
    employee_id: int
    employee_number: str
    employee_name: str
    rule: str  # a StepRuleKind value, or RULE_DEPUTY / RULE_AUTO_APPROVAL / ...
    source: str  # readable: which assignment, exception or option chose them
    row_id: int | None  # the assignment / substitution row, when there is one
    substitute_for_id: int | None = None
    line_numbers: tuple[int, ...] = ()  # line-approval steps: the lines routed here


@dataclass(frozen=True)
class StepPlan:
    position: int
    name: str
    outcome: StepOutcome
    reasons: tuple[str, ...]
    approvers: tuple[PlannedApprover, ...]
    completion_policy: str
    required_count: int
    line_approval: bool
    mandatory: bool
    editing_allowed: bool
    reapprove_changes: bool
    days_to_complete: int
    auto_approved_by: PlannedApprover | None = None

    @property
    def label(self) -> str:
        return f'Step {self.position} "{self.name}"'


@dataclass(frozen=True)
class Plan:
    steps: tuple[StepPlan, ...]
    blocked: bool
    blocked_reasons: tuple[str, ...]

    def active_steps(self) -> tuple[StepPlan, ...]:
        """The steps the document will go through, in order (not the 4-eyes fallback)."""
        return tuple(
            s
            for s in self.steps
            if s.outcome in (StepOutcome.ROUTE, StepOutcome.AUTO_APPROVED)
        )

    @property
    def four_eyes_step(self) -> StepPlan | None:
        return next((s for s in self.steps if s.outcome == StepOutcome.FOUR_EYES), None)


def plan(
    facts: RoutingFacts,
    definition: WorkflowDefinition,
    *,
    directory: OrgDirectory | None = None,
) -> Plan:
    """Route a document through a workflow definition; reads only, writes nothing."""
    if definition.company_id != facts.company_id:
        raise ValueError(
            f"workflow of company {definition.company_id} cannot route a document of "
            f"company {facts.company_id}"
        )
    if definition.document_type != facts.document_type:
        raise ValueError(
            f"a {definition.document_type} workflow cannot route a "
            f"{facts.document_type}"
        )
    if directory is None:
        directory = load_directory(facts, definition)
    return _Planner(facts, definition, directory).plan()


def plan_for_version(facts: RoutingFacts, version: WorkflowVersion) -> Plan:
    """Route through a published (pinned) version."""
    return plan(facts, WorkflowDefinition.from_dict(version.definition))


def load_directory(facts: RoutingFacts, definition: WorkflowDefinition) -> OrgDirectory:
    """One `OrgDirectory.load` for the header, every line and every person named."""
    header = _header_facts(facts)
    numbers = [n for n in (facts.requester_number, facts.initial_approver_number) if n]
    return OrgDirectory.load(
        company_id=facts.company_id,
        facts=[header, *(org for org, _ in _line_groups(header, facts.lines))],
        extra_employee_ids=sorted(definition.employee_ids()),
        extra_employee_numbers=numbers,
        at=facts.at,
    )


# --- internals ------------------------------------------------------------------------


@dataclass
class _Candidate:
    """An approver being collected for one step; `lines` grows as rules add lines."""

    employee_id: int
    number: str
    name: str
    rule: str
    source: str
    row_id: int | None
    substitute_for_id: int | None = None
    lines: set[int] = field(default_factory=set)

    def planned(self, *, with_lines: bool) -> PlannedApprover:
        return PlannedApprover(
            employee_id=self.employee_id,
            employee_number=self.number,
            employee_name=self.name,
            rule=self.rule,
            source=self.source,
            row_id=self.row_id,
            substitute_for_id=self.substitute_for_id,
            line_numbers=tuple(sorted(self.lines)) if with_lines else (),
        )


@dataclass
class _Collected:
    """What a step's rules found: candidates in discovery order, notes, errors."""

    candidates: dict[int, _Candidate] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(
        self,
        *,
        employee_id: int,
        number: str,
        name: str,
        rule: str,
        source: str,
        row_id: int | None,
        lines: Iterable[int],
    ) -> None:
        # The first rule that finds a person names them; later rules only add lines.
        candidate = self.candidates.get(employee_id)
        if candidate is None:
            candidate = self.candidates[employee_id] = _Candidate(
                employee_id, number, name, rule, source, row_id
            )
        candidate.lines.update(lines)

    def add_resolution(self, resolution: Resolution, lines: Iterable[int]) -> None:
        lines = tuple(lines)
        for found in resolution.approvers:
            self.add(
                employee_id=found.employee_id,
                number=found.employee_number,
                name=found.employee_name,
                rule=str(found.rule),
                source=found.source,
                row_id=found.row_id,
                lines=lines,
            )
        self.note(resolution.notes)

    def note(self, notes: Iterable[str]) -> None:
        for text in notes:
            if text not in self.notes:
                self.notes.append(text)


class _Planner:
    def __init__(
        self,
        facts: RoutingFacts,
        definition: WorkflowDefinition,
        directory: OrgDirectory,
    ) -> None:
        self.facts = facts
        self.definition = definition
        self.directory = directory
        self.header = _header_facts(facts)
        # Lines that carry the same org facts route the same way: each distinct set of
        # facts is resolved once, for all its lines (a 200-line invoice typically spreads
        # over a handful of cost units).
        self.line_groups = _line_groups(self.header, facts.lines)
        self.line_numbers = tuple(line.line_number for line in facts.lines)
        number = facts.requester_number
        self.requester = directory.employee_by_number(number) if number else None
        # (rule kind, role, facts key) -> Resolution: steps repeating a rule reuse it.
        self._resolved: dict[tuple[str, int | None, _FactsKey], Resolution] = {}

    # --- the plan ---------------------------------------------------------------------

    def plan(self) -> Plan:
        steps: list[StepPlan] = []
        blocked_reasons: list[str] = []
        for step in self.definition.steps:
            step_plan, blocking = self._step(step)
            steps.append(step_plan)
            blocked_reasons += [f"{step_plan.label}: {reason}" for reason in blocking]
        if all(s.outcome == StepOutcome.SKIPPED for s in steps):
            # "All steps skipped" is itself a block, never an automatic approval.
            blocked_reasons.append(
                "all steps are skipped" if steps else "the workflow has no steps"
            )
        if self.definition.four_eyes_enabled:
            four_eyes, blocking = self._four_eyes(position=len(steps) + 1)
            steps.append(four_eyes)
            blocked_reasons += [f"{four_eyes.label}: {reason}" for reason in blocking]
        return Plan(
            steps=tuple(steps),
            blocked=bool(blocked_reasons),
            blocked_reasons=tuple(blocked_reasons),
        )

    def _step(self, step: StepDefinition) -> tuple[StepPlan, list[str]]:
        """The plan of one step and the reasons it blocks the document (if any)."""
        applies, condition_reason = self._condition(step)
        if applies is None:
            return self._result(step, StepOutcome.BLOCKED, [condition_reason]), [
                condition_reason
            ]
        if not applies:
            return self._result(step, StepOutcome.SKIPPED, [condition_reason]), []
        if step.auto_approve_as is not None:
            return self._auto_approval(step, condition_reason)

        collected = self._collect(step)
        reasons = [condition_reason]
        blocking = list(collected.errors)
        line_step = step.line_approval and bool(self.line_numbers)
        candidates, segregation, segregation_blocks = self._without_requester(
            collected, line_step=line_step
        )
        reasons += segregation
        blocking += segregation_blocks
        candidates = self._with_substitutes(candidates)

        if not candidates and not blocking:
            reasons += collected.notes
            if not step.mandatory:
                reasons.append("no approver found; the step is optional")
                return self._result(step, StepOutcome.SKIPPED, reasons), []
            blocking.append("no approver found for a mandatory step")
        elif candidates and line_step:
            covered = {n for c in candidates for n in c.lines}
            unrouted = [n for n in self.line_numbers if n not in covered]
            if unrouted and step.mandatory:
                blocking.append(f"no approver for {_lines_text(unrouted)}")
                reasons += collected.notes
            elif unrouted:
                reasons.append(
                    f"{_lines_text(unrouted)} found no approver and need no approval "
                    "in this optional step"
                )
        if candidates:
            blocking += self._policy_problems(step, candidates, line_step=line_step)

        outcome = StepOutcome.BLOCKED if blocking else StepOutcome.ROUTE
        return (
            self._result(
                step,
                outcome,
                _unique([*reasons, *blocking]),
                approvers=_planned(candidates, with_lines=line_step),
            ),
            blocking,
        )

    # --- conditions -------------------------------------------------------------------

    def _condition(self, step: StepDefinition) -> tuple[bool | None, str]:
        """Whether the step applies and why; None means a configuration error."""
        kind = step.condition_kind
        if kind == StepCondition.ALWAYS:
            return True, "no condition: the step always applies"
        if kind in AMOUNT_CONDITIONS:
            return self._amount_condition(step)
        if kind not in DAY_CONDITIONS:
            return None, f"unknown condition {kind!r}"
        if step.days is None:
            return None, f"the condition {step.describe_condition()} has no days"
        if kind in (
            StepCondition.DUE_IN_DAYS_BELOW,
            StepCondition.DUE_IN_DAYS_AT_LEAST,
        ):
            wants_below = kind == StepCondition.DUE_IN_DAYS_BELOW
            if self.facts.due_date is None:
                # No due date: nothing is urgent, so "due in at least N" holds.
                return (
                    not wants_below,
                    f"the document has no due date, so it is not due within "
                    f"{step.days} days",
                )
            left = (self.facts.due_date - self.facts.today).days
            text = f"due in {left} days"
        else:
            wants_below = kind == StepCondition.RECEIVED_DAYS_AGO_BELOW
            left = (self.facts.today - self.facts.received_on).days
            text = f"received {left} days ago"
        below = left < step.days
        holds = below if wants_below else not below
        relation = f"fewer than {step.days}" if below else f"{step.days} or more"
        return holds, f"{text} ({relation})"

    def _amount_condition(self, step: StepDefinition) -> tuple[bool | None, str]:
        # The absolute gross amount: a credit note routes like an invoice of its size.
        amount = abs(self.facts.amount)
        currency = self.facts.currency
        kind = step.condition_kind
        sides: list[tuple[str, LimitRef | None]] = []
        if kind in (StepCondition.AMOUNT_ABOVE, StepCondition.AMOUNT_BETWEEN):
            sides.append(("low", step.low_limit))
        if kind in (StepCondition.AMOUNT_BELOW, StepCondition.AMOUNT_BETWEEN):
            sides.append(("high", step.high_limit))
        values: dict[str, Decimal] = {}
        texts: dict[str, str] = {}
        for side, limit in sides:
            if limit is None:
                return None, f"the condition {step.describe_condition()} lacks a limit"
            value = limit.amount_for(currency)
            if value is None:
                # Never guess (convert, fall back, skip): a missing currency is a
                # configuration error the administrator must see.
                return None, f'limit "{limit.name}" has no amount in {currency}'
            values[side] = value
            texts[side] = f'limit "{limit.name}" ({_money(value, currency)})'
        low, high = values.get("low"), values.get("high")
        holds = (low is None or amount >= low) and (high is None or amount < high)
        shown = f"amount {_money(amount, currency)}"
        if kind == StepCondition.AMOUNT_BELOW:
            verb = "is below" if holds else "is not below"
            return holds, f"{shown} {verb} {texts['high']}"
        if kind == StepCondition.AMOUNT_ABOVE:
            verb = "is at or above" if holds else "is below"
            return holds, f"{shown} {verb} {texts['low']}"
        verb = "is between" if holds else "is not between"
        return holds, f"{shown} {verb} {texts['low']} and {texts['high']}"

    # --- rules ------------------------------------------------------------------------

    def _collect(self, step: StepDefinition) -> _Collected:
        """The union of the step's rules, before segregation and substitutes."""
        collected = _Collected()
        line_step = step.line_approval and bool(self.line_numbers)
        # Distinct facts in order of first appearance: the first rule and facts to find
        # a person still name them, and notes keep their order, exactly as line by line.
        if line_step:
            scopes: Sequence[tuple[tuple[int, ...], OrgFacts]] = [
                (numbers, facts) for facts, numbers in self.line_groups
            ]
        else:
            # Header plus every line, approvers without line numbers: see the module
            # docstring for why a non-line step takes the union.
            header_key = _facts_key(self.header)
            scopes = [
                ((), self.header),
                *(
                    ((), facts)
                    for facts, _ in self.line_groups
                    if _facts_key(facts) != header_key
                ),
            ]
        whole_document = self.line_numbers if line_step else ()
        directory = self.directory
        requester_number = self.facts.requester_number
        for rule in step.rules:
            if rule.kind in ROLE_RULE_KINDS and rule.role_id is None:
                collected.errors.append(f"the {rule.describe()} rule has no role")
                continue
            if rule.kind in _ORG_UNIT_RULE_KINDS:
                for lines, facts in scopes:
                    resolution = self._org_unit_rule(rule.kind, rule.role_id, facts)
                    collected.add_resolution(resolution, lines)
            elif rule.kind == StepRuleKind.NEAREST_MANAGER:
                resolution = directory.nearest_manager(
                    requester_number=requester_number
                )
                collected.add_resolution(resolution, whole_document)
            elif rule.kind == StepRuleKind.REQUESTER_EXCEPTION:
                resolution = directory.requester_exceptions(
                    role_id=rule.role_id or 0, requester_number=requester_number
                )
                collected.add_resolution(resolution, whole_document)
            elif rule.kind == StepRuleKind.NAMED:
                for person in rule.approvers:
                    self._add_named(collected, person, whole_document)
            elif rule.kind == StepRuleKind.INITIAL_APPROVER:
                self._add_initial_approver(collected, whole_document)
            else:
                collected.errors.append(f"unknown approver rule {rule.kind!r}")
        return collected

    def _org_unit_rule(
        self, kind: str, role_id: int | None, facts: OrgFacts
    ) -> Resolution:
        """One org-unit rule over one set of facts (a line, or the header), memoised."""
        key = (kind, role_id, _facts_key(facts))
        resolution = self._resolved.get(key)
        if resolution is None:
            resolution = self._resolved[key] = self._resolve(kind, role_id, facts)
        return resolution

    def _resolve(self, kind: str, role_id: int | None, facts: OrgFacts) -> Resolution:
        directory = self.directory
        if kind == StepRuleKind.PROJECT_MANAGER:
            return directory.project_manager(facts=facts)
        role = role_id or 0  # checked by the caller: role kinds always carry a role
        if kind == StepRuleKind.COST_UNIT:
            return directory.by_cost_units(role_id=role, facts=facts)
        if kind == StepRuleKind.DEPARTMENT:
            return directory.by_department(role_id=role, facts=facts)
        if kind == StepRuleKind.PROJECT:
            return directory.by_project(role_id=role, facts=facts)
        return directory.by_branch(role_id=role, facts=facts)

    def _add_named(
        self, collected: _Collected, person: PersonRef, lines: Sequence[int]
    ) -> None:
        employee, problem = self._named_person(person, "named approver")
        if employee is None:
            collected.errors.append(problem)
            return
        collected.add(
            employee_id=employee.pk,
            number=employee.number,
            name=employee.name,
            rule=StepRuleKind.NAMED.value,
            source="named approver",
            row_id=None,
            lines=lines,
        )

    def _add_initial_approver(
        self, collected: _Collected, lines: Sequence[int]
    ) -> None:
        number = self.facts.initial_approver_number
        if not number:
            collected.note(["The document names no initial approver."])
            return
        employee = self.directory.employee_by_number(number)
        if employee is None:
            collected.errors.append(f"initial approver {number} does not exist")
            return
        if not employee.active:
            collected.errors.append(
                f"initial approver {employee.name} ({number}) is inactive"
            )
            return
        collected.add(
            employee_id=employee.pk,
            number=employee.number,
            name=employee.name,
            rule=StepRuleKind.INITIAL_APPROVER.value,
            source="initial approver named on the document",
            row_id=None,
            lines=lines,
        )

    def _named_person(self, person: PersonRef, what: str) -> tuple[Person | None, str]:
        """The employee a definition names, or why they cannot approve."""
        employee = self.directory.employee(person.employee_id)
        if employee is None or employee.company_id != self.facts.company_id:
            return None, f"{what} {person} does not exist"
        if not employee.active:
            return None, f"{what} {person} is inactive"
        return employee, ""

    # --- segregation of duties and substitutes ----------------------------------------

    def _is_requester(self, employee_id: int, number: str) -> bool:
        if self.requester is not None and employee_id == self.requester.pk:
            return True
        return (
            bool(self.facts.requester_number) and number == self.facts.requester_number
        )

    def _without_requester(
        self, collected: _Collected, *, line_step: bool
    ) -> tuple[list[_Candidate], list[str], list[str]]:
        """Leave the requester out; apply the deputy rule where that leaves a gap.

        Returns the candidates, informational reasons and blocking reasons.
        """
        everyone = list(collected.candidates.values())
        kept = [c for c in everyone if not self._is_requester(c.employee_id, c.number)]
        if len(kept) == len(everyone):
            return kept, [], []
        requester = self._requester_text()
        if line_step:
            orphaned = sorted(
                {n for c in everyone for n in c.lines}
                - {n for c in kept for n in c.lines}
            )
            if not orphaned:
                return kept, [f"requester {requester} was left out"], []
            gap = _lines_text(orphaned)
        elif kept:
            return kept, [f"requester {requester} was left out"], []
        else:
            orphaned = []
            gap = "the step"
        deputy = self.directory.nearest_manager(
            requester_number=self.facts.requester_number
        )
        if not deputy.approvers:
            return (
                kept,
                list(deputy.notes),
                [
                    f"requester {requester} may not approve their own document and "
                    f"has no nearest manager to take {gap} (deputy rule)"
                ],
            )
        manager = deputy.approvers[0]
        merged = {c.employee_id: c for c in kept}
        candidate = merged.get(manager.employee_id)
        if candidate is None:
            candidate = merged[manager.employee_id] = _Candidate(
                employee_id=manager.employee_id,
                number=manager.employee_number,
                name=manager.employee_name,
                rule=RULE_DEPUTY,
                source=f"deputy: {manager.source}",
                row_id=manager.row_id,
            )
        candidate.lines.update(orphaned)
        return (
            list(merged.values()),
            [
                f"requester {requester} was left out; their nearest manager "
                f"{manager.employee_name} takes {gap} (deputy rule)"
            ],
            [],
        )

    def _with_substitutes(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """Each approver's active substitutes join them, on the same lines."""
        seen = {c.employee_id for c in candidates}
        extra: list[_Candidate] = []
        for principal in candidates:
            for substitution, person in self.directory.active_substitutes(
                principal.employee_id
            ):
                if person.pk in seen or self._is_requester(person.pk, person.number):
                    continue
                seen.add(person.pk)
                extra.append(
                    _Candidate(
                        employee_id=person.pk,
                        number=person.number,
                        name=person.name,
                        rule=principal.rule,
                        source=f"substitute for {principal.name} ({principal.source})",
                        row_id=substitution.pk,
                        substitute_for_id=principal.employee_id,
                        lines=set(principal.lines),
                    )
                )
        return [*candidates, *extra]

    def _requester_text(self) -> str:
        if self.requester is not None:
            return f"{self.requester.name} ({self.requester.number})"
        return str(self.facts.requester_number)

    # --- policies, automatic approval, 4-eyes -----------------------------------------

    def _policy_problems(
        self, step: StepDefinition, candidates: Sequence[_Candidate], *, line_step: bool
    ) -> list[str]:
        if step.completion_policy not in CompletionPolicy.values:
            return [f"unknown completion policy {step.completion_policy!r}"]
        if step.completion_policy != CompletionPolicy.AT_LEAST:
            return []
        needed = step.required_count
        # Substitutes act on behalf of their principal: they do not add a person.
        principals = [c for c in candidates if c.substitute_for_id is None]
        if line_step:
            per_line = Counter(n for c in principals for n in c.lines)
            short = [n for n in self.line_numbers if per_line[n] < needed]
            if short:
                return [f"needs at least {needed} approvers on {_lines_text(short)}"]
            return []
        if len(principals) < needed:
            return [f"needs at least {needed} approvers, found {len(principals)}"]
        return []

    def _auto_approval(
        self, step: StepDefinition, condition_reason: str
    ) -> tuple[StepPlan, list[str]]:
        person = step.auto_approve_as
        if person is None:
            raise ValueError(f"{step.label} has no automatic approval")
        employee, problem = self._named_person(person, "automatic-approval approver")
        if employee is None:
            return self._result(
                step, StepOutcome.BLOCKED, [condition_reason, problem]
            ), [problem]
        if self._is_requester(employee.pk, employee.number):
            # Approving automatically on the requester's behalf would be approving
            # their own document: the deputy takes the step as an ordinary task.
            collected = _Collected()
            collected.add(
                employee_id=employee.pk,
                number=employee.number,
                name=employee.name,
                rule=RULE_AUTO_APPROVAL,
                source="automatic approval",
                row_id=None,
                lines=(),
            )
            candidates, reasons, blocking = self._without_requester(
                collected, line_step=False
            )
            candidates = self._with_substitutes(candidates)
            outcome = StepOutcome.BLOCKED if blocking else StepOutcome.ROUTE
            return (
                self._result(
                    step,
                    outcome,
                    [condition_reason, *reasons, *blocking],
                    approvers=_planned(candidates, with_lines=False),
                ),
                blocking,
            )
        approver = PlannedApprover(
            employee_id=employee.pk,
            employee_number=employee.number,
            employee_name=employee.name,
            rule=RULE_AUTO_APPROVAL,
            source=f"automatic approval on behalf of {employee.name}",
            row_id=None,
        )
        return (
            self._result(
                step,
                StepOutcome.AUTO_APPROVED,
                [
                    condition_reason,
                    f"approved automatically on behalf of {employee.name}",
                ],
                auto_approved_by=approver,
            ),
            [],
        )

    def _four_eyes(self, *, position: int) -> tuple[StepPlan, list[str]]:
        """The fallback step; it fires only if one single person approved everything."""
        people = self.definition.four_eyes_people
        collected = _Collected()
        for person in people:
            employee, problem = self._named_person(person, "4-eyes person")
            if employee is None:
                collected.errors.append(problem)
                continue
            if self._is_requester(employee.pk, employee.number):
                continue
            collected.add(
                employee_id=employee.pk,
                number=employee.number,
                name=employee.name,
                rule=RULE_FOUR_EYES,
                source="4-eyes fallback person",
                row_id=None,
                lines=(),
            )
        blocking = list(collected.errors)
        if len({p.employee_id for p in people}) < 2:
            blocking.append("4-eyes approval needs at least two fallback people")
        candidates = self._with_substitutes(list(collected.candidates.values()))
        if not collected.candidates:
            blocking.append("no 4-eyes fallback person is left besides the requester")
        reasons = [
            "used only when one single person approved every step; that person is "
            "left out and one of the others completes it"
        ]
        last = self.definition.steps[-1] if self.definition.steps else None
        step_plan = StepPlan(
            position=position,
            name=FOUR_EYES_STEP_NAME,
            outcome=StepOutcome.BLOCKED if blocking else StepOutcome.FOUR_EYES,
            reasons=tuple([*reasons, *blocking]),
            approvers=_planned(candidates, with_lines=False),
            completion_policy=CompletionPolicy.ANY.value,
            required_count=1,
            line_approval=False,
            mandatory=True,
            editing_allowed=False,
            reapprove_changes=False,
            days_to_complete=last.days_to_complete if last else 5,
        )
        return step_plan, blocking

    def _result(
        self,
        step: StepDefinition,
        outcome: StepOutcome,
        reasons: Sequence[str],
        *,
        approvers: tuple[PlannedApprover, ...] = (),
        auto_approved_by: PlannedApprover | None = None,
    ) -> StepPlan:
        return StepPlan(
            position=step.position,
            name=step.name,
            outcome=outcome,
            reasons=tuple(reasons),
            approvers=approvers,
            completion_policy=step.completion_policy,
            required_count=step.required_count,
            line_approval=step.line_approval,
            mandatory=step.mandatory,
            editing_allowed=step.editing_allowed,
            reapprove_changes=step.reapprove_changes,
            days_to_complete=step.days_to_complete,
            auto_approved_by=auto_approved_by,
        )


# --- helpers --------------------------------------------------------------------------


def _header_facts(facts: RoutingFacts) -> OrgFacts:
    """The header facts, carrying the requester (requester exceptions need it)."""
    if (
        facts.requester_number
        and facts.header.requester_number != facts.requester_number
    ):
        return dataclasses.replace(
            facts.header, requester_number=facts.requester_number
        )
    return facts.header


def _line_facts(header: OrgFacts, line: OrgFacts) -> OrgFacts:
    """A line's facts, inheriting what it does not set from the header.

    An invoice header typically names the branch and department once; lines rarely
    repeat them. A project task only means something with its project, so the task is
    taken together with the project.
    """
    has_project = bool(line.project_code)
    return OrgFacts(
        requester_number=line.requester_number or header.requester_number,
        segment_values={**header.segment_values, **line.segment_values},
        department_code=line.department_code or header.department_code,
        project_code=line.project_code if has_project else header.project_code,
        task_code=line.task_code if has_project else header.task_code,
        branch_code=line.branch_code or header.branch_code,
    )


#: What makes two sets of org facts route alike (`OrgFacts` holds a dict: unhashable).
_FactsKey = tuple[object, ...]


def _facts_key(facts: OrgFacts) -> _FactsKey:
    return (
        facts.requester_number,
        frozenset(facts.segment_values.items()),
        facts.department_code,
        facts.project_code,
        facts.task_code,
        facts.branch_code,
    )


def _line_groups(
    header: OrgFacts, lines: Iterable[RoutingLine]
) -> list[tuple[OrgFacts, tuple[int, ...]]]:
    """Each distinct line's facts (header inherited) with its line numbers, in order."""
    groups: dict[_FactsKey, tuple[OrgFacts, list[int]]] = {}
    for line in lines:
        key = _facts_key(line.org)
        group = groups.get(key)
        if group is None:
            group = groups[key] = (_line_facts(header, line.org), [])
        group[1].append(line.line_number)
    # Different raw facts can inherit into the same facts: merge them too, keeping the
    # order in which each merged key first appears.
    merged: dict[_FactsKey, tuple[OrgFacts, list[int]]] = {}
    for facts, numbers in groups.values():
        key = _facts_key(facts)
        if key in merged:
            merged[key][1].extend(numbers)
        else:
            merged[key] = (facts, list(numbers))
    return [(facts, tuple(numbers)) for facts, numbers in merged.values()]


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def _lines_text(numbers: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


def _planned(
    candidates: Iterable[_Candidate], *, with_lines: bool
) -> tuple[PlannedApprover, ...]:
    # Deterministic order whatever the discovery order: by name, then id.
    return tuple(
        c.planned(with_lines=with_lines)
        for c in sorted(candidates, key=lambda c: (c.name, c.employee_id))
    )


def _unique(texts: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(texts))
