"""The demo's workflows: one active per type, valid, idempotent, and routing as designed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from orgunits import demo
from orgunits.demo import (
    CFO,
    CONTROLLER_PERSON,
    HEAD_OF_OPERATIONS,
    HEAD_OF_RND,
    RND_LEAD,
    DemoSummary,
    load_demo_company,
)
from orgunits.models import DocumentType
from orgunits.resolver import OrgFacts
from workflows.definition import definition_from_workflow, definition_problems
from workflows.demo import load_demo_workflows
from workflows.engine import RoutingFacts, RoutingLine, StepOutcome
from workflows.models import (
    Limit,
    StepCondition,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)
from workflows.simulator import simulate

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


@pytest.fixture
def summary(demo_company_for_module: DemoSummary, db: None) -> DemoSummary:
    return demo_company_for_module


def invoice(
    summary: DemoSummary,
    amount: str,
    *,
    due_in_days: int = 30,
    lines: tuple[RoutingLine, ...] = (),
) -> RoutingFacts:
    return RoutingFacts(
        company_id=summary.company.pk,
        document_type=DocumentType.PURCHASE_INVOICE,
        amount=Decimal(amount),
        currency="NOK",
        requester_number=None,
        initial_approver_number=None,
        received_on=TODAY,
        due_date=TODAY + timedelta(days=due_in_days),
        today=TODAY,
        header=OrgFacts(department_code="20"),
        lines=lines,
    )


def rnd_line(number: int, cost_centre: str) -> RoutingLine:
    return RoutingLine(
        number, Decimal(100), OrgFacts(segment_values={1: "20", 2: cost_centre})
    )


def test_the_loader_is_registered_by_the_workflows_app() -> None:
    assert load_demo_workflows in demo._loaders


def test_every_document_type_has_one_valid_active_demo_workflow(
    summary: DemoSummary,
) -> None:
    for doc_type in DocumentType.values:
        active = Workflow.objects.get(
            company=summary.company, document_type=doc_type, is_active=True
        )
        assert definition_problems(definition_from_workflow(active)) == ()
        assert WorkflowVersion.objects.filter(workflow=active).count() == 1
    limits = {
        limit.name: {a.currency: a.amount for a in limit.amounts.all()}
        for limit in Limit.objects.filter(company=summary.company)
    }
    assert limits["Small"]["NOK"] == Decimal("10000.00")
    assert limits["Large"]["NOK"] == Decimal("100000.00")


def test_the_invoice_workflow_exercises_conditions_rules_lines_and_4_eyes(
    summary: DemoSummary,
) -> None:
    workflow = Workflow.objects.get(
        company=summary.company,
        document_type=DocumentType.PURCHASE_INVOICE,
        is_active=True,
    )
    definition = definition_from_workflow(workflow)
    kinds = {rule.kind for step in definition.steps for rule in step.rules}
    conditions = {step.condition_kind for step in definition.steps}

    assert {"cost_unit", "department", "initial_approver", "named"} <= kinds
    assert StepCondition.AMOUNT_ABOVE in conditions
    assert StepCondition.DUE_IN_DAYS_AT_LEAST in conditions
    assert any(step.line_approval for step in definition.steps)
    assert definition.four_eyes_enabled
    assert {p.number for p in definition.four_eyes_people} == {CFO, HEAD_OF_OPERATIONS}


def test_a_small_invoice_goes_to_the_cost_unit_owners_per_line_and_the_controller(
    summary: DemoSummary,
) -> None:
    workflow = Workflow.objects.get(
        company=summary.company,
        document_type=DocumentType.PURCHASE_INVOICE,
        is_active=True,
    )
    facts = invoice(summary, "5000", lines=(rnd_line(1, "B"), rnd_line(2, "C")))
    plan = simulate(facts=facts, definition=definition_from_workflow(workflow))

    owners, manager, controller, cfo, four_eyes = plan.steps
    assert not plan.blocked
    assert {(a.employee_number, a.line_numbers) for a in owners.approvers} == {
        (RND_LEAD, (1,)),
        (HEAD_OF_RND, (2,)),
    }
    assert manager.outcome == StepOutcome.SKIPPED
    assert [a.employee_number for a in controller.approvers] == [CONTROLLER_PERSON]
    assert cfo.outcome == StepOutcome.SKIPPED
    assert four_eyes.outcome == StepOutcome.FOUR_EYES


def test_the_controller_is_skipped_when_payment_is_due_in_under_three_days(
    summary: DemoSummary,
) -> None:
    workflow = Workflow.objects.get(
        company=summary.company,
        document_type=DocumentType.PURCHASE_INVOICE,
        is_active=True,
    )
    facts = invoice(summary, "150000", due_in_days=2, lines=(rnd_line(1, "A"),))
    plan = simulate(facts=facts, definition=definition_from_workflow(workflow))

    outcomes = {s.name: s.outcome for s in plan.steps}
    assert outcomes["Controller"] == StepOutcome.SKIPPED
    assert outcomes["Department manager"] == StepOutcome.ROUTE
    assert outcomes["CFO"] == StepOutcome.ROUTE


def test_loading_the_demo_twice_changes_no_workflow_or_limit(
    summary: DemoSummary,
) -> None:
    changes = WorkflowChange.objects.filter(company=summary.company).count()
    versions = WorkflowVersion.objects.filter(company=summary.company).count()

    again = load_demo_company()

    assert (again.created, again.updated) == (0, 0)
    assert WorkflowChange.objects.filter(company=summary.company).count() == changes
    assert WorkflowVersion.objects.filter(company=summary.company).count() == versions


def test_an_administrator_s_own_active_workflow_is_left_active(
    summary: DemoSummary,
) -> None:
    from workflows.services import workflow_activate, workflow_duplicate

    demo = Workflow.objects.get(
        company=summary.company,
        document_type=DocumentType.TIME_SHEET,
        is_active=True,
    )
    own = workflow_duplicate(workflow=demo, actor=None, comment="Mine")
    workflow_activate(workflow=own, actor=None, comment="Use mine")

    load_demo_company()

    own.refresh_from_db()
    demo.refresh_from_db()
    assert own.is_active
    assert not demo.is_active
