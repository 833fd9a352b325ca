"""Shared setup for the documents tests: people, a published workflow, small actions.

`receive()` goes through `document_receive` and `route()` through `document_route`, so
every test exercises the real services; on-commit callbacks (Celery enqueues) are not
run by the default transactional test case, and tests that care capture them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from celery import Celery
from celery import Task as CeleryTask

from documents.models import Document, Process, Task
from documents.services import (
    LineInput,
    document_receive,
    document_route,
    process_advance,
    task_approve,
    task_reject,
)
from orgunits.models import Company, DocumentType, Employee
from tests.factories.orgunits import CompanyFactory, EmployeeFactory

INVOICE = DocumentType.PURCHASE_INVOICE


@pytest.fixture
def company() -> Company:
    return CompanyFactory()


def person(
    company: Company,
    name: str,
    *,
    rights: Sequence[str] = (INVOICE,),
    **kwargs: Any,
) -> Employee:
    """An employee with a login holding `rights` (none: `rights=()` and no login)."""
    if rights:
        return EmployeeFactory(
            company=company, name=name, rights=list(rights), **kwargs
        )
    return EmployeeFactory(company=company, name=name, **kwargs)


def receive(
    company: Company,
    *,
    reference: str = "INV-1",
    gross: str = "1250.00",
    lines: Sequence[LineInput] = (),
    **overrides: Any,
) -> Document:
    fields: dict[str, Any] = {
        "company": company,
        "document_type": INVOICE,
        "erp_document_type": "Invoice",
        "erp_reference": reference,
        "gross_amount": Decimal(gross),
        "net_amount": Decimal(gross) * 4 / 5,
        "vat_amount": Decimal(gross) / 5,
        "currency": "EUR",
        "supplier_number": "S001",
        "supplier_name": "Acme AS",
        "lines": lines,
        "raw_payload": {"referenceNumber": reference},
    }
    fields.update(overrides)
    return document_receive(**fields)


def route(document: Document) -> Document:
    return document_route(document_id=document.pk)


def received_and_routed(company: Company, **kwargs: Any) -> Document:
    return route(receive(company, **kwargs))


def current(document: Document) -> Document:
    return Document.objects.get(pk=document.pk)


def open_process(document: Document) -> Process:
    return Process.objects.get(document=document, status__in=Process.OPEN_STATUSES)


def active_tasks(document: Document) -> list[Task]:
    return list(
        Task.objects.filter(document=document, status=Task.Status.ACTIVE)
        .select_related("assignee")
        .order_by("assignee__name")
    )


def task_of(document: Document, employee: Employee) -> Task:
    """The employee's active task on the document."""
    return Task.objects.get(
        document=document, assignee=employee, status=Task.Status.ACTIVE
    )


def approve(task: Task, employee: Employee | None = None, comment: str = "") -> Task:
    """Approve as the assignee (or `employee`) from an up-to-date page."""
    actor = employee or task.assignee
    return task_approve(
        task_id=task.pk,
        employee=actor,
        user=actor.user,
        expected_version=current(task.document).version,
        comment=comment,
    )


def reject(task: Task, employee: Employee | None = None, comment: str = "No.") -> Task:
    actor = employee or task.assignee
    return task_reject(
        task_id=task.pk,
        employee=actor,
        user=actor.user,
        expected_version=current(task.document).version,
        comment=comment,
    )


def advance(document: Document) -> Process:
    """What the `advance_process` task does after an approval commits."""
    process = Process.objects.filter(document=document).order_by("-number").first()
    assert process is not None
    return process_advance(process_id=process.pk)


def sent_tasks(callbacks: Sequence[Callable[[], None]]) -> list[tuple[str, tuple]]:
    """Run captured on-commit callbacks with Celery's sends replaced by a recorder.

    Both ways of sending are recorded, in order: `task.delay(...)` and
    `app.send_task(name, args)` (tasks of a higher app, sent by name).
    """
    sent: list[tuple[str, tuple]] = []

    def delay(task: CeleryTask, *args: Any) -> None:
        sent.append((task.name, args))

    def send_task(_app: Celery, name: str, args: Sequence[Any] = (), **_: Any) -> None:
        sent.append((name, tuple(args)))

    with (
        mock.patch.object(CeleryTask, "delay", autospec=True, side_effect=delay),
        mock.patch.object(Celery, "send_task", autospec=True, side_effect=send_task),
    ):
        for callback in callbacks:
            callback()
    return sent


def approve_and_advance(task: Task, employee: Employee | None = None) -> Process:
    approve(task, employee)
    return advance(task.document)
