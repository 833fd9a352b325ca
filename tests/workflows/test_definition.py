"""WorkflowDefinition: JSON round trip, building from rows, validation and diffs."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from pytest_django import DjangoAssertNumQueries

from orgunits.models import Company
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    EmployeeFactory,
)
from tests.factories.workflows import (
    LimitFactory,
    StepFactory,
    StepRuleFactory,
    WorkflowFactory,
    definition,
    limit_ref,
    named,
    person,
    rule,
    step,
)
from workflows.definition import (
    DefinitionFormatError,
    LimitRef,
    PersonRef,
    RuleDefinition,
    StepDefinition,
    WorkflowDefinition,
    definition_diff,
    definition_from_workflow,
    definition_problems,
)
from workflows.models import Step, StepRule

pytestmark = pytest.mark.django_db
Kind = StepRule.Kind
Condition = Step.Condition


def _full(company: Company) -> WorkflowDefinition:
    alice = EmployeeFactory(company=company, number="A1", name="Alice")
    bob = EmployeeFactory(company=company, number="B2", name="Bob")
    role = ApproverRoleFactory(company=company, name="Controller")
    return definition(
        company,
        step(
            name="Lines",
            line_approval=True,
            rules=(rule(Kind.COST_UNIT, role), rule(Kind.PROJECT_MANAGER)),
        ),
        step(
            name="Controller",
            condition_kind=Condition.AMOUNT_BETWEEN,
            low_limit=limit_ref("Small", EUR="1000", NOK=10_000),
            high_limit=limit_ref("Big", EUR=Decimal("10000.5")),
            rules=(named(alice, bob),),
            mandatory=False,
            completion_policy="at_least",
            required_count=2,
            editing_allowed=True,
            reapprove_changes=True,
            days_to_complete=2,
        ),
        step(
            name="Urgent",
            condition_kind=Condition.DUE_IN_DAYS_BELOW,
            days=3,
            auto_approve_as=person(bob),
        ),
        four_eyes_enabled=True,
        four_eyes_people=(person(alice), person(bob)),
        skip_when_already_approved=True,
        description="All invoices",
    )


def test_to_dict_is_json_safe_and_round_trips() -> None:
    original = _full(CompanyFactory())
    data = json.loads(json.dumps(original.to_dict()))
    assert data["steps"][1]["high_limit"] == {
        "name": "Big",
        "amounts": {"EUR": "10000.50"},
    }
    assert WorkflowDefinition.from_dict(data) == original


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": 99}, "unsupported workflow definition format 99"),
        ({"format": 1, "company_id": 1}, "malformed workflow definition"),
        (
            {
                "format": 1,
                "company_id": 1,
                "document_type": "x",
                "name": "n",
                "steps": {},
            },
            "steps must be a list of objects",
        ),
        (
            {"format": 1, "company_id": True, "document_type": "x", "name": "n"},
            "expected an integer, got True",
        ),
    ],
)
def test_from_dict_refuses_what_it_cannot_read(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(DefinitionFormatError, match=message):
        WorkflowDefinition.from_dict(data)


def test_definition_from_workflow_reads_the_rows_in_few_queries(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    workflow = WorkflowFactory(four_eyes_enabled=True)
    company = workflow.company
    people = [EmployeeFactory(company=company, name=f"P{n}") for n in range(3)]
    workflow.four_eyes_people.set(people[:2])
    small = LimitFactory(company=company, name="Small", amounts={"EUR": 1000, "NOK": 9})
    big = LimitFactory(company=company, name="Big", amounts={"EUR": 10_000})
    role = ApproverRoleFactory(company=company)
    for position in range(1, 6):
        row = StepFactory(
            workflow=workflow,
            condition_kind=Condition.AMOUNT_BETWEEN,
            low_limit=small,
            high_limit=big,
            auto_approve_as=people[2] if position == 5 else None,
        )
        StepRuleFactory(step=row, approvers=people, position=2)
        StepRuleFactory(step=row, kind=Kind.DEPARTMENT, role=role, position=1)

    with django_assert_max_num_queries(8):
        result = definition_from_workflow(workflow)

    assert [s.position for s in result.steps] == [1, 2, 3, 4, 5]
    assert [r.kind for r in result.steps[0].rules] == [Kind.DEPARTMENT, Kind.NAMED]
    assert result.steps[0].rules[0].role_name == role.name
    assert result.steps[0].low_limit == LimitRef.of("Small", {"EUR": 1000, "NOK": 9})
    assert result.steps[4].auto_approve_as == person(people[2])
    assert result.four_eyes_people == (person(people[0]), person(people[1]))


MANAGER = (RuleDefinition(kind="nearest_manager"),)
PROBLEM_CASES = [
    (step(name=" ", rules=MANAGER), "the step needs a name."),
    (step(condition_kind="sometimes", rules=MANAGER), "unknown condition 'sometimes'."),
    (
        step(condition_kind=Condition.AMOUNT_ABOVE, rules=MANAGER),
        "the condition above ? takes a lower limit only.",
    ),
    (
        step(
            condition_kind=Condition.AMOUNT_BETWEEN,
            low_limit=limit_ref("A", EUR=1),
            rules=MANAGER,
        ),
        'the condition between "A" and ? takes two limits.',
    ),
    (
        step(
            condition_kind=Condition.AMOUNT_BETWEEN,
            low_limit=limit_ref("A", EUR=1),
            high_limit=limit_ref("A", EUR=1),
            rules=MANAGER,
        ),
        "between needs two different limits.",
    ),
    (
        step(
            condition_kind=Condition.AMOUNT_BETWEEN,
            low_limit=limit_ref("Hi", EUR=9),
            high_limit=limit_ref("Lo", EUR=5),
            rules=MANAGER,
        ),
        'limit "Hi" (EUR 9.00) is not below "Lo" (EUR 5.00).',
    ),
    (
        step(condition_kind=Condition.RECEIVED_DAYS_AGO_AT_LEAST, rules=MANAGER),
        "a days condition needs a number of days.",
    ),
    (step(days=3, rules=MANAGER), "only a days condition takes a number of days."),
    (
        step(condition_kind=Condition.DUE_IN_DAYS_BELOW, days=-1, rules=MANAGER),
        "the number of days cannot be negative.",
    ),
    (
        step(completion_policy="most", rules=MANAGER),
        "unknown completion policy 'most'.",
    ),
    (step(days_to_complete=0, rules=MANAGER), "days to complete must be 1 or more."),
    (step(rules=(RuleDefinition(kind="oracle"),)), "unknown approver rule 'oracle'."),
    (
        step(rules=(RuleDefinition(kind="branch"),)),
        "the branch rule needs an approver role.",
    ),
    (
        step(rules=(RuleDefinition(kind="nearest_manager", role_id=3, role_name="R"),)),
        "the nearest manager (R) rule takes no approver role.",
    ),
    (
        step(
            rules=(
                RuleDefinition(kind="initial_approver", approvers=(PersonRef(1, "X"),)),
            )
        ),
        "the initial approver rule takes no named approvers.",
    ),
]


@pytest.mark.parametrize(("broken", "problem"), PROBLEM_CASES)
def test_step_problems(broken: StepDefinition, problem: str) -> None:
    workflow = WorkflowDefinition(
        company_id=1, document_type="purchase_invoice", name="W", steps=(broken,)
    )
    assert definition_problems(workflow) == (f'Step 1 "{broken.name}": {problem}',)


def test_a_complete_definition_has_no_problems() -> None:
    assert definition_problems(_full(CompanyFactory())) == ()


def test_diff_of_every_option() -> None:
    old = WorkflowDefinition(
        company_id=1,
        document_type="purchase_invoice",
        name="W",
        steps=(
            step(1, "A", rules=MANAGER),
            step(
                2,
                "B",
                condition_kind=Condition.AMOUNT_ABOVE,
                low_limit=limit_ref("Big", EUR=10),
                rules=(RuleDefinition(kind="initial_approver"),),
            ),
        ),
    )
    new = dataclasses.replace(
        old,
        description="new",
        skip_when_already_approved=True,
        steps=(
            step(
                1,
                "A",
                rules=MANAGER,
                line_approval=True,
                editing_allowed=True,
                reapprove_changes=True,
                auto_approve_as=PersonRef(5, "E5", "Eve"),
                days_to_complete=9,
            ),
            step(
                2,
                "B",
                condition_kind=Condition.AMOUNT_ABOVE,
                low_limit=limit_ref("Big", EUR=20),
                rules=(RuleDefinition(kind="initial_approver"),),
            ),
        ),
    )
    assert definition_diff(old, new) == [
        "Description changed",
        "Skip steps already approved: off → on",
        'Step 1 "A": line approval no → yes',
        'Step 1 "A": editing allowed no → yes',
        'Step 1 "A": re-approve changes no → yes',
        'Step 1 "A": automatic approval off → as Eve (E5)',
        'Step 1 "A": days to complete 5 → 9',
        'Limit "Big": EUR 10.00 → EUR 20.00',
    ]
    assert definition_diff(new, new) == []
