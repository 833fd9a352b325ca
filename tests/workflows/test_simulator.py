"""The simulator's logic: input parsing, the plan as JSON, plan differences, the trace."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from orgunits.models import DocumentType
from tests.factories.orgunits import SubstitutionFactory
from tests.factories.workflows import definition, limit_ref, named, rule, step
from tests.workflows.conftest import TODAY, Org, line, routing_facts
from workflows.engine import StepOutcome, plan
from workflows.models import Step, StepRule
from workflows.simulator import (
    facts_from_data,
    facts_to_json,
    plan_difference,
    plan_to_json,
    simulate,
    trace,
)

SMALL = limit_ref("Small", EUR=1000)
INVOICE = DocumentType.PURCHASE_INVOICE


def two_steps(org: Org, *, second_rules: tuple = ()) -> object:
    return definition(
        org.company,
        step(name="Cost unit", rules=(rule(StepRule.Kind.COST_UNIT, org.approver),)),
        step(
            name="Controller",
            condition_kind=Step.Condition.AMOUNT_ABOVE,
            low_limit=SMALL,
            rules=second_rules or (named(org["Nina"]),),
        ),
    )


# --- simulate and JSON ----------------------------------------------------------------------


def test_simulate_is_the_engine(org: Org) -> None:
    facts = routing_facts(org.company, lines=[line(1, segments={1: "R&D"})])
    built = two_steps(org)

    assert simulate(facts=facts, definition=built) == plan(facts, built)


def test_plan_to_json_is_what_a_json_field_stores(org: Org) -> None:
    facts = routing_facts(
        org.company, amount="2500", lines=[line(1, segments={1: "R&D"})]
    )
    result = simulate(facts=facts, definition=two_steps(org))

    data = plan_to_json(result)

    stored = json.loads(json.dumps(dataclasses.asdict(result), cls=DjangoJSONEncoder))
    assert data == stored
    assert data["blocked"] is False
    assert [s["outcome"] for s in data["steps"]] == ["route", "route"]
    assert data["steps"][0]["approvers"][0]["employee_number"] == "CARL"
    assert data["steps"][0]["approvers"][0]["row_id"] == org.rows["carl"]


# --- reading a hypothetical document ------------------------------------------------------


def test_facts_from_data_reads_header_lines_and_dates(org: Org) -> None:
    data = {
        "document_type": INVOICE,
        "amount": "1234.5",
        "currency": "eur",
        "requester": "RITA",
        "initial_approver": "IVAN",
        "department": "SALES",
        "branch": "OSLO",
        "received_days_ago": 4,
        "due_in_days": 2,
        "lines": [
            {"amount": 100, "segments": {"1": "R&D", "2": "Beta"}, "project": "P1"},
            {"amount": "50.25", "line_number": 7, "task": "T9", "segments": {"2": ""}},
        ],
    }

    facts = facts_from_data(data, company_id=org.company.pk, today=TODAY)

    assert (facts.amount, facts.currency) == (Decimal("1234.50"), "EUR")
    assert (facts.requester_number, facts.initial_approver_number) == ("RITA", "IVAN")
    assert facts.received_on == TODAY - timedelta(days=4)
    assert facts.due_date == TODAY + timedelta(days=2)
    assert facts.today == TODAY
    assert facts.header.department_code == "SALES"
    assert facts.header.branch_code == "OSLO"
    assert facts.header.requester_number == "RITA"
    assert [(n.line_number, n.amount) for n in facts.lines] == [
        (1, Decimal("100.00")),
        (7, Decimal("50.25")),
    ]
    assert facts.lines[0].org.segment_values == {1: "R&D", 2: "Beta"}
    assert facts.lines[0].org.project_code == "P1"
    assert facts.lines[1].org.segment_values == {}


def test_facts_survive_a_round_trip_through_json(org: Org) -> None:
    facts = routing_facts(
        org.company,
        amount="99.95",
        initial_approver="IVAN",
        department_code="SALES",
        lines=[line(1, 10, segments={1: "R&D"}, project_code="P1", task_code="T9")],
    )

    again = facts_from_data(
        json.loads(json.dumps(facts_to_json(facts))),
        company_id=org.company.pk,
        today=date(2000, 1, 1),
    )

    assert again == facts


def test_every_input_error_is_reported_with_its_path(org: Org) -> None:
    data = {
        "document_type": "invoice",
        "currency": "kroner",
        "due_date": "31.12.2026",
        "lines": [
            {"amount": "12,50"},
            {"amount": 1, "line_number": 1, "segments": {"dept": "R&D"}},
            "not a line",
        ],
    }

    with pytest.raises(ValidationError) as raised:
        facts_from_data(data, company_id=org.company.pk, today=TODAY)

    errors = raised.value.message_dict
    assert set(errors) == {
        "document_type",
        "amount",
        "currency",
        "due_date",
        "lines[0].amount",
        "lines[1].line_number",
        "lines[1].segments",
        "lines[2]",
    }
    assert errors["amount"] == ["Give an amount, e.g. 12500.00."]
    assert errors["lines[0].amount"] == ["“12,50” is not an amount."]
    assert errors["due_date"] == ["“31.12.2026” is not a date; write it as YYYY-MM-DD."]


def test_the_workflow_decides_the_document_type(org: Org) -> None:
    facts = facts_from_data(
        {"amount": 10},
        company_id=org.company.pk,
        today=TODAY,
        document_type=INVOICE,
        default_currency="NOK",
    )
    assert (facts.document_type, facts.currency) == (INVOICE, "NOK")

    with pytest.raises(ValidationError, match="The workflow routes purchase_invoice"):
        facts_from_data(
            {"amount": 10, "currency": "EUR", "document_type": "time_sheet"},
            company_id=org.company.pk,
            today=TODAY,
            document_type=INVOICE,
        )


# --- differences between two plans ---------------------------------------------------------


def test_no_difference_for_the_same_routing(org: Org) -> None:
    facts = routing_facts(org.company, lines=[line(1, segments={1: "R&D"})])
    built = two_steps(org)

    assert plan_difference(plan(facts, built), plan(facts, built)) == []


def test_difference_names_approvers_added_and_removed(org: Org) -> None:
    facts = routing_facts(
        org.company, amount="5000", lines=[line(1, segments={1: "R&D"})]
    )
    before = plan(facts, two_steps(org))
    after = plan(facts, two_steps(org, second_rules=(named(org["Sue"], org["Nils"]),)))

    assert plan_difference(before, after) == [
        'Step 2 "Controller": approvers added: Nils (NILS), Sue (SUE)',
        'Step 2 "Controller": approvers removed: Nina (NINA)',
    ]


def test_difference_when_a_step_is_now_skipped_or_blocked(org: Org) -> None:
    facts = routing_facts(
        org.company, amount="500", lines=[line(1, segments={1: "R&D"})]
    )
    before = plan(facts, two_steps(org))
    always = definition(
        org.company,
        step(name="Cost unit", rules=(rule(StepRule.Kind.COST_UNIT, org.approver),)),
        step(name="Controller", rules=(named(org["Zed"]),)),
    )

    skipped_to_blocked = plan_difference(before, plan(facts, always))

    assert skipped_to_blocked[0].startswith(
        'The document is now blocked: Step 2 "Controller": named approver Zed'
    )
    assert skipped_to_blocked[1].startswith(
        'Step 2 "Controller": now blocked (no condition: the step always applies; '
        "named approver Zed (ZED) is inactive) (was skipped (amount 500.00 EUR is "
        'below limit "Small" (1000.00 EUR)))'
    )
    assert plan_difference(plan(facts, always), before)[0] == (
        "The document is no longer blocked."
    )


def test_difference_pairs_steps_by_name_and_reports_added_and_removed_steps(
    org: Org,
) -> None:
    facts = routing_facts(
        org.company, amount="5000", lines=[line(1, segments={1: "R&D"})]
    )
    before = plan(facts, two_steps(org))
    after = plan(
        facts,
        definition(
            org.company,
            step(name="Controller", rules=(named(org["Nina"]),)),
            step(name="Branch", rules=(named(org["Bea"]),)),
        ),
    )

    assert plan_difference(before, after) == [
        'Step 1 "Controller": moved from position 2 to 1',
        'Step 1 "Cost unit" removed (was: routed to Carl (CARL))',
        'Step 2 "Branch" added: routed to Bea (BEA)',
    ]


def test_difference_in_the_lines_an_approver_gets(org: Org) -> None:
    lines = [line(1, segments={1: "R&D"}), line(2, segments={1: "R&D", 2: "Beta"})]
    facts = routing_facts(org.company, lines=lines)
    by_line = step(
        name="Lines",
        line_approval=True,
        rules=(rule(StepRule.Kind.COST_UNIT, org.approver),),
    )
    before = plan(facts, definition(org.company, by_line))
    moved = routing_facts(
        org.company, lines=[line(1, segments={1: "R&D"}), line(2, segments={1: "R&D"})]
    )
    after = plan(moved, definition(org.company, by_line))

    assert plan_difference(before, after) == [
        'Step 1 "Lines": approvers removed: Cora (CORA)',
        'Step 1 "Lines": Carl (CARL) now approves lines 1, 2 (was line 1)',
    ]


# --- the trace -------------------------------------------------------------------------------


def test_trace_marks_substitutes_on_behalf_of_their_principal(org: Org) -> None:
    SubstitutionFactory(principal=org["Nina"], substitute=org["Sue"])
    facts = routing_facts(org.company)
    result = plan(facts, definition(org.company, step(rules=(named(org["Nina"]),))))

    (only,) = trace(result)

    people = {a.approver.employee_name: a for a in only.approvers}
    assert people["Sue"].on_behalf_of == "Nina"
    assert people["Nina"].on_behalf_of == ""
    assert people["Nina"].rule_label == "Named approvers"
    assert only.outcome_label == "Routed"


def test_trace_lists_approvers_per_line_in_a_line_approval_step(org: Org) -> None:
    lines = [line(1, segments={1: "R&D"}), line(2, segments={1: "R&D", 2: "Beta"})]
    facts = routing_facts(org.company, lines=lines)
    result = plan(
        facts,
        definition(
            org.company,
            step(
                line_approval=True, rules=(rule(StepRule.Kind.COST_UNIT, org.approver),)
            ),
            four_eyes_enabled=True,
            four_eyes_people=(named(org["Nina"], org["Sue"]).approvers),
        ),
    )

    lines_step, four_eyes = trace(result)

    assert [
        (n.line_number, [a.approver.employee_name for a in n.approvers])
        for n in lines_step.lines
    ] == [
        (1, ["Carl"]),
        (2, ["Cora"]),
    ]
    assert four_eyes.step.outcome == StepOutcome.FOUR_EYES
    assert four_eyes.approvers[0].rule_label == "4-eyes fallback"
