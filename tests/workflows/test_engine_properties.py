"""Property tests of the engine over random small orgs, workflows and documents.

Each example draws who is active, who manages whom and who approves which department,
then a random workflow and document. The properties:

- the plan is deterministic and its approvers are in (name, id) order;
- the requester never approves their own document, in any step;
- the document is blocked exactly when DOMAIN §3 says, computed here independently of
  the engine straight from the rows: a mandatory step without an approver (after the
  requester is left out and the deputy rule applied), every step skipped, a named
  person that does not exist, a limit without the document's currency — plus the
  engine's documented extra causes (a missing deputy, "at least N" short, 4-eyes
  without a usable fallback person).

Cost-unit combinations are left to the table tests: their "most specific row wins"
matching would make the independent oracle a second resolver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from orgunits.models import Department, DepartmentApprover, DocumentType, Employee
from orgunits.resolver import OrgFacts
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    DepartmentFactory,
    EmployeeFactory,
)
from workflows.definition import (
    DAY_CONDITIONS,
    LimitRef,
    PersonRef,
    RuleDefinition,
    StepDefinition,
    WorkflowDefinition,
)
from workflows.engine import (
    Plan,
    RoutingFacts,
    RoutingLine,
    plan,
)
from workflows.models import Step, StepRule

PEOPLE = 7
DEPARTMENTS = ("D0", "D1", "D2")
LIMITS = (
    LimitRef.of("Small", {"EUR": 1000, "NOK": 10_000}),
    LimitRef.of("Big", {"EUR": 10_000}),
    LimitRef.of("Odd", {"NOK": 5}),
)
AMOUNTS = ("0", "999.99", "1000", "4.99", "5", "9999.99", "10000", "-1000", "25000")
MISSING = PersonRef(employee_id=2_000_000_000, number="GONE", name="Gone")
Kind = StepRule.Kind
Condition = Step.Condition


@dataclass(frozen=True)
class World:
    company_id: int
    role_id: int
    people: tuple[Employee, ...]
    alien: Employee


def _ref(employee: Employee) -> PersonRef:
    return PersonRef(
        employee_id=employee.pk, number=employee.number, name=employee.name
    )


class EnginePropertyTests(TestCase):
    """Each Hypothesis example runs in its own rolled-back transaction."""

    world: World

    @classmethod
    def setUpTestData(cls) -> None:
        company = CompanyFactory()
        role = ApproverRoleFactory(company=company, name="Approver")
        people = tuple(
            EmployeeFactory(company=company, number=f"E{n}", name=f"Person {n}")
            for n in range(PEOPLE)
        )
        for code in DEPARTMENTS:
            DepartmentFactory(company=company, code=code)
        alien = EmployeeFactory(number="ALIEN", name="Alien")  # another company
        cls.world = World(company.pk, role.pk, people, alien)

    # --- drawing ----------------------------------------------------------------------

    def _draw_org(self, data: st.DataObject) -> None:
        people = self.world.people
        for index, employee in enumerate(people):
            # Mostly active: an org of inactive people blocks everything.
            employee.active = data.draw(st.integers(0, 5), label="active") != 0
            choices = [None] + [p.pk for i, p in enumerate(people) if i != index]
            employee.manager_id = data.draw(st.sampled_from(choices), label="manager")
            employee.save(update_fields=["active", "manager"])
        departments = {
            d.code: d
            for d in Department.objects.filter(company_id=self.world.company_id)
        }
        for code in DEPARTMENTS:
            chosen = data.draw(
                st.sets(st.sampled_from(people), max_size=2), label=f"dept {code}"
            )
            for employee in sorted(chosen, key=lambda e: e.pk):
                DepartmentApprover.objects.create(
                    company_id=self.world.company_id,
                    department=departments[code],
                    role_id=self.world.role_id,
                    approver=employee,
                )

    def _person_refs(self) -> st.SearchStrategy[PersonRef]:
        # Mostly real people; sometimes one of another company or a deleted one.
        real = [_ref(p) for p in self.world.people]
        return st.sampled_from(real * 3 + [_ref(self.world.alien), MISSING])

    def _draw_step(self, data: st.DataObject, position: int) -> StepDefinition:
        # "always" weighted up: random conditions alone skip most steps.
        condition = data.draw(
            st.sampled_from([Condition.ALWAYS] * 4 + Condition.values),
            label="condition",
        )
        low = high = None
        days = None
        if condition in (Condition.AMOUNT_ABOVE, Condition.AMOUNT_BETWEEN):
            low = data.draw(st.sampled_from(LIMITS), label="low")
        if condition in (Condition.AMOUNT_BELOW, Condition.AMOUNT_BETWEEN):
            high = data.draw(st.sampled_from(LIMITS), label="high")
        if condition in DAY_CONDITIONS:
            days = data.draw(st.integers(0, 5), label="days")
        auto = None
        if data.draw(st.integers(0, 6), label="auto?") == 0:
            auto = data.draw(self._person_refs(), label="auto")
        kinds = data.draw(
            st.lists(
                st.sampled_from(
                    [
                        Kind.NAMED,
                        Kind.DEPARTMENT,
                        Kind.NEAREST_MANAGER,
                        Kind.INITIAL_APPROVER,
                    ]
                ),
                min_size=1,
                max_size=3,
                unique=True,
            ),
            label="rules",
        )
        rules = []
        for kind in kinds:
            if kind == Kind.NAMED:
                approvers = data.draw(
                    st.lists(self._person_refs(), min_size=1, max_size=3, unique=True)
                )
                rules.append(RuleDefinition(kind=kind, approvers=tuple(approvers)))
            elif kind == Kind.DEPARTMENT:
                rules.append(RuleDefinition(kind=kind, role_id=self.world.role_id))
            else:
                rules.append(RuleDefinition(kind=kind))
        policy = data.draw(st.sampled_from(["any", "all", "at_least"]), label="policy")
        return StepDefinition(
            position=position,
            name=f"S{position}",
            condition_kind=condition,
            low_limit=low,
            high_limit=high,
            days=days,
            rules=tuple(rules),
            mandatory=data.draw(st.booleans(), label="mandatory"),
            completion_policy=policy,
            required_count=data.draw(st.integers(1, 3)) if policy == "at_least" else 1,
            auto_approve_as=auto,
        )

    def _draw_definition(self, data: st.DataObject) -> WorkflowDefinition:
        count = data.draw(
            st.sampled_from([0, 1, 1, 1, 2, 2, 2, 3, 3, 3]), label="steps"
        )
        four_eyes = data.draw(st.sampled_from([False, False, True]), label="4-eyes")
        return WorkflowDefinition(
            company_id=self.world.company_id,
            document_type=DocumentType.PURCHASE_INVOICE,
            name="Random",
            steps=tuple(self._draw_step(data, n) for n in range(1, count + 1)),
            four_eyes_enabled=four_eyes,
            four_eyes_people=tuple(
                data.draw(
                    st.lists(self._person_refs(), min_size=1, max_size=3, unique=True)
                )
            )
            if four_eyes
            else (),
        )

    def _draw_facts(self, data: st.DataObject) -> RoutingFacts:
        numbers = [p.number for p in self.world.people] + ["GHOST", "ALIEN"]
        requester = data.draw(st.none() | st.sampled_from(numbers), label="requester")
        departments = st.none() | st.sampled_from([*DEPARTMENTS, "DX"])
        lines = tuple(
            RoutingLine(
                line_number=n,
                amount=Decimal(10),
                org=OrgFacts(department_code=data.draw(departments, label="line dept")),
            )
            for n in range(1, data.draw(st.integers(0, 3), label="lines") + 1)
        )
        today = data.draw(
            st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
            label="today",
        )
        received = today - timedelta(days=data.draw(st.integers(0, 8)))
        due_in = data.draw(st.none() | st.integers(-2, 8), label="due in")
        return RoutingFacts(
            company_id=self.world.company_id,
            document_type=DocumentType.PURCHASE_INVOICE,
            amount=Decimal(data.draw(st.sampled_from(AMOUNTS), label="amount")),
            currency=data.draw(
                st.sampled_from(["EUR", "EUR", "EUR", "NOK", "NOK", "SEK"]), label="cur"
            ),
            requester_number=requester,
            initial_approver_number=data.draw(st.none() | st.sampled_from(numbers)),
            received_on=received,
            due_date=None if due_in is None else today + timedelta(days=due_in),
            today=today,
            header=OrgFacts(
                requester_number=requester,
                department_code=data.draw(departments, label="header dept"),
            ),
            lines=lines,
        )

    # --- the properties ---------------------------------------------------------------

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test_plan_properties(self, data: st.DataObject) -> None:
        self._draw_org(data)
        definition = self._draw_definition(data)
        facts = self._draw_facts(data)

        result = plan(facts, definition)

        assert plan(facts, definition) == result, "plan is deterministic"
        self._assert_ordered(result)
        self._assert_requester_never_approves(result, facts)
        expected = Oracle(self.world, facts).blocked_reasons(definition)
        # `--hypothesis-show-statistics` shows how often each cause was exercised.
        event("blocked" if expected else "routed")
        for reason in expected:
            event(reason.split(": ")[-1])
        assert result.blocked == bool(expected), (
            f"engine: {result.blocked_reasons}; oracle: {expected}"
        )

    @staticmethod
    def _assert_ordered(result: Plan) -> None:
        for step_plan in result.steps:
            keys = [(a.employee_name, a.employee_id) for a in step_plan.approvers]
            assert keys == sorted(keys)

    @staticmethod
    def _assert_requester_never_approves(result: Plan, facts: RoutingFacts) -> None:
        if facts.requester_number is None:
            return
        for step_plan in result.steps:
            chosen = list(step_plan.approvers)
            if step_plan.auto_approved_by is not None:
                chosen.append(step_plan.auto_approved_by)
            assert facts.requester_number not in {a.employee_number for a in chosen}


class Oracle:
    """DOMAIN §3's blocked rule, computed straight from the rows, step by step."""

    def __init__(self, world: World, facts: RoutingFacts) -> None:
        self.world = world
        self.facts = facts
        self.people = {
            e.pk: e for e in Employee.objects.filter(company_id=world.company_id)
        }
        self.by_number = {e.number: e for e in self.people.values()}
        self.requester = self.by_number.get(facts.requester_number or "")

    def usable(self, ref: PersonRef) -> bool:
        employee = self.people.get(ref.employee_id)
        return employee is not None and employee.active

    def is_requester(self, employee_id: int) -> bool:
        return self.requester is not None and employee_id == self.requester.pk

    def deputy(self) -> int | None:
        if self.requester is None or self.requester.manager_id is None:
            return None
        manager = self.people[self.requester.manager_id]
        return manager.pk if manager.active else None

    def applies(self, step: StepDefinition) -> bool | None:
        """None: a limit lacks the currency."""
        amount, currency = abs(self.facts.amount), self.facts.currency
        kind = step.condition_kind
        if kind == Condition.ALWAYS:
            return True
        if kind in (
            Condition.AMOUNT_BELOW,
            Condition.AMOUNT_ABOVE,
            Condition.AMOUNT_BETWEEN,
        ):
            low = step.low_limit.amount_for(currency) if step.low_limit else None
            high = step.high_limit.amount_for(currency) if step.high_limit else None
            if (step.low_limit and low is None) or (step.high_limit and high is None):
                return None
            return (low is None or amount >= low) and (high is None or amount < high)
        assert step.days is not None
        if kind in (Condition.DUE_IN_DAYS_BELOW, Condition.DUE_IN_DAYS_AT_LEAST):
            if self.facts.due_date is None:
                return kind == Condition.DUE_IN_DAYS_AT_LEAST
            value = (self.facts.due_date - self.facts.today).days
            wants_below = kind == Condition.DUE_IN_DAYS_BELOW
        else:
            value = (self.facts.today - self.facts.received_on).days
            wants_below = kind == Condition.RECEIVED_DAYS_AGO_BELOW
        return (value < step.days) == wants_below

    def approvers(self, step: StepDefinition) -> tuple[set[int], bool]:
        """The step's approver ids, and whether a named person is missing."""
        found: set[int] = set()
        missing = False
        departments = {self.facts.header.department_code} | {
            line.org.department_code for line in self.facts.lines
        }
        for rule in step.rules:
            if rule.kind == Kind.NAMED:
                for ref in rule.approvers:
                    if self.usable(ref):
                        found.add(ref.employee_id)
                    else:
                        missing = True
            elif rule.kind == Kind.DEPARTMENT:
                found |= {
                    row.approver_id
                    for row in DepartmentApprover.objects.filter(
                        company_id=self.world.company_id,
                        role_id=rule.role_id,
                        department__code__in=[d for d in departments if d],
                        approver__active=True,
                    )
                }
            elif rule.kind == Kind.NEAREST_MANAGER:
                if (deputy := self.deputy()) is not None:
                    found.add(deputy)
            elif (
                rule.kind == Kind.INITIAL_APPROVER
                and self.facts.initial_approver_number
            ):
                employee = self.by_number.get(self.facts.initial_approver_number)
                if employee is None or not employee.active:
                    missing = True
                else:
                    found.add(employee.pk)
        return found, missing

    def blocked_reasons(self, definition: WorkflowDefinition) -> list[str]:
        reasons: list[str] = []
        skipped = 0
        for step in definition.steps:
            applies = self.applies(step)
            if applies is None:
                reasons.append(f"{step.position}: limit lacks {self.facts.currency}")
                continue
            if not applies:
                skipped += 1
                continue
            if step.auto_approve_as is not None:
                if not self.usable(step.auto_approve_as):
                    reasons.append(f"{step.position}: auto-approver missing")
                elif self.is_requester(step.auto_approve_as.employee_id) and (
                    self.deputy() is None
                ):
                    reasons.append(f"{step.position}: no deputy")
                continue
            found, missing = self.approvers(step)
            if missing:
                reasons.append(f"{step.position}: named person missing")
            others = {e for e in found if not self.is_requester(e)}
            if found and not others:
                if self.deputy() is None:
                    reasons.append(f"{step.position}: no deputy")
                    continue
                others = {deputy} if (deputy := self.deputy()) is not None else set()
            if not others:
                if step.mandatory and not missing:
                    reasons.append(f"{step.position}: mandatory without approver")
                elif not missing:
                    skipped += 1
                continue
            if (
                step.completion_policy == "at_least"
                and len(others) < step.required_count
            ):
                reasons.append(f"{step.position}: fewer than {step.required_count}")
        if skipped == len(definition.steps):
            reasons.append("all steps skipped")
        if definition.four_eyes_enabled:
            people = definition.four_eyes_people
            if len({p.employee_id for p in people}) < 2:
                reasons.append("4-eyes needs two people")
            if any(not self.usable(p) for p in people):
                reasons.append("4-eyes person missing")
            if not [
                p
                for p in people
                if self.usable(p) and not self.is_requester(p.employee_id)
            ]:
                reasons.append("4-eyes nobody left")
        return reasons
