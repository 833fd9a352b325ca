"""Factories for the workflows models, plus small builders for plain definitions.

Company propagation follows `tests.factories.orgunits`: a row created for a workflow,
step or limit lands in that row's company.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from orgunits.models import ApproverRole, Company, DocumentType, Employee
from tests.factories.orgunits import CompanyFactory, CompanyScopedFactory
from workflows.definition import (
    LimitRef,
    PersonRef,
    RuleDefinition,
    StepDefinition,
    WorkflowDefinition,
    definition_from_workflow,
)
from workflows.models import (
    Limit,
    LimitAmount,
    Step,
    StepRule,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)


class LimitFactory(CompanyScopedFactory[Limit]):
    """A limit; `amounts={"EUR": Decimal(1000)}` adds its per-currency rows."""

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Limit {n}")

    class Meta:
        model = Limit
        skip_postgeneration_save = True

    @factory.post_generation
    def amounts(
        obj: Limit,
        create: bool,
        extracted: Mapping[str, Decimal | int | str] | None,
        **kwargs: Any,
    ) -> None:
        if not create or not extracted:
            return
        for currency, amount in extracted.items():
            LimitAmount.objects.create(
                company=obj.company,
                limit=obj,
                currency=currency,
                amount=Decimal(amount),
            )


class WorkflowFactory(CompanyScopedFactory[Workflow]):
    company = factory.SubFactory(CompanyFactory)
    document_type = DocumentType.PURCHASE_INVOICE
    name = factory.Sequence(lambda n: f"Workflow {n}")
    is_active = False

    class Meta:
        model = Workflow
        skip_postgeneration_save = True

    @factory.post_generation
    def four_eyes_people(
        obj: Workflow,
        create: bool,
        extracted: Iterable[Employee] | None,
        **kwargs: Any,
    ) -> None:
        if create and extracted:
            obj.four_eyes_people.set(extracted)


class StepFactory(CompanyScopedFactory[Step]):
    """The next step of its workflow unless `position` is given."""

    _company_from = ("workflow",)

    company = factory.SubFactory(CompanyFactory)
    workflow = factory.SubFactory(
        WorkflowFactory, company=factory.SelfAttribute("..company")
    )
    position = factory.LazyAttribute(lambda o: o.workflow.steps.count() + 1)
    name = factory.Sequence(lambda n: f"Step {n}")
    condition_kind = Step.Condition.ALWAYS

    class Meta:
        model = Step


class StepRuleFactory(CompanyScopedFactory[StepRule]):
    """A rule; `approvers=[...]` fills a named rule."""

    _company_from = ("step",)

    company = factory.SubFactory(CompanyFactory)
    step = factory.SubFactory(StepFactory, company=factory.SelfAttribute("..company"))
    kind = StepRule.Kind.NAMED
    role = None

    class Meta:
        model = StepRule
        skip_postgeneration_save = True

    @factory.post_generation
    def approvers(
        obj: StepRule,
        create: bool,
        extracted: Iterable[Employee] | None,
        **kwargs: Any,
    ) -> None:
        if create and extracted:
            obj.approvers.set(extracted)


class WorkflowVersionFactory(CompanyScopedFactory[WorkflowVersion]):
    """A published snapshot of the workflow's current rows."""

    _company_from = ("workflow",)

    company = factory.SubFactory(CompanyFactory)
    workflow = factory.SubFactory(
        WorkflowFactory, company=factory.SelfAttribute("..company")
    )
    number = factory.LazyAttribute(lambda o: o.workflow.versions.count() + 1)
    document_type = factory.SelfAttribute("workflow.document_type")
    definition = factory.LazyAttribute(
        lambda o: definition_from_workflow(o.workflow).to_dict()
    )
    published_at = factory.LazyFunction(timezone.now)
    comment = "Published"

    class Meta:
        model = WorkflowVersion


class WorkflowChangeFactory(CompanyScopedFactory[WorkflowChange]):
    _company_from = ("workflow",)

    company = factory.SubFactory(CompanyFactory)
    workflow = factory.SubFactory(
        WorkflowFactory, company=factory.SelfAttribute("..company")
    )
    workflow_name = factory.SelfAttribute("workflow.name")
    action = WorkflowChange.Action.EDITED
    comment = "Changed"
    diff = factory.LazyFunction(list)

    class Meta:
        model = WorkflowChange


# --- plain definitions for engine tests -----------------------------------------------


def person(employee: Employee) -> PersonRef:
    return PersonRef(
        employee_id=employee.pk, number=employee.number, name=employee.name
    )


def limit_ref(name: str, **amounts: Decimal | int | str) -> LimitRef:
    """`limit_ref("Big", EUR=10_000, NOK="100000")`."""
    return LimitRef.of(name, amounts)


def named(*employees: Employee) -> RuleDefinition:
    return RuleDefinition(
        kind=StepRule.Kind.NAMED, approvers=tuple(person(e) for e in employees)
    )


def rule(kind: str, role: ApproverRole | None = None) -> RuleDefinition:
    """A rule of any other kind; `role` is an ApproverRole row for the role kinds."""
    return RuleDefinition(
        kind=kind,
        role_id=None if role is None else role.pk,
        role_name="" if role is None else role.name,
    )


def step(position: int = 1, name: str | None = None, **options: Any) -> StepDefinition:
    return StepDefinition(position=position, name=name or f"Step {position}", **options)


def definition(
    company: Company,
    *steps: StepDefinition,
    document_type: str = DocumentType.PURCHASE_INVOICE,
    **options: Any,
) -> WorkflowDefinition:
    """A definition whose steps are numbered in the order given."""
    numbered = tuple(
        dataclasses.replace(s, position=index) for index, s in enumerate(steps, start=1)
    )
    return WorkflowDefinition(
        company_id=company.pk,
        document_type=document_type,
        name="Test workflow",
        steps=numbered,
        **options,
    )
