"""document_cancel: from the ERP or an administrator, at any time before the end."""

from __future__ import annotations

import pytest

from core.exceptions import ApplicationError
from documents.choices import StepRunStatus, TaskStatus
from documents.models import Document, HistoryEvent, OutboxEvent, Process, StepRun, Task
from documents.services import document_cancel
from tests.documents.conftest import (
    active_tasks,
    approve_and_advance,
    current,
    person,
    receive,
    reject,
    route,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import MembershipFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_progress(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        step(name="Two", rules=(named(bob),)),
    )
    return route(receive(company))


def _rows() -> tuple[int, ...]:
    return (
        HistoryEvent.objects.count(),
        OutboxEvent.objects.count(),
        Task.objects.filter(status=TaskStatus.CANCELLED).count(),
    )


def test_cancel_while_in_progress_cancels_the_process_and_every_open_task(
    in_progress,
) -> None:
    document = document_cancel(document_id=in_progress.pk, actor_label="ERP")

    assert document.status == Document.Status.CANCELLED
    process = Process.objects.get(document=document)
    assert process.status == Process.Status.CANCELLED
    assert process.finished_at is not None
    assert set(
        Task.objects.filter(document=document).values_list("status", flat=True)
    ) == {TaskStatus.CANCELLED}
    assert set(
        StepRun.objects.filter(process=process).values_list("status", flat=True)
    ) == {StepRunStatus.CANCELLED}
    assert active_tasks(document) == []
    [event] = OutboxEvent.objects.filter(document=document)
    assert event.event_type == OutboxEvent.EventType.CANCELLED
    assert event.payload["document"]["approvalStatus"] == "Canceled"
    cancel = HistoryEvent.objects.get(
        document=document, action="documents.document.cancel"
    )
    assert cancel.actor_label == "ERP"


def test_cancelling_a_cancelled_document_returns_it_unchanged(in_progress) -> None:
    first = document_cancel(document_id=in_progress.pk, actor_label="ERP")
    rows = _rows()

    again = document_cancel(document_id=in_progress.pk, actor_label="ERP")

    assert again.status == Document.Status.CANCELLED
    assert again.version == first.version
    assert _rows() == rows


def test_cancelling_an_approved_document_is_an_error(company) -> None:
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))
    document = route(receive(company))
    approve_and_advance(active_tasks(document)[0])
    rows, version = _rows(), current(document).version

    with pytest.raises(ApplicationError, match="already approved") as error:
        document_cancel(document_id=document.pk, actor_label="ERP")

    assert error.value.extra["code"] == "finished"
    assert current(document).status == Document.Status.APPROVED
    assert (_rows(), current(document).version) == (rows, version)


def test_cancelling_a_rejected_document_is_an_error(in_progress) -> None:
    reject(active_tasks(in_progress)[0])
    with pytest.raises(ApplicationError) as error:
        document_cancel(document_id=in_progress.pk, actor_label="ERP")
    assert error.value.extra["code"] == "finished"


def test_cancel_before_routing_needs_no_process(company) -> None:
    document = receive(company)

    document_cancel(document_id=document.pk, actor_label="ERP")

    assert current(document).status == Document.Status.CANCELLED
    event = OutboxEvent.objects.get(document=document)
    assert event.process is None
    # The routing task that was queued for it finds nothing to do.
    route(document)
    assert not Process.objects.filter(document=document).exists()


def test_cancel_of_a_blocked_document(company) -> None:
    document = route(receive(company))
    assert current(document).status == Document.Status.BLOCKED

    document_cancel(document_id=document.pk, actor_label="ERP")

    assert current(document).status == Document.Status.CANCELLED
    assert Process.objects.get(document=document).status == Process.Status.CANCELLED


def test_administrator_cancel_is_recorded_with_the_user(in_progress) -> None:
    admin = MembershipFactory(company=in_progress.company, admin=True).user
    document_cancel(
        document_id=in_progress.pk, actor_label="Ada Admin", by_admin_user=admin
    )
    event = HistoryEvent.objects.get(
        document=in_progress, action="documents.document.cancel"
    )
    assert event.actor_user == admin
    assert event.data == {"by_admin": True}
