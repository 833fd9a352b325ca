"""Workflow selectors: company-scoped, with their relations loaded."""

import pytest
from pytest_django import DjangoAssertNumQueries

from tests.factories.orgunits import CompanyFactory, EmployeeFactory
from tests.factories.workflows import (
    StepFactory,
    StepRuleFactory,
    WorkflowChangeFactory,
    WorkflowFactory,
    WorkflowVersionFactory,
)
from workflows.models import Workflow
from workflows.selectors import (
    active_version_get,
    limit_list,
    workflow_change_list,
    workflow_get,
    workflow_list,
    workflow_version_list,
)

pytestmark = pytest.mark.django_db


def test_workflow_list_is_scoped_and_puts_the_active_one_first() -> None:
    company = CompanyFactory()
    draft = WorkflowFactory(company=company, name="A draft")
    active = WorkflowFactory(company=company, name="Z live", is_active=True)
    StepFactory(workflow=active)
    claims = WorkflowFactory(company=company, document_type="expense_claim")
    WorkflowFactory()  # another company

    listed = list(workflow_list(company=company))
    assert listed == [claims, active, draft]
    assert [w.step_count for w in listed] == [0, 1, 0]  # type: ignore[attr-defined]  # annotated
    assert list(workflow_list(company=company, document_type="expense_claim")) == [
        claims
    ]


def test_workflow_get_loads_steps_and_rules_in_one_go(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    workflow = WorkflowFactory()
    for _ in range(3):
        StepRuleFactory(
            step=StepFactory(workflow=workflow),
            approvers=[EmployeeFactory(company=workflow.company)],
        )
    with django_assert_num_queries(5):
        loaded = workflow_get(company=workflow.company, pk=workflow.pk)
        names = [
            [a.name for r in s.rules.all() for a in r.approvers.all()]
            for s in loaded.steps.all()
        ]
    assert len(names) == 3
    with pytest.raises(Workflow.DoesNotExist):
        workflow_get(company=CompanyFactory(), pk=workflow.pk)


def test_active_version_get_returns_the_latest_version_of_the_active_workflow() -> None:
    workflow = WorkflowFactory(is_active=True)
    WorkflowVersionFactory(workflow=workflow)
    latest = WorkflowVersionFactory(workflow=workflow)
    inactive = WorkflowFactory(company=workflow.company)
    WorkflowVersionFactory(workflow=inactive)
    WorkflowVersionFactory(workflow=inactive)
    WorkflowVersionFactory(workflow=inactive)

    assert (
        active_version_get(
            company_id=workflow.company_id, document_type="purchase_invoice"
        )
        == latest
    )
    assert (
        active_version_get(company_id=workflow.company_id, document_type="time_sheet")
        is None
    )
    assert workflow_version_list(workflow=workflow).first() == latest


def test_change_list_is_newest_first_and_scoped() -> None:
    workflow = WorkflowFactory()
    first = WorkflowChangeFactory(workflow=workflow)
    second = WorkflowChangeFactory(workflow=workflow)
    other = WorkflowChangeFactory(workflow=WorkflowFactory(company=workflow.company))
    WorkflowChangeFactory()  # another company

    assert list(workflow_change_list(company=workflow.company, workflow=workflow)) == [
        second,
        first,
    ]
    assert set(workflow_change_list(company=workflow.company)) == {first, second, other}
    assert list(limit_list(company=workflow.company)) == []
