"""Database invariants of the workflow models."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, IntegrityError, transaction

from core.exceptions import ApplicationError
from orgunits.models import Company, DocumentType
from tests.factories.orgunits import ApproverRoleFactory, CompanyFactory
from tests.factories.workflows import (
    LimitFactory,
    StepFactory,
    StepRuleFactory,
    WorkflowChangeFactory,
    WorkflowFactory,
    WorkflowVersionFactory,
)
from workflows.models import (
    LimitAmount,
    Step,
    StepRule,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)

pytestmark = pytest.mark.django_db


def test_every_workflow_model_belongs_to_a_company() -> None:
    for model in apps.get_app_config("workflows").get_models():
        field = model._meta.get_field("company")
        assert field.related_model is Company, model.__name__


def test_only_one_active_workflow_per_company_and_type() -> None:
    active = WorkflowFactory(is_active=True)
    WorkflowFactory(company=active.company, is_active=False)
    WorkflowFactory(
        company=active.company,
        document_type=DocumentType.TIME_SHEET,
        is_active=True,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkflowFactory(company=active.company, is_active=True)


def test_limit_amount_is_unique_per_currency() -> None:
    limit = LimitFactory(amounts={"EUR": Decimal(100)})
    with pytest.raises(IntegrityError), transaction.atomic():
        LimitAmount.objects.create(
            company=limit.company, limit=limit, currency="EUR", amount=Decimal(5)
        )


@pytest.mark.parametrize(
    ("kind", "operands"),
    [
        (Step.Condition.ALWAYS, {"days": 3}),
        (Step.Condition.AMOUNT_BELOW, {}),
        (Step.Condition.AMOUNT_ABOVE, {"high": True}),
        (Step.Condition.AMOUNT_BETWEEN, {"low": True}),
        (Step.Condition.DUE_IN_DAYS_BELOW, {}),
        (Step.Condition.RECEIVED_DAYS_AGO_AT_LEAST, {"days": 2, "low": True}),
        ("sometimes", {}),
    ],
)
def test_step_condition_must_carry_exactly_its_operands(
    kind: str, operands: dict[str, object]
) -> None:
    workflow = WorkflowFactory()
    limit = LimitFactory(company=workflow.company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.create(
            company=workflow.company,
            workflow=workflow,
            position=1,
            name="Step",
            condition_kind=kind,
            low_limit=limit if operands.get("low") else None,
            high_limit=limit if operands.get("high") else None,
            days=operands.get("days"),
        )


def test_role_rules_need_a_role_and_others_refuse_one() -> None:
    step = StepFactory()
    role = ApproverRoleFactory(company=step.company)
    with pytest.raises(IntegrityError), transaction.atomic():
        StepRule.objects.create(
            company=step.company, step=step, kind=StepRule.Kind.DEPARTMENT
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        StepRule.objects.create(
            company=step.company, step=step, kind=StepRule.Kind.NAMED, role=role
        )
    StepRuleFactory(step=step, kind=StepRule.Kind.DEPARTMENT, role=role)


def test_published_version_cannot_be_saved_again() -> None:
    version = WorkflowVersionFactory()
    version.comment = "rewritten history"
    with pytest.raises(ApplicationError, match="cannot be changed"):
        version.save()


def test_change_log_comment_is_required_by_the_database() -> None:
    workflow = WorkflowFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkflowChange.objects.create(
            company=workflow.company,
            workflow=workflow,
            workflow_name=workflow.name,
            action=WorkflowChange.Action.EDITED,
            comment="   ",
        )


def test_company_factory_is_shared() -> None:
    company = CompanyFactory()
    assert WorkflowFactory(company=company).company == company
    assert Workflow.objects.filter(company=company).count() == 1


@pytest.mark.postgres
def test_the_database_refuses_to_rewrite_a_version_or_a_change() -> None:
    version = WorkflowVersionFactory()
    change = WorkflowChangeFactory(workflow=version.workflow, version=version)
    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        WorkflowVersion.objects.filter(pk=version.pk).update(comment="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        WorkflowChange.objects.filter(pk=change.pk).update(comment="rewritten")
    other = WorkflowFactory(company=version.company)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        WorkflowChange.objects.filter(pk=change.pk).update(workflow=other)


@pytest.mark.postgres
def test_deleting_an_unused_workflow_detaches_its_change_log() -> None:
    version = WorkflowVersionFactory()
    change = WorkflowChangeFactory(workflow=version.workflow, version=version)
    version.workflow.delete()
    change.refresh_from_db()
    assert (change.workflow_id, change.version_id) == (None, None)
    assert change.comment == "Changed"
