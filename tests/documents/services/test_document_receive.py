"""document_receive: first submission, resubmission, refusals."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import ApplicationError
from documents.models import Comment, Document, HistoryEvent, Line, Process
from documents.services import LineInput, comment_add, document_cancel
from tests.documents.conftest import (
    active_tasks,
    approve_and_advance,
    current,
    person,
    receive,
    reject,
    route,
    sent_tasks,
)
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


def test_receive_stores_header_lines_history_and_enqueues_routing_on_commit(
    company, django_capture_on_commit_callbacks
) -> None:
    requester = person(company, "Rita", rights=())
    with django_capture_on_commit_callbacks() as callbacks:
        document = receive(
            company,
            requester_number=requester.number,
            due_date=None,
            lines=[
                LineInput(
                    1, Decimal("600.00"), account="4000", segment_values={"1": "20"}
                ),
                LineInput(2, Decimal("400.00"), project_code="P1", task_code="T1"),
            ],
        )

    assert document.status == Document.Status.RECEIVED
    assert document.version == 1
    assert document.requester == requester
    assert document.gross_amount == Decimal("1250.00")
    assert document.raw_payload == {"referenceNumber": "INV-1"}
    assert list(document.lines.values_list("line_number", "amount")) == [
        (1, Decimal("600.00")),
        (2, Decimal("400.00")),
    ]
    assert Line.objects.get(document=document, line_number=1).segment_values == {
        "1": "20"
    }
    [event] = HistoryEvent.objects.filter(document=document)
    assert event.action == "documents.document.receive"
    assert event.actor_label == "ERP"
    assert sent_tasks(callbacks) == [("documents.route_document", (document.pk,))]


def test_a_broker_outage_at_commit_does_not_fail_the_receive(
    company, django_capture_on_commit_callbacks
) -> None:
    """The reconciler routes it later; the ERP's request must still succeed."""
    from documents import tasks

    with (
        mock.patch.object(
            tasks.route_document, "delay", side_effect=ConnectionError("broker down")
        ) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        document = receive(company)

    delay.assert_called_once_with(document.pk)
    assert current(document).status == Document.Status.RECEIVED


def test_nothing_is_enqueued_when_the_receive_fails(
    company, django_capture_on_commit_callbacks
) -> None:
    receive(company)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ApplicationError),
    ):
        receive(company)
    assert callbacks == []


def test_sending_a_document_with_an_open_process_again_is_refused(company) -> None:
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))
    document = route(receive(company))

    with pytest.raises(ApplicationError, match="already in approval") as error:
        receive(company, gross="999.00")

    assert error.value.extra["code"] == "open_process"
    assert error.value.extra["document_id"] == str(document.public_id)
    assert current(document).gross_amount == Decimal("1250.00")


def test_sending_a_received_but_unrouted_document_again_is_refused(company) -> None:
    receive(company)
    with pytest.raises(ApplicationError) as error:
        receive(company)
    assert error.value.extra["code"] == "open_process"
    assert Document.objects.count() == 1


def test_the_same_reference_of_another_type_or_company_is_another_document(
    company,
) -> None:
    from tests.factories.orgunits import CompanyFactory

    receive(company)
    receive(company, erp_document_type="CreditAdj")
    receive(CompanyFactory())
    assert Document.objects.count() == 3


def test_an_approved_document_cannot_be_sent_again(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = route(receive(company))
    approve_and_advance(active_tasks(document)[0])

    with pytest.raises(ApplicationError) as error:
        receive(company)

    assert error.value.extra["code"] == "finished"


def test_resubmitted_document_gets_a_new_process_and_keeps_earlier_comments(
    company,
) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = route(
        receive(company, lines=[LineInput(1, Decimal(100)), LineInput(2, Decimal(200))])
    )
    comment_add(
        document_id=document.pk, author_employee=anna, user=anna.user, text="Price?"
    )
    reject(active_tasks(document)[0], comment="Wrong price")
    version_after_reject = current(document).version

    again = receive(
        company,
        gross="1100.00",
        lines=[LineInput(2, Decimal(250)), LineInput(3, Decimal(300))],
    )

    assert again.pk == document.pk
    assert again.public_id == document.public_id
    assert again.status == Document.Status.RECEIVED
    assert again.version == version_after_reject + 1
    assert again.gross_amount == Decimal("1100.00")
    assert list(again.lines.values_list("line_number", "amount")) == [
        (2, Decimal("250.00")),
        (3, Decimal("300.00")),
    ]
    route(again)
    processes = list(Process.objects.filter(document=document).order_by("number"))
    assert [(p.number, p.status) for p in processes] == [
        (1, Process.Status.REJECTED),
        (2, Process.Status.RUNNING),
    ]
    # Comments of the first process stay with the document.
    assert list(
        Comment.objects.filter(document=document).values_list("text", "process__number")
    ) == [("Price?", 1), ("Wrong price", 1)]
    assert HistoryEvent.objects.filter(
        document=document, action="documents.document.resubmit"
    ).exists()


def test_a_cancelled_document_can_be_sent_again(company) -> None:
    document = receive(company)
    document_cancel(document_id=document.pk, actor_label="ERP")

    again = receive(company)

    assert again.pk == document.pk
    assert again.status == Document.Status.RECEIVED


def test_duplicate_line_numbers_are_refused(company) -> None:
    with pytest.raises(ValidationError, match="Line numbers must be unique"):
        receive(company, lines=[LineInput(1, Decimal(1)), LineInput(1, Decimal(2))])
    assert not Document.objects.exists()


@pytest.mark.parametrize("currency", ["euro", "eur", "E1R"])
def test_an_invalid_currency_is_refused(company, currency: str) -> None:
    with pytest.raises(ValidationError):
        receive(company, currency=currency)
    assert not Document.objects.exists()
