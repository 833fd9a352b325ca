"""Database invariants of the documents models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from documents.choices import TaskStatus
from documents.models import Decision, Document, OutboxEvent, Process, Task
from orgunits.models import Company
from tests.documents.conftest import active_tasks, person, received_and_routed
from tests.factories.documents import DocumentFactory, publish_workflow
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


def test_every_documents_model_belongs_to_a_company() -> None:
    for model in apps.get_app_config("documents").get_models():
        field = model._meta.get_field("company")
        assert field.related_model is Company, model.__name__


def test_one_document_per_company_type_and_erp_reference() -> None:
    document = DocumentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentFactory(company=document.company, erp_reference=document.erp_reference)


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "lost"), ("document_type", "receipt"), ("currency", "eur")],
)
def test_document_check_constraints(field: str, value: str) -> None:
    document = DocumentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(**{field: value})


@pytest.fixture
def routed(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna, bob),)))
    return received_and_routed(company)


def test_at_most_one_open_process_per_document(routed) -> None:
    process = Process.objects.get(document=routed)
    with pytest.raises(IntegrityError), transaction.atomic():
        Process.objects.create(
            company=routed.company, document=routed, number=2, status="blocked"
        )
    Process.objects.filter(pk=process.pk).update(status="cancelled")
    Process.objects.create(company=routed.company, document=routed, number=2)


def test_one_open_task_per_step_person_and_kind(routed) -> None:
    task = active_tasks(routed)[0]
    duplicate = {
        "company": task.company,
        "step_run": task.step_run,
        "process": task.process,
        "document": task.document,
        "assignee": task.assignee,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(**duplicate, status="planned")
    Task.objects.create(**duplicate, status="cancelled")
    Task.objects.create(**duplicate, status="active", kind="review")


def test_a_task_has_at_most_one_decision(routed) -> None:
    task = active_tasks(routed)[0]
    fields = {
        "company": task.company,
        "task": task,
        "step_run": task.step_run,
        "process": task.process,
        "decided_by": task.assignee,
    }
    Decision.objects.create(**fields, action="approve")
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(**fields, action="reject")


def test_one_outcome_event_per_process(routed) -> None:
    process = Process.objects.get(document=routed)
    fields = {"company": routed.company, "document": routed, "process": process}
    OutboxEvent.objects.create(**fields, event_type="document.approved", payload={})
    OutboxEvent.objects.create(
        **fields, event_type="document.status_changed", payload={}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxEvent.objects.create(
            **fields, event_type="document.cancelled", payload={}
        )


@pytest.mark.parametrize(
    ("status", "days_from_today", "overdue"),
    [
        (TaskStatus.ACTIVE, -1, True),
        (TaskStatus.ACTIVE, 0, False),
        (TaskStatus.ACTIVE, 2, False),
        (TaskStatus.BLOCKED, -1, False),
        (TaskStatus.COMPLETED, -5, False),
    ],
)
def test_overdue_is_active_and_past_due(
    routed, status: str, days_from_today: int, overdue: bool
) -> None:
    task = active_tasks(routed)[0]
    due = timezone.localdate() + timedelta(days=days_from_today)
    Task.objects.filter(pk=task.pk).update(status=status, due_date=due)
    task.refresh_from_db()

    assert task.is_overdue is overdue
    assert Task.objects.overdue().filter(pk=task.pk).exists() is overdue
