"""The data of the browser tests: a small company with real people and a routed invoice.

Built with tests/factories and the real services (`document_receive` queues
`route_document` on commit; the browser tests run Celery eagerly, so the invoice is
routed and its first task active when `invoice()` returns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractUser

from documents.models import Document, Task
from documents.services import LineInput, document_receive
from orgunits.models import Company, DocumentType, Employee
from tests.factories.orgunits import (
    CompanyFactory,
    EmployeeFactory,
    MembershipFactory,
    UserFactory,
)
from tests.factories.workflows import definition, named, step
from workflows.services import workflow_activate, workflow_create

#: Every login's password (the test settings hash it with MD5: fast).
PASSWORD = "signoff-browser-test"
INVOICE = DocumentType.PURCHASE_INVOICE
WORKFLOW_NAME = "Supplier invoices"


@dataclass(frozen=True)
class Office:
    company: Company
    anna: Employee  # approves step 1, "Manager"
    bob: Employee  # approves step 2, "Controller"
    carl: Employee  # may approve invoices; on no step
    admin: AbstractUser  # the company's administrator; no employee


def _approver(company: Company, name: str, username: str, number: str) -> Employee:
    user = UserFactory(
        username=username,
        first_name=name.split()[0],
        last_name=name.split()[-1],
        password=PASSWORD,
    )
    return EmployeeFactory(
        company=company, name=name, number=number, user=user, rights=[INVOICE]
    )


def build_office() -> Office:
    company = CompanyFactory(code="acme", name="Acme AS", currency="NOK")
    anna = _approver(company, "Anna Berg", "anna", "E100")
    bob = _approver(company, "Bob Dahl", "bob", "E200")
    carl = _approver(company, "Carl Eide", "carl", "E300")
    admin = UserFactory(
        username="admin", first_name="Ada", last_name="Admin", password=PASSWORD
    )
    MembershipFactory(company=company, user=admin, admin=True)
    # Through the editor's services, so the workflow list and the simulator show the
    # same steps that route the invoices.
    steps = definition(
        company,
        step(name="Manager", rules=(named(anna),)),
        step(name="Controller", rules=(named(bob),)),
    )
    workflow = workflow_create(
        company=company,
        document_type=INVOICE,
        name=WORKFLOW_NAME,
        actor=admin,
        comment="Two steps: the manager, then the controller",
        definition=replace(steps, name=WORKFLOW_NAME),
    )
    workflow_activate(workflow=workflow, actor=admin, comment="Go live")
    return Office(company, anna, bob, carl, admin)


def invoice(
    office: Office,
    *,
    reference: str = "INV-1001",
    supplier: str = "Nordic Office Supply AS",
    description: str = "Printer paper and toner, March",
    net: str = "10000.00",
    lines: Sequence[LineInput] | None = None,
    **overrides: Any,
) -> Document:
    """A purchase invoice received from the ERP and routed (Anna's task is active).

    The lines add up to `net`; VAT is 25 %.
    """
    amount = Decimal(net)
    if lines is None:
        lines = (
            LineInput(
                line_number=1,
                amount=amount * 3 / 5,
                description="Printer paper A4, 40 boxes",
                account="6540",
            ),
            LineInput(
                line_number=2,
                amount=amount * 2 / 5,
                description="Toner cartridges",
                account="6540",
            ),
        )
    fields: dict[str, Any] = {
        "company": office.company,
        "document_type": INVOICE,
        "erp_document_type": "Invoice",
        "erp_reference": reference,
        "gross_amount": amount * 5 / 4,
        "net_amount": amount,
        "vat_amount": amount / 4,
        "currency": "NOK",
        "supplier_number": "S-2001",
        "supplier_name": supplier,
        "description": description,
        "lines": lines,
        "raw_payload": {"referenceNumber": reference},
    }
    fields.update(overrides)
    return document_receive(**fields)


def active_task(document: Document, employee: Employee) -> Task:
    """The employee's active task on the document (fails if there is none)."""
    return Task.objects.get(
        document=document, assignee=employee, status=Task.Status.ACTIVE
    )
