"""One world for the authorization matrix, built once per test module.

Two companies; in the first, an approver with the active task on a routed invoice
(step 1; `next_approver` holds step 2), a colleague with the same right and no part in
it, a system viewer and a system administrator; in the second, an approver of that
company only. Around them: an attachment on the invoice, a blocked document, the active
workflow and a limit, a substitution. Documents come in through the real services.

The world is created once inside a transaction that is rolled back when the module
ends; every test runs in its own savepoint inside it (pytest-django's `db`), so what a
POST or a kwargs function writes is gone before the next test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from documents.choices import DocumentStatus
from documents.models import Attachment, Document, Task
from documents.services import LineInput, attachment_add
from orgunits.models import Company, DocumentType, Employee, Substitution
from tests.authz.matrix import Role
from tests.documents.conftest import (
    person,
    receive,
    received_and_routed,
    route,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    CompanyFactory,
    MembershipFactory,
    SubstitutionFactory,
)
from tests.factories.workflows import LimitFactory, named, step
from workflows.models import Limit, Workflow

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class World:
    company: Company
    other_company: Company
    approver: Employee
    other_approver: Employee
    next_approver: Employee
    viewer: AbstractUser
    admin: AbstractUser
    outsider: Employee
    document: Document
    task: Task
    attachment: Attachment
    blocked_document: Document
    workflow: Workflow
    limit: Limit
    substitution: Substitution
    other_document: Document

    def user(self, role: Role) -> AbstractUser | None:
        """The login playing `role` (None: anonymous)."""
        return {
            Role.APPROVER: self.approver.user,
            Role.OTHER_APPROVER: self.other_approver.user,
            Role.OUTSIDER: self.outsider.user,
            Role.VIEWER: self.viewer,
            Role.ADMIN: self.admin,
            Role.ANONYMOUS: None,
        }[role]

    def client(self, role: Role) -> Client:
        client = Client()
        user = self.user(role)
        if user is not None:
            client.force_login(user)
        return client


def build_world() -> World:
    company = CompanyFactory(code="nordlys", name="Nordlys AS")
    other_company = CompanyFactory(code="sorlys", name="Sørlys AS")
    approver = person(company, "Anna Approver")
    other_approver = person(company, "Bob Colleague")
    next_approver = person(company, "Carl Controller")
    viewer = MembershipFactory(company=company, viewer=True).user
    admin = MembershipFactory(company=company, admin=True).user
    outsider = person(other_company, "Olga Outsider")
    version = publish_workflow(
        company,
        step(
            position=1, name="Managers", rules=(named(approver),), editing_allowed=True
        ),
        step(position=2, name="CFO", rules=(named(next_approver),)),
    )
    document = received_and_routed(
        company,
        reference="INV-1",
        lines=(
            LineInput(line_number=1, amount=Decimal("1000.00"), description="Desk"),
            LineInput(line_number=2, amount=Decimal("250.00"), description="Lamp"),
        ),
    )
    task = task_of(document, approver)
    attachment = attachment_add(
        document_id=document.pk,
        employee_or_none=approver,
        user=approver.user,
        file=SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf"),
        filename="invoice.pdf",
        content_type="application/pdf",
    )
    document.refresh_from_db()
    # No workflow for expense claims: routing blocks it.
    blocked = route(
        receive(
            company,
            reference="EXP-1",
            document_type=DocumentType.EXPENSE_CLAIM,
            erp_document_type="ExpenseClaim",
        )
    )
    if blocked.status != DocumentStatus.BLOCKED:
        raise AssertionError(f"the blocked document is {blocked.status}")
    publish_workflow(other_company, step(position=1, rules=(named(outsider),)))
    other_document = received_and_routed(other_company, reference="INV-9")
    return World(
        company=company,
        other_company=other_company,
        approver=approver,
        other_approver=other_approver,
        next_approver=next_approver,
        viewer=viewer,
        admin=admin,
        outsider=outsider,
        document=document,
        task=task,
        attachment=attachment,
        blocked_document=blocked,
        workflow=version.workflow,
        limit=LimitFactory(company=company, amounts={"EUR": Decimal("5000")}),
        # Between two people with no part in anything: a substitute of someone with an
        # open task sees the document, which would blur the roles above.
        substitution=SubstitutionFactory(
            company=company,
            principal=person(company, "Dina Away"),
            substitute=person(company, "Erik Deputy"),
        ),
        other_document=other_document,
    )


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
