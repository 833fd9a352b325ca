"""Delivery pages: the outbox by status, one event's attempts, redelivery."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from documents.choices import OutboxStatus
from documents.models import HistoryEvent, OutboxEvent
from erp_sync import page_selectors
from orgunits.models import Company
from tests.factories.erp_sync import ErpClientFactory
from tests.factories.orgunits import CompanyFactory

pytestmark = pytest.mark.django_db


def url(company: Company, suffix: str = "") -> str:
    return f"/c/{company.code}/erp/deliveries/{suffix}"


def test_the_list_filters_by_status(company, admin, make_event) -> None:
    pending = make_event(OutboxStatus.PENDING, attempts=1, error="HTTP 503")
    sent = make_event(OutboxStatus.SENT)
    dead = make_event(OutboxStatus.DEAD, attempts=3, error="HTTP 404 Not Found")
    make_event(OutboxStatus.DEAD, company=CompanyFactory())

    everything = admin.get(url(company)).content.decode()
    failed = admin.get(url(company), {"status": "dead"}).content.decode()
    nonsense = admin.get(url(company), {"status": "bogus", "before": "x"})

    for event in (pending, sent, dead):
        assert str(event.event_id) in everything
    assert str(dead.event_id) in failed
    assert str(pending.event_id) not in failed
    assert str(sent.event_id) not in failed
    assert "HTTP 404 Not Found" in failed
    assert "Failed (1)" in everything
    assert "Pending (1)" in everything
    assert nonsense.status_code == 200  # bad filters fall back to all
    assert OutboxEvent.objects.count() == 4
    assert everything.count('name="event_ids"') == 1  # only the dead one


def test_keyset_pages_are_bounded_and_continue(company, admin, make_event) -> None:
    events = [make_event() for _ in range(5)]
    first = page_selectors.delivery_page(company=company, size=2)
    assert [e.pk for e in first.events] == [events[4].pk, events[3].pk]
    second = page_selectors.delivery_page(
        company=company, size=2, before=first.next_before
    )
    assert [e.pk for e in second.events] == [events[2].pk, events[1].pk]
    last = page_selectors.delivery_page(
        company=company, size=2, before=second.next_before
    )
    assert [e.pk for e in last.events] == [events[0].pk]
    assert last.next_before is None
    page = admin.get(url(company), {"before": events[1].pk}).content.decode()
    assert str(events[0].event_id) in page
    assert str(events[1].event_id) not in page


def test_list_queries_do_not_grow_with_the_rows(
    company, admin, make_event, django_assert_num_queries
) -> None:
    client = ErpClientFactory(company=company)
    make_event(OutboxStatus.DEAD, attempts=2, client=client, error="boom")
    admin.get(url(company))
    with CaptureQueriesContext(connection) as first:
        admin.get(url(company))
    for _ in range(6):
        make_event(OutboxStatus.DEAD, attempts=3, client=client, error="boom")
    with django_assert_num_queries(len(first.captured_queries)):
        assert admin.get(url(company)).status_code == 200


def test_detail_lists_the_attempts(company, viewer, make_event) -> None:
    client = ErpClientFactory(company=company, name="Visma prod")
    event = make_event(OutboxStatus.DEAD, attempts=2, client=client, error="HTTP 500")

    page = viewer.get(url(company, f"{event.pk}/"))

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("https://erp.example.com/hook") == 2
    assert "Visma prod" in html
    assert "HTTP 500" in html
    assert "Send again" not in html  # viewers read only
    foreign = make_event(OutboxStatus.DEAD, company=CompanyFactory())
    assert viewer.get(url(company, f"{foreign.pk}/")).status_code == 404


def test_redeliver_many_through_the_service(company, admin, make_event) -> None:
    dead = [make_event(OutboxStatus.DEAD, attempts=3, error="gone") for _ in range(2)]
    sent = make_event(OutboxStatus.SENT)
    foreign = make_event(OutboxStatus.DEAD, company=CompanyFactory())

    response = admin.post(
        url(company, "redeliver/"),
        {"event_ids": [dead[0].pk, dead[1].pk, sent.pk, foreign.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "2 deliveries are queued to be sent again now." in html
    assert "2 chosen deliveries were left out" in html
    for event in dead:
        event.refresh_from_db()
        assert (event.status, event.attempts, event.last_error) == ("pending", 0, "")
    assert OutboxEvent.objects.get(pk=foreign.pk).status == OutboxStatus.DEAD
    assert HistoryEvent.objects.filter(action="erp_sync.push.redeliver").count() == 2


def test_redeliver_one_from_its_page_returns_there(company, admin, make_event) -> None:
    event = make_event(OutboxStatus.DEAD, attempts=1, error="gone")
    response = admin.post(
        url(company, "redeliver/"), {"event_ids": [event.pk], "from": "detail"}
    )
    assert response.status_code == 302
    assert response["Location"] == url(company, f"{event.pk}/")
    event.refresh_from_db()
    assert event.status == OutboxStatus.PENDING


def test_redeliver_without_a_choice_or_with_junk_is_a_message(company, admin) -> None:
    empty = admin.post(url(company, "redeliver/"), {}, follow=True)
    junk = admin.post(url(company, "redeliver/"), {"event_ids": ["x"]}, follow=True)
    assert "Choose at least one delivery" in empty.content.decode()
    assert "Choose deliveries from the list." in junk.content.decode()


def test_viewers_approvers_outsiders_and_anonymous(
    company, viewer, approver, outsider, make_event
) -> None:
    event = make_event(OutboxStatus.DEAD, attempts=1)
    assert viewer.get(url(company)).status_code == 200
    assert (
        viewer.post(url(company, "redeliver/"), {"event_ids": [event.pk]}).status_code
        == 404
    )
    for browser in (approver, outsider):
        assert browser.get(url(company)).status_code == 404
        assert browser.get(url(company, f"{event.pk}/")).status_code == 404
        assert (
            browser.post(
                url(company, "redeliver/"), {"event_ids": [event.pk]}
            ).status_code
            == 404
        )
    assert Client().get(url(company)).status_code == 302
    event.refresh_from_db()
    assert event.status == OutboxStatus.DEAD
