"""Factories for the documents models, plus a builder for a published workflow.

Documents normally come in through `document_receive` in tests (it is the code under
test); these factories are for setting up rows a test does not want to route.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from documents.models import Comment, Document, Line
from orgunits.models import Company, DocumentType
from tests.factories.orgunits import CompanyFactory, CompanyScopedFactory
from tests.factories.workflows import WorkflowFactory, definition
from workflows.definition import StepDefinition
from workflows.models import Workflow, WorkflowVersion


class DocumentFactory(CompanyScopedFactory[Document]):
    company = factory.SubFactory(CompanyFactory)
    document_type = DocumentType.PURCHASE_INVOICE
    erp_document_type = "Invoice"
    erp_reference = factory.Sequence(lambda n: f"{n:06d}")
    gross_amount = Decimal("1250.00")
    net_amount = Decimal("1000.00")
    vat_amount = Decimal("250.00")
    currency = "EUR"
    supplier_number = "S001"
    supplier_name = factory.Faker("company")
    description = factory.Faker("sentence", nb_words=4)

    class Meta:
        model = Document


class LineFactory(CompanyScopedFactory[Line]):
    _company_from = ("document",)

    company = factory.SubFactory(CompanyFactory)
    document = factory.SubFactory(
        DocumentFactory, company=factory.SelfAttribute("..company")
    )
    line_number = factory.Sequence(lambda n: n + 1)
    description = factory.Faker("sentence", nb_words=3)
    amount = Decimal("100.00")
    account = "4000"

    class Meta:
        model = Line


class CommentFactory(CompanyScopedFactory[Comment]):
    _company_from = ("document",)

    company = factory.SubFactory(CompanyFactory)
    document = factory.SubFactory(
        DocumentFactory, company=factory.SelfAttribute("..company")
    )
    author_label = factory.Faker("name")
    text = factory.Faker("sentence")

    class Meta:
        model = Comment


def publish_workflow(
    company: Company,
    *steps: StepDefinition,
    document_type: str = DocumentType.PURCHASE_INVOICE,
    **options: Any,
) -> WorkflowVersion:
    """An active workflow for the type with one published version of these steps.

    Deactivates any earlier active workflow of the type first, as activation does.
    """
    Workflow.objects.filter(
        company=company, document_type=document_type, is_active=True
    ).update(is_active=False)
    workflow = WorkflowFactory(
        company=company, document_type=document_type, is_active=True
    )
    built = definition(company, *steps, document_type=document_type, **options)
    return WorkflowVersion.objects.create(
        company=company,
        workflow=workflow,
        number=1,
        document_type=document_type,
        definition=built.to_dict(),
        published_at=timezone.now(),
        comment="Published for a test",
    )
