"""A workflow as plain, immutable data: what the engine routes with.

`WorkflowDefinition` is built from the editable rows (`definition_from_workflow`), from a
published version's JSON (`WorkflowDefinition.from_dict`), or from form data by the
simulator. The engine only ever sees this shape, so a draft, a live workflow and a pinned
version are routed by the same code.

Limits are referenced by name and carry their per-currency amounts, copied at build time:
a published version keeps the amounts it was published with. People are referenced by
employee id with the number and name at build time, for messages and diffs; whether they
still exist is for the engine to check at routing time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from orgunits.models import DocumentType, Employee
from workflows.models import (
    CompletionPolicy,
    Limit,
    Step,
    StepCondition,
    StepRuleKind,
    Workflow,
)

T = TypeVar("T")

#: Bumped when the JSON shape changes incompatibly; `from_dict` refuses other formats.
FORMAT = 1

ROLE_RULE_KINDS = frozenset(
    {
        StepRuleKind.COST_UNIT,
        StepRuleKind.DEPARTMENT,
        StepRuleKind.PROJECT,
        StepRuleKind.BRANCH,
        StepRuleKind.REQUESTER_EXCEPTION,
    }
)
AMOUNT_CONDITIONS = frozenset(
    {
        StepCondition.AMOUNT_BELOW,
        StepCondition.AMOUNT_ABOVE,
        StepCondition.AMOUNT_BETWEEN,
    }
)
DAY_CONDITIONS = frozenset(
    {
        StepCondition.DUE_IN_DAYS_BELOW,
        StepCondition.DUE_IN_DAYS_AT_LEAST,
        StepCondition.RECEIVED_DAYS_AGO_BELOW,
        StepCondition.RECEIVED_DAYS_AGO_AT_LEAST,
    }
)


class DefinitionFormatError(ValueError):
    """The JSON is not a workflow definition this code can read."""


@dataclass(frozen=True)
class PersonRef:
    """An employee named by the workflow (named approver, auto-approval, 4-eyes)."""

    employee_id: int
    number: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.number})" if self.name else self.number

    def to_dict(self) -> dict[str, object]:
        return {"id": self.employee_id, "number": self.number, "name": self.name}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PersonRef:
        return cls(
            employee_id=_int(data["id"]),
            number=str(data["number"]),
            name=str(data.get("name", "")),
        )


@dataclass(frozen=True)
class LimitRef:
    """A named limit with its amounts per currency, sorted by currency."""

    name: str
    amounts: tuple[tuple[str, Decimal], ...] = ()

    def amount_for(self, currency: str) -> Decimal | None:
        for code, amount in self.amounts:
            if code == currency:
                return amount
        return None

    def describe_amounts(self) -> str:
        return ", ".join(f"{code} {amount}" for code, amount in self.amounts) or "none"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "amounts": {code: str(amount) for code, amount in self.amounts},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LimitRef:
        amounts = data.get("amounts") or {}
        if not isinstance(amounts, Mapping):
            raise DefinitionFormatError("limit amounts must be an object")
        return cls.of(str(data["name"]), amounts)

    @classmethod
    def of(cls, name: str, amounts: Mapping[str, object]) -> LimitRef:
        """Build from a currency → amount mapping (amounts as Decimal, int or str)."""
        return cls(
            name=name,
            amounts=tuple(
                sorted((str(code), _decimal(value)) for code, value in amounts.items())
            ),
        )

    @classmethod
    def from_limit(cls, limit: Limit) -> LimitRef:
        """From a Limit row; uses prefetched `amounts` when present."""
        return cls.of(limit.name, {a.currency: a.amount for a in limit.amounts.all()})


@dataclass(frozen=True)
class RuleDefinition:
    """One way a step finds approvers (`StepRule`)."""

    kind: str
    role_id: int | None = None
    role_name: str = ""
    approvers: tuple[PersonRef, ...] = ()

    def describe(self) -> str:
        label = self.kind.replace("_", " ")
        if self.kind == StepRuleKind.NAMED:
            people = ", ".join(str(p) for p in self.approvers) or "nobody"
            return f"named {people}"
        if self.role_id is not None:
            return f"{label} ({self.role_name or f'role #{self.role_id}'})"
        return label

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "role_id": self.role_id,
            "role_name": self.role_name,
            "approvers": [p.to_dict() for p in self.approvers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> RuleDefinition:
        role_id = data.get("role_id")
        return cls(
            kind=str(data["kind"]),
            role_id=None if role_id is None else _int(role_id),
            role_name=str(data.get("role_name", "")),
            approvers=tuple(PersonRef.from_dict(p) for p in _list(data, "approvers")),
        )


@dataclass(frozen=True)
class StepDefinition:
    """One step with its condition, rules and options (`Step`)."""

    position: int
    name: str
    condition_kind: str = StepCondition.ALWAYS.value
    low_limit: LimitRef | None = None
    high_limit: LimitRef | None = None
    days: int | None = None
    rules: tuple[RuleDefinition, ...] = ()
    mandatory: bool = True
    completion_policy: str = CompletionPolicy.ANY.value
    required_count: int = 1
    line_approval: bool = False
    editing_allowed: bool = False
    reapprove_changes: bool = False
    auto_approve_as: PersonRef | None = None
    days_to_complete: int = 5

    @property
    def label(self) -> str:
        return f'Step {self.position} "{self.name}"'

    def describe_condition(self) -> str:
        kind = self.condition_kind
        low = f'"{self.low_limit.name}"' if self.low_limit else "?"
        high = f'"{self.high_limit.name}"' if self.high_limit else "?"
        if kind == StepCondition.ALWAYS:
            return "always"
        if kind == StepCondition.AMOUNT_BELOW:
            return f"below {high}"
        if kind == StepCondition.AMOUNT_ABOVE:
            return f"above {low}"
        if kind == StepCondition.AMOUNT_BETWEEN:
            return f"between {low} and {high}"
        if kind == StepCondition.DUE_IN_DAYS_BELOW:
            return f"due in fewer than {self.days} days"
        if kind == StepCondition.DUE_IN_DAYS_AT_LEAST:
            return f"due in {self.days} days or more"
        if kind == StepCondition.RECEIVED_DAYS_AGO_BELOW:
            return f"received fewer than {self.days} days ago"
        if kind == StepCondition.RECEIVED_DAYS_AGO_AT_LEAST:
            return f"received {self.days} or more days ago"
        return f"unknown condition {kind!r}"

    def describe_policy(self) -> str:
        if self.completion_policy == CompletionPolicy.AT_LEAST:
            return f"at least {self.required_count}"
        return self.completion_policy

    def to_dict(self) -> dict[str, object]:
        return {
            "position": self.position,
            "name": self.name,
            "condition_kind": self.condition_kind,
            "low_limit": self.low_limit.to_dict() if self.low_limit else None,
            "high_limit": self.high_limit.to_dict() if self.high_limit else None,
            "days": self.days,
            "rules": [r.to_dict() for r in self.rules],
            "mandatory": self.mandatory,
            "completion_policy": self.completion_policy,
            "required_count": self.required_count,
            "line_approval": self.line_approval,
            "editing_allowed": self.editing_allowed,
            "reapprove_changes": self.reapprove_changes,
            "auto_approve_as": (
                self.auto_approve_as.to_dict() if self.auto_approve_as else None
            ),
            "days_to_complete": self.days_to_complete,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> StepDefinition:
        days = data.get("days")
        return cls(
            position=_int(data["position"]),
            name=str(data["name"]),
            condition_kind=str(data.get("condition_kind", StepCondition.ALWAYS)),
            low_limit=_optional(data, "low_limit", LimitRef.from_dict),
            high_limit=_optional(data, "high_limit", LimitRef.from_dict),
            days=None if days is None else _int(days),
            rules=tuple(RuleDefinition.from_dict(r) for r in _list(data, "rules")),
            mandatory=bool(data.get("mandatory", True)),
            completion_policy=str(data.get("completion_policy", CompletionPolicy.ANY)),
            required_count=_int(data.get("required_count", 1)),
            line_approval=bool(data.get("line_approval", False)),
            editing_allowed=bool(data.get("editing_allowed", False)),
            reapprove_changes=bool(data.get("reapprove_changes", False)),
            auto_approve_as=_optional(data, "auto_approve_as", PersonRef.from_dict),
            days_to_complete=_int(data.get("days_to_complete", 5)),
        )


@dataclass(frozen=True)
class WorkflowDefinition:
    """The whole workflow: steps in order plus the workflow-wide options."""

    company_id: int
    document_type: str
    name: str
    steps: tuple[StepDefinition, ...] = ()
    description: str = ""
    four_eyes_enabled: bool = False
    four_eyes_people: tuple[PersonRef, ...] = ()
    skip_when_already_approved: bool = False

    def limits(self) -> dict[str, LimitRef]:
        """Every limit the steps use, by name."""
        found: dict[str, LimitRef] = {}
        for step in self.steps:
            for limit in (step.low_limit, step.high_limit):
                if limit is not None:
                    found[limit.name] = limit
        return found

    def employee_ids(self) -> set[int]:
        """Every employee the definition names (named rules, auto-approval, 4-eyes)."""
        ids = {p.employee_id for p in self.four_eyes_people}
        for step in self.steps:
            if step.auto_approve_as is not None:
                ids.add(step.auto_approve_as.employee_id)
            for rule in step.rules:
                ids.update(p.employee_id for p in rule.approvers)
        return ids

    def to_dict(self) -> dict[str, object]:
        """JSON-safe: amounts as strings, people and roles by id with their names."""
        return {
            "format": FORMAT,
            "company_id": self.company_id,
            "document_type": self.document_type,
            "name": self.name,
            "description": self.description,
            "four_eyes_enabled": self.four_eyes_enabled,
            "four_eyes_people": [p.to_dict() for p in self.four_eyes_people],
            "skip_when_already_approved": self.skip_when_already_approved,
            "steps": [s.to_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> WorkflowDefinition:
        if data.get("format") != FORMAT:
            raise DefinitionFormatError(
                f"unsupported workflow definition format {data.get('format')!r}"
            )
        try:
            return cls(
                company_id=_int(data["company_id"]),
                document_type=str(data["document_type"]),
                name=str(data["name"]),
                description=str(data.get("description", "")),
                four_eyes_enabled=bool(data.get("four_eyes_enabled", False)),
                four_eyes_people=tuple(
                    PersonRef.from_dict(p) for p in _list(data, "four_eyes_people")
                ),
                skip_when_already_approved=bool(
                    data.get("skip_when_already_approved", False)
                ),
                steps=tuple(StepDefinition.from_dict(s) for s in _list(data, "steps")),
            )
        except (KeyError, TypeError) as error:
            raise DefinitionFormatError(
                f"malformed workflow definition: {error}"
            ) from error


# --- building from the editable rows --------------------------------------------------


def definition_from_workflow(workflow: Workflow) -> WorkflowDefinition:
    """The definition of a workflow's current rows, in a constant number of queries."""
    steps = (
        Step.objects.filter(workflow=workflow)
        .select_related("low_limit", "high_limit", "auto_approve_as")
        .prefetch_related(
            "low_limit__amounts",
            "high_limit__amounts",
            "rules__role",
            "rules__approvers",
        )
        .order_by("position")
    )
    return WorkflowDefinition(
        company_id=workflow.company_id,
        document_type=workflow.document_type,
        name=workflow.name,
        description=workflow.description,
        four_eyes_enabled=workflow.four_eyes_enabled,
        four_eyes_people=_people(workflow.four_eyes_people.all()),
        skip_when_already_approved=workflow.skip_when_already_approved,
        steps=tuple(
            StepDefinition(
                position=step.position,
                name=step.name,
                condition_kind=step.condition_kind,
                low_limit=LimitRef.from_limit(step.low_limit)
                if step.low_limit
                else None,
                high_limit=LimitRef.from_limit(step.high_limit)
                if step.high_limit
                else None,
                days=step.days,
                rules=tuple(
                    RuleDefinition(
                        kind=rule.kind,
                        role_id=rule.role_id,
                        role_name=rule.role.name if rule.role else "",
                        approvers=_people(rule.approvers.all()),
                    )
                    # Sorted in Python: an order_by here would bypass the prefetch.
                    for rule in sorted(
                        step.rules.all(), key=lambda r: (r.position, r.pk)
                    )
                ),
                mandatory=step.mandatory,
                completion_policy=step.completion_policy,
                required_count=step.required_count,
                line_approval=step.line_approval,
                editing_allowed=step.editing_allowed,
                reapprove_changes=step.reapprove_changes,
                auto_approve_as=(
                    _person(step.auto_approve_as) if step.auto_approve_as else None
                ),
                days_to_complete=step.days_to_complete,
            )
            for step in steps
        ),
    )


# --- validation -----------------------------------------------------------------------


def definition_problems(
    definition: WorkflowDefinition, *, complete: bool = True
) -> tuple[str, ...]:
    """Configuration mistakes that make a definition unfit to activate, in step order.

    With `complete=False` (saving a draft) only the mistakes that make it unstorable
    are reported; a draft may still lack steps, rules, approvers or 4-eyes people.
    Pure: whether named people still exist is checked against the database by the
    activation service and at routing time by the engine.
    """
    problems: list[str] = []
    if not definition.name.strip():
        problems.append("The workflow needs a name.")
    if definition.document_type not in DocumentType.values:
        problems.append(f"Unknown document type {definition.document_type!r}.")
    if complete and not definition.steps:
        problems.append("The workflow has no steps.")
    if complete and definition.four_eyes_enabled:
        distinct = {p.employee_id for p in definition.four_eyes_people}
        if len(distinct) < 2:
            problems.append("4-eyes approval needs at least two fallback people.")
    positions = [s.position for s in definition.steps]
    if positions != list(range(1, len(positions) + 1)):
        problems.append("Steps must be numbered 1, 2, 3… without gaps.")
    for step in definition.steps:
        problems.extend(
            f"{step.label}: {p}" for p in _step_problems(step, complete=complete)
        )
    return tuple(problems)


def _step_problems(step: StepDefinition, *, complete: bool) -> Iterable[str]:
    if not step.name.strip():
        yield "the step needs a name."
    yield from _condition_problems(step)
    if step.completion_policy not in CompletionPolicy.values:
        yield f"unknown completion policy {step.completion_policy!r}."
    if step.required_count < 1:
        yield "“at least N” needs N of 1 or more."
    if step.days_to_complete < 1:
        yield "days to complete must be 1 or more."
    if complete and not step.rules and step.auto_approve_as is None:
        yield "the step has no approver rule."
    for rule in step.rules:
        if rule.kind not in StepRuleKind.values:
            yield f"unknown approver rule {rule.kind!r}."
        elif complete and rule.kind == StepRuleKind.NAMED and not rule.approvers:
            yield "a named-approver rule needs at least one approver."
        elif rule.kind in ROLE_RULE_KINDS and rule.role_id is None:
            yield f"the {rule.describe()} rule needs an approver role."
        elif rule.kind not in ROLE_RULE_KINDS and rule.role_id is not None:
            yield f"the {rule.describe()} rule takes no approver role."
        if rule.kind != StepRuleKind.NAMED and rule.approvers:
            yield f"the {rule.describe()} rule takes no named approvers."


def _condition_problems(step: StepDefinition) -> Iterable[str]:
    kind = step.condition_kind
    wants_low = kind in (StepCondition.AMOUNT_ABOVE, StepCondition.AMOUNT_BETWEEN)
    wants_high = kind in (StepCondition.AMOUNT_BELOW, StepCondition.AMOUNT_BETWEEN)
    if kind not in StepCondition.values:
        yield f"unknown condition {kind!r}."
        return
    if wants_low != (step.low_limit is not None) or wants_high != (
        step.high_limit is not None
    ):
        needed = {
            (True, True): "two limits",
            (True, False): "a lower limit only",
            (False, True): "an upper limit only",
            (False, False): "no limit",
        }[(wants_low, wants_high)]
        yield f"the condition {step.describe_condition()} takes {needed}."
    if (kind in DAY_CONDITIONS) != (step.days is not None):
        yield (
            "a days condition needs a number of days."
            if kind in DAY_CONDITIONS
            else "only a days condition takes a number of days."
        )
    if step.days is not None and step.days < 0:
        yield "the number of days cannot be negative."
    if step.low_limit is not None and step.high_limit is not None:
        if step.low_limit.name == step.high_limit.name:
            yield "between needs two different limits."
            return
        for code, low in step.low_limit.amounts:
            high = step.high_limit.amount_for(code)
            if high is not None and low >= high:
                yield (
                    f'limit "{step.low_limit.name}" ({code} {low}) is not below '
                    f'"{step.high_limit.name}" ({code} {high}).'
                )


# --- diff -----------------------------------------------------------------------------


def definition_diff(
    old: WorkflowDefinition | None, new: WorkflowDefinition
) -> list[str]:
    """What changed, as readable lines for the change log (empty when nothing did)."""
    if old is None:
        lines = [f'Workflow "{new.name}" ({new.document_type})']
        lines += [f"{s.label} added: {_describe_step(s)}" for s in new.steps]
        if new.four_eyes_enabled:
            lines.append(f"4-eyes approval on: {_people_text(new.four_eyes_people)}")
        return lines
    lines = []
    if old.name != new.name:
        lines.append(f'Name: "{old.name}" → "{new.name}"')
    if old.description != new.description:
        lines.append("Description changed")
    if old.four_eyes_enabled != new.four_eyes_enabled:
        lines.append(
            f"4-eyes approval: {_on(old.four_eyes_enabled)} → "
            f"{_on(new.four_eyes_enabled)}"
        )
    lines += _people_diff("4-eyes people", old.four_eyes_people, new.four_eyes_people)
    if old.skip_when_already_approved != new.skip_when_already_approved:
        lines.append(
            "Skip steps already approved: "
            f"{_on(old.skip_when_already_approved)} → "
            f"{_on(new.skip_when_already_approved)}"
        )
    old_steps = {s.position: s for s in old.steps}
    new_steps = {s.position: s for s in new.steps}
    for position in sorted(old_steps.keys() | new_steps.keys()):
        before, after = old_steps.get(position), new_steps.get(position)
        if before is None and after is not None:
            lines.append(f"{after.label} added: {_describe_step(after)}")
        elif after is None and before is not None:
            lines.append(f"{before.label} removed")
        elif before is not None and after is not None:
            lines += [
                f"{after.label}: {change}" for change in _step_diff(before, after)
            ]
    old_limits, new_limits = old.limits(), new.limits()
    for name in sorted(old_limits.keys() & new_limits.keys()):
        if old_limits[name].amounts != new_limits[name].amounts:
            lines.append(
                f'Limit "{name}": {old_limits[name].describe_amounts()} → '
                f"{new_limits[name].describe_amounts()}"
            )
    return lines


def _step_diff(old: StepDefinition, new: StepDefinition) -> Iterable[str]:
    if old.name != new.name:
        yield f'name "{old.name}" → "{new.name}"'
    if old.describe_condition() != new.describe_condition():
        yield f"condition {old.describe_condition()} → {new.describe_condition()}"
    old_rules = [r.describe() for r in old.rules]
    new_rules = [r.describe() for r in new.rules]
    if old_rules != new_rules:
        yield f"rules {'; '.join(old_rules) or 'none'} → {'; '.join(new_rules) or 'none'}"
    if old.describe_policy() != new.describe_policy():
        yield f"completion {old.describe_policy()} → {new.describe_policy()}"
    for attribute, label in (
        ("mandatory", "mandatory"),
        ("line_approval", "line approval"),
        ("editing_allowed", "editing allowed"),
        ("reapprove_changes", "re-approve changes"),
    ):
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before != after:
            yield f"{label} {_yes(before)} → {_yes(after)}"
    if old.auto_approve_as != new.auto_approve_as:
        yield (
            f"automatic approval {_person_text(old.auto_approve_as)} → "
            f"{_person_text(new.auto_approve_as)}"
        )
    if old.days_to_complete != new.days_to_complete:
        yield f"days to complete {old.days_to_complete} → {new.days_to_complete}"


def _describe_step(step: StepDefinition) -> str:
    parts = [
        f"condition {step.describe_condition()}",
        f"rules {'; '.join(r.describe() for r in step.rules) or 'none'}",
        f"completion {step.describe_policy()}",
        "mandatory" if step.mandatory else "optional",
    ]
    if step.line_approval:
        parts.append("line approval")
    if step.auto_approve_as is not None:
        parts.append(f"automatic approval as {step.auto_approve_as}")
    return ", ".join(parts)


def _people_diff(
    label: str, old: Sequence[PersonRef], new: Sequence[PersonRef]
) -> list[str]:
    before = {p.employee_id: p for p in old}
    after = {p.employee_id: p for p in new}
    added = [str(after[i]) for i in sorted(after.keys() - before.keys())]
    removed = [str(before[i]) for i in sorted(before.keys() - after.keys())]
    if not added and not removed:
        return []
    changes = [f"+ {p}" for p in added] + [f"− {p}" for p in removed]
    return [f"{label}: {'; '.join(changes)}"]


def _people_text(people: Sequence[PersonRef]) -> str:
    return ", ".join(str(p) for p in people) or "nobody"


def _person_text(person: PersonRef | None) -> str:
    return "off" if person is None else f"as {person}"


def _on(value: bool) -> str:
    return "on" if value else "off"


def _yes(value: bool) -> str:
    return "yes" if value else "no"


# --- small parsing helpers ------------------------------------------------------------


def _person(employee: Employee) -> PersonRef:
    return PersonRef(
        employee_id=employee.pk, number=employee.number, name=employee.name
    )


def _people(employees: Iterable[Employee]) -> tuple[PersonRef, ...]:
    return tuple(
        sorted((_person(e) for e in employees), key=lambda p: (p.name, p.employee_id))
    )


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DefinitionFormatError(f"expected an integer, got {value!r}")
    return int(value)


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise DefinitionFormatError(f"expected an amount, got {value!r}")
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation as error:
        raise DefinitionFormatError(f"expected an amount, got {value!r}") from error


def _list(data: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise DefinitionFormatError(f"{key} must be a list of objects")
    return value


def _optional(
    data: Mapping[str, object],
    key: str,
    parse: Callable[[Mapping[str, object]], T],
) -> T | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise DefinitionFormatError(f"{key} must be an object or null")
    return parse(value)
