"""One company with an assignment for every rule kind, and a builder for routing facts.

Org (segments Department over Product):
- Rita (RITA) is the usual requester; her nearest manager is Mona. Otto has no manager.
- Role "Approver": cost-unit combination R&D + Any → Carl, R&D + Beta → Cora; department
  SALES → Dave; project P1 → Pete (task T9 → Tess); branch OSLO → Bea.
- Role "CFO": exception for requester Rita → Xena.
- Project P1's manager is Paula. Ivan is an initial approver, Nina a named approver.
- Zed is inactive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orgunits.models import ApproverRole, Company, DocumentType, Employee
from orgunits.resolver import OrgFacts
from tests.factories.orgunits import (
    ANY,
    ApproverRoleFactory,
    BranchApproverFactory,
    BranchFactory,
    CompanyFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProjectApproverFactory,
    ProjectFactory,
    ProjectTaskFactory,
    RequesterExceptionFactory,
    combination,
    routing_types,
)
from workflows.engine import RoutingFacts, RoutingLine

TODAY = date(2026, 3, 10)


@dataclass
class Org:
    company: Company
    approver: ApproverRole
    cfo: ApproverRole
    people: dict[str, Employee]
    #: Assignment rows by a short name, for asserting `row_id`.
    rows: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Employee:
        return self.people[name]


def build_org() -> Org:
    company = CompanyFactory(code="acme", name="Acme", currency="EUR")
    approver = ApproverRoleFactory(company=company, name="Approver", is_default=True)
    cfo = ApproverRoleFactory(company=company, name="CFO")
    names = [
        "Rita", "Mona", "Otto", "Carl", "Cora", "Dave", "Pete", "Tess", "Bea",
        "Xena", "Paula", "Ivan", "Nina", "Nils", "Sue", "Zed",
    ]  # fmt: skip
    people = {
        name: EmployeeFactory(company=company, name=name, number=name.upper())
        for name in names
    }
    people["Rita"].manager = people["Mona"]
    people["Rita"].save(update_fields=["manager"])
    people["Zed"].active = False
    people["Zed"].save(update_fields=["active"])
    org = Org(company=company, approver=approver, cfo=cfo, people=people)

    routing_types(company, "Department", "Product")
    org.rows["carl"] = combination(
        company, approver, people["Carl"], {"Department": "R&D", "Product": ANY}
    ).pk
    org.rows["cora"] = combination(
        company, approver, people["Cora"], {"Department": "R&D", "Product": "Beta"}
    ).pk
    sales = DepartmentFactory(company=company, code="SALES", name="Sales")
    org.rows["dave"] = DepartmentApproverFactory(
        department=sales, role=approver, approver=people["Dave"]
    ).pk
    project = ProjectFactory(
        company=company, code="P1", name="Bridge", manager=people["Paula"]
    )
    org.rows["project"] = project.pk
    org.rows["pete"] = ProjectApproverFactory(
        project=project, role=approver, approver=people["Pete"]
    ).pk
    task = ProjectTaskFactory(project=project, code="T9")
    org.rows["tess"] = ProjectApproverFactory(
        task=task, role=approver, approver=people["Tess"]
    ).pk
    oslo = BranchFactory(company=company, code="OSLO", name="Oslo")
    org.rows["bea"] = BranchApproverFactory(
        branch=oslo, role=approver, approver=people["Bea"]
    ).pk
    org.rows["xena"] = RequesterExceptionFactory(
        requester=people["Rita"], role=cfo, approver=people["Xena"]
    ).pk
    return org


@pytest.fixture
def org(db: None) -> Org:
    return build_org()


def line(
    number: int,
    amount: Decimal | int = 100,
    *,
    segments: Mapping[int, str] | None = None,
    **org_facts: Any,
) -> RoutingLine:
    """A routing line; `segments={1: "R&D", 2: "Beta"}`, other OrgFacts as keywords."""
    return RoutingLine(
        line_number=number,
        amount=Decimal(amount),
        org=OrgFacts(segment_values=dict(segments or {}), **org_facts),
    )


def routing_facts(
    company: Company,
    *,
    amount: Decimal | int | str = 500,
    currency: str = "EUR",
    requester: str | None = "RITA",
    initial_approver: str | None = None,
    received_days_ago: int = 0,
    due_in_days: int | None = 30,
    document_type: str = DocumentType.PURCHASE_INVOICE,
    lines: Sequence[RoutingLine] = (),
    **header: Any,
) -> RoutingFacts:
    """Facts for a document of `company`; header org facts as keywords."""
    return RoutingFacts(
        company_id=company.pk,
        document_type=document_type,
        amount=Decimal(amount),
        currency=currency,
        requester_number=requester,
        initial_approver_number=initial_approver,
        received_on=TODAY - timedelta(days=received_days_ago),
        due_date=None if due_in_days is None else TODAY + timedelta(days=due_in_days),
        today=TODAY,
        header=OrgFacts(requester_number=requester, **header),
        lines=tuple(lines),
    )
