"""The demo documents: every type in every status and every blocked cause, idempotent."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django import Settings

from documents.choices import DecisionAction, DocumentStatus, TaskOrigin, TaskStatus
from documents.demo import DOCUMENTS, load_demo_documents, norwegian_holidays
from documents.models import (
    Comment,
    Decision,
    Document,
    HistoryEvent,
    OutboxEvent,
    Process,
    Task,
)
from orgunits import demo
from orgunits.models import CompanyHoliday, DocumentType
from workflows.demo import load_demo_workflows

pytestmark = pytest.mark.django_db

#: Statuses a demo document can stay in. "Received" lasts only until the worker
#: routes it (seconds after the load commits), so the demo does not keep one there.
SETTLED = {s for s in DocumentStatus.values if s != DocumentStatus.RECEIVED}

BLOCKED_CAUSES = {
    "no approver for a mandatory step": "no approver found for a mandatory step",
    "a named approver that does not exist": "initial approver 1099 does not exist",
    "a limit without the currency": 'limit "Small" has no amount in USD',
}


@pytest.fixture
def loaded(settings: Settings) -> str:
    settings.SIGNOFF_DEMO_MODE = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Document, Process, Task, Decision, Comment, HistoryEvent, OutboxEvent)
    return {m.__name__: m.objects.count() for m in models}


def test_the_loader_runs_after_the_demo_workflows() -> None:
    loaders = demo._loaders
    assert loaders.index(load_demo_workflows) < loaders.index(load_demo_documents)


@pytest.mark.usefixtures("loaded")
def test_the_demo_shows_every_status_blocked_cause_and_task_state() -> None:
    """One load, checked from every side (a load routes thirty documents)."""
    # Every document type in every settled status.
    found = set(Document.objects.values_list("document_type", "status"))
    assert {(t, s) for t in DocumentType.values for s in SETTLED} <= found
    assert Document.objects.count() == len(DOCUMENTS)

    # Every blocked cause the demo workflows can produce.
    reasons = list(
        Document.objects.filter(status=DocumentStatus.BLOCKED).values_list(
            "blocked_reason", flat=True
        )
    )
    for cause, text in BLOCKED_CAUSES.items():
        assert any(text in reason for reason in reasons), cause

    # In progress at several steps; blocked, overdue and reassigned tasks.
    active_steps = set(
        Task.objects.filter(
            document__status=DocumentStatus.IN_PROGRESS, status=TaskStatus.ACTIVE
        ).values_list("step_run__position", flat=True)
    )
    assert active_steps >= {1, 2, 3}
    assert Task.objects.filter(status=TaskStatus.BLOCKED).count() >= 2
    assert Task.objects.overdue().exists()
    assert Task.objects.filter(origin=TaskOrigin.REASSIGN).exists()

    # The resubmitted document: a second process, the first one's comments kept.
    document = Document.objects.get(erp_reference="DEMO-INV-1009")
    processes = list(document.processes.order_by("number"))
    assert [(p.number, p.status) for p in processes] == [
        (1, Process.Status.REJECTED),
        (2, Process.Status.RUNNING),
    ]
    assert Comment.objects.filter(document=document, process=processes[0]).exists()
    assert document.description == "Sales brochures (PO 4711)"

    # The history is the services' own.
    actions = set(HistoryEvent.objects.values_list("action", flat=True))
    assert {
        "documents.document.receive",
        "documents.document.route",
        "documents.document.block",
        "documents.task.approve",
        "documents.task.reject",
        "documents.document.cancel",
        "documents.document.resubmit",
        "documents.task.reassign",
        "documents.step.admin_approve",
    } <= actions
    assert Decision.objects.filter(action=DecisionAction.ADMIN_APPROVE).exists()
    # Approved by a substitute on the principal's behalf.
    assert Decision.objects.filter(on_behalf_of__isnull=False).exists()
    # Every finished process has its one outcome event (INV-2).
    for process in Process.objects.exclude(status__in=Process.OPEN_STATUSES):
        assert OutboxEvent.objects.filter(process=process).count() == 1

    # The company calendar the due dates count with.
    year = timezone.localdate().year
    assert CompanyHoliday.objects.filter(date__year=year).count() == len(
        norwegian_holidays(year)
    )


def test_loading_twice_changes_nothing(loaded: str) -> None:
    before = counts()
    stamps = sorted(Document.objects.values_list("pk", "updated_at", "version"))

    out = StringIO()
    call_command("load_demo", stdout=out)

    assert "0 rows created, 0 updated" in out.getvalue()
    assert counts() == before
    assert sorted(Document.objects.values_list("pk", "updated_at", "version")) == stamps


def test_norwegian_holidays() -> None:
    days = dict(norwegian_holidays(2026))
    assert days[date(2026, 4, 3)] == "Good Friday"  # Easter Sunday is 5 April 2026
    assert days[date(2026, 5, 14)] == "Ascension Day"
    # In 2027 Whit Monday falls on Constitution Day: one row, both names.
    assert dict(norwegian_holidays(2027))[date(2027, 5, 17)] == (
        "Constitution Day / Whit Monday"
    )
