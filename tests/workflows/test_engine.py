"""The routing engine, table by table: conditions, rule kinds, policies, blocked causes.

Unmarked on purpose: locally they run on SQLite, in CI (DATABASE_URL set) on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgunits.models import DocumentType
from tests.factories.orgunits import EmployeeFactory, SubstitutionFactory
from tests.factories.workflows import (
    WorkflowFactory,
    WorkflowVersionFactory,
    definition,
    limit_ref,
    named,
    person,
    rule,
    step,
)
from tests.workflows.conftest import Org, line, routing_facts
from workflows.definition import PersonRef, RuleDefinition, WorkflowDefinition
from workflows.engine import (
    FOUR_EYES_STEP_NAME,
    RULE_AUTO_APPROVAL,
    RULE_DEPUTY,
    Plan,
    StepOutcome,
    plan,
    plan_for_version,
)
from workflows.models import Step, StepRule

SMALL = limit_ref("Small", EUR=1000, NOK=10_000)
BIG = limit_ref("Big", EUR=10_000, NOK=100_000)
Kind = StepRule.Kind
Condition = Step.Condition


def names(step_plan: Any) -> list[str]:
    return [a.employee_name for a in step_plan.approvers]


def first_step(org: Org, step_def: Any, **facts: Any) -> Any:
    """Plan one step (plus a fallback step so "all skipped" does not interfere)."""
    result = plan(
        routing_facts(org.company, **facts),
        definition(
            org.company, step_def, step(name="Fallback", rules=(named(org["Sue"]),))
        ),
    )
    return result.steps[0]


# --- conditions -----------------------------------------------------------------------

AMOUNT_CASES = [
    # (condition, low, high, amount, outcome, reason fragment)
    (Condition.AMOUNT_BELOW, None, SMALL, "999.99", StepOutcome.ROUTE,
     'amount 999.99 EUR is below limit "Small" (1000.00 EUR)'),
    (Condition.AMOUNT_BELOW, None, SMALL, "1000", StepOutcome.SKIPPED,
     'amount 1000.00 EUR is not below limit "Small"'),
    (Condition.AMOUNT_BELOW, None, SMALL, "0", StepOutcome.ROUTE, "is below"),
    (Condition.AMOUNT_ABOVE, SMALL, None, "999.99", StepOutcome.SKIPPED,
     'amount 999.99 EUR is below limit "Small"'),
    (Condition.AMOUNT_ABOVE, SMALL, None, "1000", StepOutcome.ROUTE,
     'amount 1000.00 EUR is at or above limit "Small" (1000.00 EUR)'),
    (Condition.AMOUNT_BETWEEN, SMALL, BIG, "999.99", StepOutcome.SKIPPED,
     "is not between"),
    (Condition.AMOUNT_BETWEEN, SMALL, BIG, "1000", StepOutcome.ROUTE,
     'amount 1000.00 EUR is between limit "Small" (1000.00 EUR) and limit "Big" '
     "(10000.00 EUR)"),
    (Condition.AMOUNT_BETWEEN, SMALL, BIG, "9999.99", StepOutcome.ROUTE, "is between"),
    (Condition.AMOUNT_BETWEEN, SMALL, BIG, "10000", StepOutcome.SKIPPED,
     "is not between"),
    # Credit notes route like an invoice of the same size.
    (Condition.AMOUNT_BELOW, None, SMALL, "-999.99", StepOutcome.ROUTE,
     "amount 999.99 EUR is below"),
    (Condition.AMOUNT_ABOVE, SMALL, None, "-1000", StepOutcome.ROUTE,
     "amount 1000.00 EUR is at or above"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "low", "high", "amount", "outcome", "reason"), AMOUNT_CASES
)
def test_amount_conditions(
    org: Org, kind: str, low: Any, high: Any, amount: str, outcome: str, reason: str
) -> None:
    planned = first_step(
        org,
        step(
            condition_kind=kind,
            low_limit=low,
            high_limit=high,
            rules=(named(org["Nina"]),),
        ),
        amount=amount,
    )
    assert planned.outcome == outcome
    assert any(reason in r for r in planned.reasons), planned.reasons


def test_amount_conditions_use_the_document_currency(org: Org) -> None:
    planned = first_step(
        org,
        step(
            condition_kind=Condition.AMOUNT_BELOW,
            high_limit=SMALL,
            rules=(named(org["Nina"]),),
        ),
        amount="5000",
        currency="NOK",
    )
    assert planned.outcome == StepOutcome.ROUTE
    assert 'is below limit "Small" (10000.00 NOK)' in planned.reasons[0]


DAY_CASES = [
    # (condition, days, received_days_ago, due_in_days, outcome, reason fragment)
    (Condition.DUE_IN_DAYS_BELOW, 3, 0, 2, StepOutcome.ROUTE, "due in 2 days (fewer than 3)"),
    (Condition.DUE_IN_DAYS_BELOW, 3, 0, 3, StepOutcome.SKIPPED, "due in 3 days (3 or more)"),
    (Condition.DUE_IN_DAYS_BELOW, 3, 0, -4, StepOutcome.ROUTE, "due in -4 days"),
    (Condition.DUE_IN_DAYS_BELOW, 3, 0, None, StepOutcome.SKIPPED, "has no due date"),
    (Condition.DUE_IN_DAYS_AT_LEAST, 3, 0, 3, StepOutcome.ROUTE, "due in 3 days (3 or more)"),
    (Condition.DUE_IN_DAYS_AT_LEAST, 3, 0, 2, StepOutcome.SKIPPED, "(fewer than 3)"),
    (Condition.DUE_IN_DAYS_AT_LEAST, 3, 0, None, StepOutcome.ROUTE, "has no due date"),
    (Condition.DUE_IN_DAYS_AT_LEAST, 0, 0, 0, StepOutcome.ROUTE, "due in 0 days"),
    (Condition.RECEIVED_DAYS_AGO_BELOW, 5, 4, 30, StepOutcome.ROUTE,
     "received 4 days ago (fewer than 5)"),
    (Condition.RECEIVED_DAYS_AGO_BELOW, 5, 5, 30, StepOutcome.SKIPPED,
     "received 5 days ago (5 or more)"),
    (Condition.RECEIVED_DAYS_AGO_AT_LEAST, 5, 5, 30, StepOutcome.ROUTE,
     "received 5 days ago (5 or more)"),
    (Condition.RECEIVED_DAYS_AGO_AT_LEAST, 5, 4, 30, StepOutcome.SKIPPED,
     "(fewer than 5)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "days", "received", "due", "outcome", "reason"), DAY_CASES
)
def test_day_conditions(
    org: Org,
    kind: str,
    days: int,
    received: int,
    due: int | None,
    outcome: str,
    reason: str,
) -> None:
    planned = first_step(
        org,
        step(condition_kind=kind, days=days, rules=(named(org["Nina"]),)),
        received_days_ago=received,
        due_in_days=due,
    )
    assert planned.outcome == outcome
    assert any(reason in r for r in planned.reasons), planned.reasons


def test_always_applies(org: Org) -> None:
    planned = first_step(org, step(rules=(named(org["Nina"]),)))
    assert planned.outcome == StepOutcome.ROUTE
    assert planned.reasons == ("no condition: the step always applies",)


# --- rule kinds -----------------------------------------------------------------------

RULE_CASES = [
    # (rule kind, role, facts, approver, source fragment, row key)
    (Kind.COST_UNIT, "approver", {"lines": [line(1, segments={1: "R&D", 2: "Beta"})]},
     "Cora", "cost-unit combination Department=R&D + Product=Beta", "cora"),
    (Kind.COST_UNIT, "approver", {"lines": [line(1, segments={1: "R&D", 2: "Gamma"})]},
     "Carl", "cost-unit combination Department=R&D + Product=Any", "carl"),
    (Kind.DEPARTMENT, "approver", {"department_code": "SALES"}, "Dave",
     "department SALES Sales", "dave"),
    (Kind.PROJECT, "approver", {"project_code": "P1"}, "Pete", "project P1", "pete"),
    (Kind.PROJECT, "approver", {"project_code": "P1", "task_code": "T9"}, "Tess",
     "project P1 task T9", "tess"),
    (Kind.BRANCH, "approver", {"branch_code": "OSLO"}, "Bea", "branch OSLO Oslo", "bea"),
    (Kind.PROJECT_MANAGER, None, {"project_code": "P1"}, "Paula",
     "project manager of P1", "project"),
    (Kind.NEAREST_MANAGER, None, {}, "Mona", "nearest manager of Rita", None),
    (Kind.REQUESTER_EXCEPTION, "cfo", {}, "Xena", "exception for requester Rita", "xena"),
    (Kind.INITIAL_APPROVER, None, {"initial_approver": "IVAN"}, "Ivan",
     "initial approver named on the document", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "role", "facts", "approver", "source", "row"), RULE_CASES
)
def test_each_rule_kind_finds_its_approver_and_the_row_that_chose_them(
    org: Org,
    kind: str,
    role: str | None,
    facts: dict[str, Any],
    approver: str,
    source: str,
    row: str | None,
) -> None:
    role_row = {"approver": org.approver, "cfo": org.cfo, None: None}[role]
    planned = first_step(org, step(rules=(rule(kind, role_row),)), **facts)
    assert planned.outcome == StepOutcome.ROUTE
    assert names(planned) == [approver]
    found = planned.approvers[0]
    assert found.rule == kind
    assert source in found.source
    if row == "project":
        assert found.row_id == org.rows["project"]
    elif kind == Kind.NEAREST_MANAGER:
        assert found.row_id == org["Rita"].pk  # the requester whose manager it is
    else:
        assert found.row_id == (org.rows[row] if row else None)


def test_named_rule(org: Org) -> None:
    planned = first_step(org, step(rules=(named(org["Nina"], org["Ivan"]),)))
    assert names(planned) == ["Ivan", "Nina"]
    assert {a.rule for a in planned.approvers} == {Kind.NAMED}
    assert {a.source for a in planned.approvers} == {"named approver"}


def test_requester_exception_overrides_an_assignment_rule_of_the_same_role(
    org: Org,
) -> None:
    planned = first_step(
        org, step(rules=(rule(Kind.DEPARTMENT, org.cfo),)), department_code="SALES"
    )
    assert names(planned) == ["Xena"]
    assert planned.approvers[0].rule == Kind.REQUESTER_EXCEPTION


def test_rules_combine_as_a_union_attributed_to_the_first_rule(org: Org) -> None:
    planned = first_step(
        org,
        step(
            rules=(
                rule(Kind.DEPARTMENT, org.approver),
                named(org["Nina"], org["Dave"]),
                rule(Kind.BRANCH, org.approver),
            )
        ),
        department_code="SALES",
        branch_code="OSLO",
    )
    assert names(planned) == ["Bea", "Dave", "Nina"]
    by_name = {a.employee_name: a for a in planned.approvers}
    assert by_name["Dave"].rule == Kind.DEPARTMENT  # found first by the department rule
    assert by_name["Nina"].rule == Kind.NAMED


def test_a_non_line_step_takes_the_union_over_header_and_lines(org: Org) -> None:
    planned = first_step(
        org,
        step(
            rules=(rule(Kind.COST_UNIT, org.approver), rule(Kind.PROJECT, org.approver))
        ),
        lines=[
            line(1, segments={1: "R&D", 2: "Beta"}),
            line(2, segments={1: "R&D", 2: "Gamma"}, project_code="P1"),
        ],
    )
    assert names(planned) == ["Carl", "Cora", "Pete"]
    assert all(a.line_numbers == () for a in planned.approvers)


def test_a_line_inherits_the_header_facts_it_does_not_set(org: Org) -> None:
    planned = first_step(
        org,
        step(line_approval=True, rules=(rule(Kind.DEPARTMENT, org.approver),)),
        department_code="SALES",
        lines=[line(1), line(2)],
    )
    assert names(planned) == ["Dave"]
    assert planned.approvers[0].line_numbers == (1, 2)


# --- line approval --------------------------------------------------------------------


def test_line_approval_routes_each_line_to_its_approvers(org: Org) -> None:
    planned = first_step(
        org,
        step(
            line_approval=True,
            rules=(rule(Kind.COST_UNIT, org.approver), named(org["Nina"])),
        ),
        lines=[
            line(1, segments={1: "R&D", 2: "Beta"}),
            line(2, segments={1: "R&D", 2: "Gamma"}),
            line(3, segments={1: "R&D", 2: "Beta"}),
        ],
    )
    assert planned.outcome == StepOutcome.ROUTE
    assert planned.line_approval is True
    assert [(a.employee_name, a.line_numbers) for a in planned.approvers] == [
        ("Carl", (2,)),
        ("Cora", (1, 3)),
        ("Nina", (1, 2, 3)),  # document-level rules cover every line
    ]


@pytest.mark.parametrize(
    ("mandatory", "outcome", "reason"),
    [
        (True, StepOutcome.BLOCKED, "no approver for line 2"),
        (False, StepOutcome.ROUTE, "line 2 found no approver and need no approval"),
    ],
)
def test_a_line_without_approver(
    org: Org, mandatory: bool, outcome: str, reason: str
) -> None:
    planned = first_step(
        org,
        step(
            line_approval=True,
            mandatory=mandatory,
            rules=(rule(Kind.COST_UNIT, org.approver),),
        ),
        lines=[line(1, segments={1: "R&D"}), line(2, segments={1: "HR"})],
    )
    assert planned.outcome == outcome
    assert any(reason in r for r in planned.reasons), planned.reasons
    assert [(a.employee_name, a.line_numbers) for a in planned.approvers] == [
        ("Carl", (1,))
    ]


def test_a_line_approval_step_without_lines_routes_by_the_header(org: Org) -> None:
    planned = first_step(
        org,
        step(line_approval=True, rules=(rule(Kind.DEPARTMENT, org.approver),)),
        department_code="SALES",
    )
    assert names(planned) == ["Dave"]
    assert planned.approvers[0].line_numbers == ()


# --- completion policies ------------------------------------------------------------------

POLICY_CASES = [
    # (policy, N, approvers, outcome, reason)
    ("any", 1, ["Nina", "Ivan"], StepOutcome.ROUTE, None),
    ("all", 1, ["Nina", "Ivan"], StepOutcome.ROUTE, None),
    ("at_least", 2, ["Nina", "Ivan"], StepOutcome.ROUTE, None),
    ("at_least", 1, ["Nina"], StepOutcome.ROUTE, None),
    ("at_least", 3, ["Nina", "Ivan"], StepOutcome.BLOCKED,
     "needs at least 3 approvers, found 2"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "count", "people", "outcome", "reason"), POLICY_CASES
)
def test_completion_policies(
    org: Org,
    policy: str,
    count: int,
    people: list[str],
    outcome: str,
    reason: str | None,
) -> None:
    planned = first_step(
        org,
        step(
            completion_policy=policy,
            required_count=count,
            rules=(named(*(org[p] for p in people)),),
        ),
    )
    assert planned.outcome == outcome
    assert planned.completion_policy == policy
    assert planned.required_count == count
    if reason:
        assert reason in planned.reasons


def test_at_least_counts_people_not_their_substitutes(org: Org) -> None:
    SubstitutionFactory(principal=org["Nina"], substitute=org["Nils"])
    planned = first_step(
        org,
        step(
            completion_policy="at_least", required_count=2, rules=(named(org["Nina"]),)
        ),
    )
    assert planned.outcome == StepOutcome.BLOCKED
    assert names(planned) == ["Nils", "Nina"]
    assert "needs at least 2 approvers, found 1" in planned.reasons


def test_at_least_in_a_line_step_counts_per_line(org: Org) -> None:
    planned = first_step(
        org,
        step(
            line_approval=True,
            completion_policy="at_least",
            required_count=2,
            rules=(rule(Kind.COST_UNIT, org.approver), named(org["Nina"])),
        ),
        lines=[line(1, segments={1: "R&D"}), line(2, segments={1: "HR"})],
        # line 2 has Nina only
    )
    assert planned.outcome == StepOutcome.BLOCKED
    assert "needs at least 2 approvers on line 2" in planned.reasons


def test_step_options_are_carried_into_the_plan(org: Org) -> None:
    planned = first_step(
        org,
        step(
            name="Controller",
            mandatory=False,
            editing_allowed=True,
            reapprove_changes=True,
            days_to_complete=7,
            rules=(named(org["Nina"]),),
        ),
    )
    assert (planned.position, planned.name) == (1, "Controller")
    assert planned.mandatory is False
    assert planned.editing_allowed is True
    assert planned.reapprove_changes is True
    assert planned.days_to_complete == 7


# --- segregation of duties, deputies, substitutes --------------------------------------------


def test_the_requester_is_left_out_when_others_remain(org: Org) -> None:
    planned = first_step(org, step(rules=(named(org["Rita"], org["Nina"]),)))
    assert names(planned) == ["Nina"]
    assert "requester Rita (RITA) was left out" in planned.reasons


def test_the_deputy_takes_a_step_only_the_requester_would_approve(org: Org) -> None:
    planned = first_step(org, step(rules=(named(org["Rita"]),)))
    assert planned.outcome == StepOutcome.ROUTE
    assert names(planned) == ["Mona"]
    assert planned.approvers[0].rule == RULE_DEPUTY
    assert planned.approvers[0].source == "deputy: nearest manager of Rita"
    assert (
        "requester Rita (RITA) was left out; their nearest manager Mona takes the step "
        "(deputy rule)" in planned.reasons
    )


def test_no_deputy_blocks_the_document(org: Org) -> None:
    result = plan(
        routing_facts(org.company, requester="OTTO"),
        definition(org.company, step(name="Boss", rules=(named(org["Otto"]),))),
    )
    assert result.blocked
    assert result.steps[0].outcome == StepOutcome.BLOCKED
    assert result.blocked_reasons == (
        'Step 1 "Boss": requester Otto (OTTO) may not approve their own document and '
        "has no nearest manager to take the step (deputy rule)",
    )


def test_in_a_line_step_the_deputy_takes_only_the_requesters_lines(org: Org) -> None:
    planned = first_step(
        org,
        step(line_approval=True, rules=(rule(Kind.COST_UNIT, org.approver),)),
        requester="CARL",
        lines=[line(1, segments={1: "R&D", 2: "Beta"}), line(2, segments={1: "R&D"})],
    )
    # Carl is the requester here and has no manager: line 2 has nobody left.
    assert planned.outcome == StepOutcome.BLOCKED
    assert any("has no nearest manager to take line 2" in r for r in planned.reasons)

    org["Carl"].manager = org["Mona"]
    org["Carl"].save(update_fields=["manager"])
    planned = first_step(
        org,
        step(line_approval=True, rules=(rule(Kind.COST_UNIT, org.approver),)),
        requester="CARL",
        lines=[line(1, segments={1: "R&D", 2: "Beta"}), line(2, segments={1: "R&D"})],
    )
    assert [(a.employee_name, a.line_numbers, a.rule) for a in planned.approvers] == [
        ("Cora", (1,), Kind.COST_UNIT),
        ("Mona", (2,), RULE_DEPUTY),
    ]


def test_active_substitutes_join_their_principal(org: Org) -> None:
    substitution = SubstitutionFactory(principal=org["Cora"], substitute=org["Nils"])
    planned = first_step(
        org,
        step(line_approval=True, rules=(rule(Kind.COST_UNIT, org.approver),)),
        lines=[line(1, segments={1: "R&D", 2: "Beta"})],
    )
    assert names(planned) == ["Cora", "Nils"]
    nils = planned.approvers[1]
    assert nils.substitute_for_id == org["Cora"].pk
    assert nils.row_id == substitution.pk
    assert nils.line_numbers == (1,)
    assert nils.rule == Kind.COST_UNIT
    assert nils.source.startswith("substitute for Cora")


def test_the_requester_is_never_added_as_a_substitute(org: Org) -> None:
    SubstitutionFactory(principal=org["Nina"], substitute=org["Rita"])
    planned = first_step(org, step(rules=(named(org["Nina"]),)))
    assert names(planned) == ["Nina"]


# --- automatic approval --------------------------------------------------------------------


def test_automatic_approval_on_behalf_of_a_named_approver(org: Org) -> None:
    result = plan(
        routing_facts(org.company),
        definition(org.company, step(auto_approve_as=person(org["Ivan"]))),
    )
    planned = result.steps[0]
    assert not result.blocked
    assert planned.outcome == StepOutcome.AUTO_APPROVED
    assert planned.approvers == ()
    assert planned.auto_approved_by is not None
    assert planned.auto_approved_by.employee_name == "Ivan"
    assert planned.auto_approved_by.rule == RULE_AUTO_APPROVAL
    assert result.active_steps() == (planned,)


def test_automatic_approval_never_on_behalf_of_the_requester(org: Org) -> None:
    planned = first_step(org, step(auto_approve_as=person(org["Rita"])))
    assert planned.outcome == StepOutcome.ROUTE
    assert planned.auto_approved_by is None
    assert names(planned) == ["Mona"]


def test_a_skipped_step_is_not_approved_automatically(org: Org) -> None:
    planned = first_step(
        org,
        step(
            condition_kind=Condition.AMOUNT_ABOVE,
            low_limit=BIG,
            auto_approve_as=person(org["Ivan"]),
        ),
    )
    assert planned.outcome == StepOutcome.SKIPPED


# --- 4-eyes ------------------------------------------------------------------------------


def test_four_eyes_adds_a_final_fallback_step_without_the_requester(org: Org) -> None:
    result = plan(
        routing_facts(org.company),
        definition(
            org.company,
            step(rules=(named(org["Nina"]),)),
            four_eyes_enabled=True,
            four_eyes_people=(
                person(org["Rita"]),
                person(org["Ivan"]),
                person(org["Sue"]),
            ),
        ),
    )
    assert not result.blocked
    fallback = result.steps[-1]
    assert (fallback.position, fallback.name) == (2, FOUR_EYES_STEP_NAME)
    assert fallback.outcome == StepOutcome.FOUR_EYES
    assert names(fallback) == ["Ivan", "Sue"]
    assert fallback.completion_policy == "any"
    assert result.four_eyes_step == fallback
    assert fallback not in result.active_steps()


def test_four_eyes_does_not_rescue_a_workflow_whose_steps_are_all_skipped(
    org: Org,
) -> None:
    result = plan(
        routing_facts(org.company, amount=5),
        definition(
            org.company,
            step(
                condition_kind=Condition.AMOUNT_ABOVE,
                low_limit=BIG,
                rules=(named(org["Nina"]),),
            ),
            four_eyes_enabled=True,
            four_eyes_people=(person(org["Ivan"]), person(org["Sue"])),
        ),
    )
    assert result.blocked_reasons == ("all steps are skipped",)


# --- blocked causes -------------------------------------------------------------------------


def _missing() -> PersonRef:
    return PersonRef(employee_id=999_999, number="GONE", name="Gone")


def missing_named() -> RuleDefinition:
    """A named rule whose approver was deleted after the version was published."""
    return RuleDefinition(kind=Kind.NAMED, approvers=(_missing(),))


BLOCKED_CASES: list[tuple[str, Any, dict[str, Any], str]] = [
    (
        "mandatory step without approver",
        lambda o: definition(o.company, step(name="Dept", rules=(rule(Kind.DEPARTMENT, o.approver),))),
        {"department_code": "NOPE"},
        'Step 1 "Dept": no approver found for a mandatory step',
    ),
    (
        "all steps skipped",
        lambda o: definition(
            o.company,
            step(condition_kind=Condition.AMOUNT_ABOVE, low_limit=BIG, rules=(named(o["Nina"]),)),
            step(condition_kind=Condition.DUE_IN_DAYS_BELOW, days=3, rules=(named(o["Nina"]),)),
        ),
        {"amount": 10},
        "all steps are skipped",
    ),
    (
        "optional steps without approver are skipped, so all are",
        lambda o: definition(
            o.company, step(mandatory=False, rules=(rule(Kind.BRANCH, o.approver),))
        ),
        {},
        "all steps are skipped",
    ),
    ("workflow without steps", lambda o: definition(o.company), {}, "the workflow has no steps"),
    (
        "named approver does not exist",
        lambda o: definition(
            o.company, step(name="Named", rules=(named(o["Nina"]), missing_named()))
        ),
        {},
        'Step 1 "Named": named approver Gone (GONE) does not exist',
    ),
    (
        "named approver inactive",
        lambda o: definition(o.company, step(name="Named", rules=(named(o["Zed"]),))),
        {},
        'Step 1 "Named": named approver Zed (ZED) is inactive',
    ),
    (
        "named approver of another company",
        lambda o: definition(
            o.company, step(name="Named", rules=(named(EmployeeFactory(number="ALIEN", name="Alien")),))
        ),
        {},
        'Step 1 "Named": named approver Alien (ALIEN) does not exist',
    ),
    (
        "initial approver does not exist",
        lambda o: definition(o.company, step(name="Init", rules=(rule(Kind.INITIAL_APPROVER),))),
        {"initial_approver": "NOBODY"},
        'Step 1 "Init": initial approver NOBODY does not exist',
    ),
    (
        "automatic approval as someone who does not exist",
        lambda o: definition(o.company, step(name="Auto", auto_approve_as=_missing())),
        {},
        'Step 1 "Auto": automatic-approval approver Gone (GONE) does not exist',
    ),
    (
        "limit without the document currency",
        lambda o: definition(
            o.company,
            step(name="Big", condition_kind=Condition.AMOUNT_ABOVE, low_limit=BIG, rules=(named(o["Nina"]),)),
            step(rules=(named(o["Nina"]),)),
        ),
        {"currency": "SEK"},
        'Step 1 "Big": limit "Big" has no amount in SEK',
    ),
    (
        "between with one limit lacking the currency",
        lambda o: definition(
            o.company,
            step(name="Mid", condition_kind=Condition.AMOUNT_BETWEEN, low_limit=SMALL,
                 high_limit=limit_ref("EurOnly", EUR=5000), rules=(named(o["Nina"]),)),
        ),
        {"currency": "NOK"},
        'Step 1 "Mid": limit "EurOnly" has no amount in NOK',
    ),
    (
        "unknown condition in a stored definition",
        lambda o: definition(o.company, step(name="Odd", condition_kind="full_moon", rules=(named(o["Nina"]),))),
        {},
        "Step 1 \"Odd\": unknown condition 'full_moon'",
    ),
    (
        "role rule without a role",
        lambda o: definition(o.company, step(name="Dept", rules=(RuleDefinition(kind=Kind.DEPARTMENT),))),
        {},
        'Step 1 "Dept": the department rule has no role',
    ),
    (
        "at least N with fewer approvers",
        lambda o: definition(
            o.company, step(name="Two", completion_policy="at_least", required_count=2, rules=(named(o["Nina"]),))
        ),
        {},
        'Step 1 "Two": needs at least 2 approvers, found 1',
    ),
    (
        "4-eyes with fewer than two people",
        lambda o: definition(
            o.company, step(rules=(named(o["Nina"]),)),
            four_eyes_enabled=True, four_eyes_people=(person(o["Ivan"]),),
        ),
        {},
        f'Step 2 "{FOUR_EYES_STEP_NAME}": 4-eyes approval needs at least two fallback people',
    ),
    (
        "4-eyes person inactive",
        lambda o: definition(
            o.company, step(rules=(named(o["Nina"]),)),
            four_eyes_enabled=True, four_eyes_people=(person(o["Rita"]), person(o["Zed"])),
        ),
        {},
        f'Step 2 "{FOUR_EYES_STEP_NAME}": 4-eyes person Zed (ZED) is inactive',
    ),
    (
        "4-eyes with only the requester left",
        lambda o: definition(
            o.company, step(rules=(named(o["Nina"]),)),
            four_eyes_enabled=True, four_eyes_people=(person(o["Rita"]), person(o["Zed"])),
        ),
        {},
        f'Step 2 "{FOUR_EYES_STEP_NAME}": no 4-eyes fallback person is left besides '
        "the requester",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "build", "facts", "reason"),
    BLOCKED_CASES,
    ids=[case[0] for case in BLOCKED_CASES],
)
def test_blocked_causes(
    org: Org, label: str, build: Any, facts: dict[str, Any], reason: str
) -> None:
    result = plan(routing_facts(org.company, **facts), build(org))
    assert result.blocked, label
    assert reason in result.blocked_reasons, result.blocked_reasons


def test_a_skipped_step_with_a_missing_approver_does_not_block(org: Org) -> None:
    result = plan(
        routing_facts(org.company, amount=10),
        definition(
            org.company,
            step(
                condition_kind=Condition.AMOUNT_ABOVE,
                low_limit=BIG,
                rules=(missing_named(),),
            ),
            step(rules=(named(org["Nina"]),)),
        ),
    )
    assert not result.blocked
    assert [s.outcome for s in result.steps] == [StepOutcome.SKIPPED, StepOutcome.ROUTE]


def test_an_optional_step_without_approver_is_skipped_with_the_reason(org: Org) -> None:
    planned = first_step(
        org,
        step(mandatory=False, rules=(rule(Kind.DEPARTMENT, org.approver),)),
        department_code="NOPE",
    )
    assert planned.outcome == StepOutcome.SKIPPED
    assert planned.reasons[-2:] == (
        "Department NOPE has no approver in this role.",
        "no approver found; the step is optional",
    )


def test_a_blocked_step_still_shows_the_approvers_it_found(org: Org) -> None:
    planned = first_step(org, step(rules=(named(org["Nina"]), missing_named())))
    assert planned.outcome == StepOutcome.BLOCKED
    assert names(planned) == ["Nina"]


def test_every_step_is_planned_even_after_a_blocked_one(org: Org) -> None:
    result = plan(
        routing_facts(org.company, currency="SEK"),
        definition(
            org.company,
            step(condition_kind=Condition.AMOUNT_BELOW, high_limit=SMALL, rules=(named(org["Nina"]),)),
            step(rules=(named(org["Ivan"]),)),
        ),
    )  # fmt: skip
    assert [s.outcome for s in result.steps] == [StepOutcome.BLOCKED, StepOutcome.ROUTE]
    assert names(result.steps[1]) == ["Ivan"]


# --- the whole plan -------------------------------------------------------------------------


def test_a_realistic_invoice_plan(org: Org) -> None:
    result = plan(
        routing_facts(
            org.company,
            amount="4200",
            department_code="SALES",
            lines=[line(1, segments={1: "R&D", 2: "Beta"}), line(2, project_code="P1")],
        ),
        definition(
            org.company,
            step(name="Budget owner", line_approval=True, rules=(rule(Kind.COST_UNIT, org.approver), rule(Kind.PROJECT_MANAGER))),
            step(name="Department", rules=(rule(Kind.DEPARTMENT, org.approver),)),
            step(name="Controller", condition_kind=Condition.AMOUNT_BETWEEN, low_limit=SMALL, high_limit=BIG, rules=(named(org["Nina"]),)),
            step(name="CFO", condition_kind=Condition.AMOUNT_ABOVE, low_limit=BIG, rules=(rule(Kind.REQUESTER_EXCEPTION, org.cfo),)),
        ),
    )  # fmt: skip
    assert not result.blocked
    assert [(s.name, s.outcome) for s in result.steps] == [
        ("Budget owner", StepOutcome.ROUTE),
        ("Department", StepOutcome.ROUTE),
        ("Controller", StepOutcome.ROUTE),
        ("CFO", StepOutcome.SKIPPED),
    ]
    assert [(a.employee_name, a.line_numbers) for a in result.steps[0].approvers] == [
        ("Cora", (1,)),
        ("Paula", (2,)),
    ]
    assert [s.name for s in result.active_steps()] == [
        "Budget owner",
        "Department",
        "Controller",
    ]


def test_plan_for_a_version_equals_plan_for_its_definition(org: Org) -> None:
    workflow = WorkflowFactory(company=org.company)
    step_row = Step.objects.create(
        company=org.company, workflow=workflow, position=1, name="Named"
    )
    rule_row = StepRule.objects.create(
        company=org.company, step=step_row, kind=Kind.NAMED
    )
    rule_row.approvers.set([org["Nina"]])
    version = WorkflowVersionFactory(workflow=workflow)
    facts = routing_facts(org.company)
    from_version = plan_for_version(facts, version)
    assert from_version == plan(facts, WorkflowDefinition.from_dict(version.definition))
    assert names(from_version.steps[0]) == ["Nina"]


def test_plan_only_reads(org: Org) -> None:
    with CaptureQueriesContext(connection) as captured:
        plan(
            routing_facts(org.company, lines=[line(1, segments={1: "R&D"})]),
            definition(org.company, step(rules=(rule(Kind.COST_UNIT, org.approver),))),
        )
    statements = [
        q["sql"].lstrip().split()[0].upper() for q in captured.captured_queries
    ]
    assert statements
    assert set(statements) == {"SELECT"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"company_id": 0}, "cannot route a document of company"),
        ({"document_type": DocumentType.TIME_SHEET}, "workflow cannot route a"),
    ],
)
def test_a_definition_only_routes_its_own_company_and_type(
    org: Org, change: dict[str, Any], message: str
) -> None:
    wrong = replace(
        definition(org.company, step(rules=(named(org["Nina"]),))), **change
    )
    with pytest.raises(ValueError, match=message):
        plan(routing_facts(org.company), wrong)


def test_plan_is_a_value(org: Org) -> None:
    """Same inputs, equal plans: the runtime can compare a recalculated plan."""
    workflow = definition(
        org.company,
        step(rules=(rule(Kind.COST_UNIT, org.approver), named(org["Nina"]))),
    )
    facts = routing_facts(org.company, lines=[line(1, segments={1: "R&D"})])
    first: Plan = plan(facts, workflow)
    assert plan(facts, workflow) == first
    assert hash(first) == hash(plan(facts, workflow))


def test_substitutes_are_those_active_at_the_given_moment(org: Org) -> None:
    later = timezone.now() + timedelta(days=10)
    SubstitutionFactory(principal=org["Nina"], substitute=org["Nils"], starts_at=later)
    workflow = definition(org.company, step(rules=(named(org["Nina"]),)))
    facts = routing_facts(org.company)

    assert names(plan(facts, workflow).steps[0]) == ["Nina"]
    at_later = replace(facts, at=later + timedelta(hours=1))
    assert names(plan(at_later, workflow).steps[0]) == ["Nils", "Nina"]
