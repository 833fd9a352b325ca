"""A company with people, a role, two limits and an admin, for the workflow services."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser

from orgunits.models import ApproverRole, Company, Employee
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    EmployeeFactory,
    UserFactory,
)
from tests.factories.workflows import LimitFactory, definition, named, rule, step
from workflows.definition import (
    LimitRef,
    WorkflowDefinition,
    definition_from_workflow,
)
from workflows.models import Limit, Step, StepRule, Workflow
from workflows.services import workflow_create


@dataclass
class Setup:
    company: Company
    admin: AbstractUser
    role: ApproverRole
    alice: Employee
    bob: Employee
    carol: Employee
    small: Limit
    big: Limit

    def draft(self, name: str = "Invoices", **options: object) -> Workflow:
        """A saved draft: "Approver" (named Alice) then "Controller" above Big."""
        definition = self.definition(name, **options)
        return workflow_create(
            company=self.company,
            document_type=definition.document_type,
            name=name,
            actor=self.admin,
            comment="New workflow",
            definition=definition,
        )

    def definition(
        self, name: str = "Invoices", **options: object
    ) -> WorkflowDefinition:
        return dataclasses.replace(
            definition(
                self.company,
                step(name="Approver", rules=(named(self.alice),)),
                step(
                    name="Controller",
                    condition_kind=Step.Condition.AMOUNT_ABOVE,
                    low_limit=LimitRef.from_limit(self.big),
                    rules=(rule(StepRule.Kind.DEPARTMENT, self.role),),
                ),
            ),
            name=name,
            **options,
        )

    @staticmethod
    def current(workflow: Workflow) -> WorkflowDefinition:
        return definition_from_workflow(workflow)


@pytest.fixture
def setup(db: None) -> Setup:
    company = CompanyFactory()
    return Setup(
        company=company,
        admin=UserFactory(username="admin"),
        role=ApproverRoleFactory(company=company, name="Department manager"),
        alice=EmployeeFactory(company=company, number="A1", name="Alice"),
        bob=EmployeeFactory(company=company, number="B2", name="Bob"),
        carol=EmployeeFactory(company=company, number="C3", name="Carol"),
        small=LimitFactory(
            company=company, name="Small", amounts={"EUR": Decimal(1000)}
        ),
        big=LimitFactory(company=company, name="Big", amounts={"EUR": Decimal(10_000)}),
    )
