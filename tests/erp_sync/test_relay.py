"""The outbox relay against a real local HTTP server standing in for the ERP
(RELIABILITY 16, 18, 19, 20, 23, 26; the two-relay race is in test_relay_concurrency)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from celery import Task as CeleryTask
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from core.exceptions import InvalidTransition
from documents.models import Document, HistoryEvent, OutboxEvent
from documents.services import document_cancel
from erp_sync.clients import ErpCallbackClient
from erp_sync.models import DeliveryAttempt, ErpClient
from erp_sync.services.clients import (
    erp_client_callback_enable,
    erp_client_revoke,
    erp_client_rotate_secret,
)
from erp_sync.services.relay import (
    BACKOFF_CAP,
    LEASE,
    _retry_after,
    backoff_delay,
    outbox_event_redeliver,
    outbox_events_claim,
    outbox_relay_run,
    webhook_signature,
)
from erp_sync.tasks import relay_outbox
from orgunits.models import Company
from tests.documents.conftest import receive
from tests.erp_sync.conftest import ErpApi
from tests.erp_sync.erp_stand_in import TEST_VECTOR, ErpStandIn, running, verify
from tests.factories.erp_sync import ErpClientFactory
from tests.factories.orgunits import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

#: Short timeouts: the "slow" ERP sleeps 1.5 s, beyond the 0.5 s read timeout.
FAST = ErpCallbackClient(connect_timeout=1.0, read_timeout=0.5, total_timeout=3.0)
PAYLOADS = Path(__file__).resolve().parent / "payloads"


@pytest.fixture
def stand_in() -> Iterator[ErpStandIn]:
    with running([]) as server:
        yield server


@pytest.fixture
def client(company: Company, stand_in: ErpStandIn) -> ErpClient:
    erp_client = ErpClientFactory(company=company, callback_url=stand_in.url)
    stand_in.secrets = [erp_client.signing_secret]
    return erp_client


def relay() -> Any:
    return outbox_relay_run(http=FAST, budget_seconds=15)


def cancelled(company: Company, reference: str = "INV-1") -> OutboxEvent:
    """A real outcome event: a received document cancelled by the ERP."""
    document = receive(company, reference=reference)
    document_cancel(document_id=document.pk, actor_label="ERP")
    return OutboxEvent.objects.filter(document=document).latest("pk")


def fresh(event: OutboxEvent) -> OutboxEvent:
    return OutboxEvent.objects.get(pk=event.pk)


def attempts(event: OutboxEvent) -> list[DeliveryAttempt]:
    return list(
        DeliveryAttempt.objects.filter(event=event).order_by("attempted_at", "pk")
    )


# --- RELIABILITY 16: signatures --------------------------------------------------------


def test_signatures_match_the_published_standard_webhooks_test_vector() -> None:
    signature = webhook_signature(
        secrets=[TEST_VECTOR["secret"]],
        msg_id=TEST_VECTOR["msg_id"],
        timestamp=TEST_VECTOR["timestamp"],
        body=TEST_VECTOR["body"],
    )

    assert signature == TEST_VECTOR["signature"]


def test_the_stand_in_verifier_accepts_the_vector_and_refuses_one_changed_byte() -> (
    None
):
    def check(body: bytes) -> bool:
        return verify(
            secrets=[TEST_VECTOR["secret"]],
            msg_id=TEST_VECTOR["msg_id"],
            timestamp=str(TEST_VECTOR["timestamp"]),
            body=body,
            header=TEST_VECTOR["signature"],
        )

    assert check(TEST_VECTOR["body"])
    assert not check(TEST_VECTOR["body"].replace(b"2432232314", b"2432232315"))


def test_an_event_is_delivered_signed_and_marked_sent(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)

    result = relay()

    assert result.as_counts() == {"sent": 1, "retried": 0, "dead": 0, "failed": 0}
    (received,) = stand_in.received
    assert received.valid
    assert received.webhook_id == str(event.event_id)
    assert received.payload == event.payload
    assert received.payload["id"] == str(event.event_id)
    assert received.payload["type"] == "document.cancelled"
    assert abs(int(received.timestamp) - timezone.now().timestamp()) < 60
    assert received.signature.startswith("v1,")
    assert " " not in received.signature  # one secret, one signature
    sent = fresh(event)
    assert sent.status == OutboxEvent.Status.SENT
    assert (sent.attempts, sent.leased_until, sent.last_error) == (1, None, "")
    assert sent.sent_at is not None
    (attempt,) = attempts(event)
    assert (attempt.status_code, attempt.error, attempt.attempt_number) == (200, "", 1)
    assert attempt.url == stand_in.url
    assert attempt.client == client
    history = HistoryEvent.objects.filter(document=event.document).latest("pk")
    assert history.action == "erp_sync.push.deliver"
    assert history.data["event_id"] == str(event.event_id)


def test_during_a_secret_rotation_both_signatures_are_sent(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    old_secret = client.signing_secret
    rotated = erp_client_rotate_secret(client=client)
    cancelled(company, "A")
    cancelled(company, "B")

    stand_in.secrets = [old_secret]  # an ERP that has not switched yet
    relay()

    first, second = stand_in.received
    assert len(first.signature.split(" ")) == 2
    assert first.valid
    assert second.valid
    stand_in.secrets = [rotated.signing_secret]
    assert verify(
        secrets=stand_in.secrets,
        msg_id=first.webhook_id,
        timestamp=first.timestamp,
        body=first.body,
        header=first.signature,
    )


def test_after_the_overlap_only_the_new_secret_signs(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    rotated = erp_client_rotate_secret(client=client)
    cancelled(company)

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        relay()

    (received,) = stand_in.received
    assert " " not in received.signature
    stand_in.secrets = [rotated.signing_secret]
    assert verify(
        secrets=stand_in.secrets,
        msg_id=received.webhook_id,
        timestamp=received.timestamp,
        body=received.body,
        header=received.signature,
    )


# --- RELIABILITY 20: the ERP misbehaves -------------------------------------------------


def test_a_5xx_is_retried_later_with_backoff_not_at_once(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "500"
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        result = relay()
        again = relay()  # nothing due yet: no busy loop

    assert result.retried == 1
    assert again.total == 0
    assert len(stand_in.received) == 1
    waiting = fresh(event)
    assert waiting.status == OutboxEvent.Status.PENDING
    assert waiting.attempts == 1
    assert waiting.leased_until is None
    assert waiting.last_error == "HTTP 500: internal error"
    # First step 10 s with equal jitter: between 5 and 10 s.
    assert (
        start + timedelta(seconds=5)
        <= waiting.next_attempt_at
        <= start + timedelta(seconds=10)
    )

    stand_in.mode = "ok"
    with time_machine.travel(waiting.next_attempt_at, tick=False):
        relay()

    assert fresh(event).status == OutboxEvent.Status.SENT
    assert [a.status_code for a in attempts(event)] == [500, 200]
    assert stand_in.applied[str(event.event_id)] == 1


def test_the_backoff_doubles_with_jitter_up_to_an_hour() -> None:
    for attempt in range(1, 30):
        step = min(BACKOFF_CAP, timedelta(seconds=10) * 2 ** (attempt - 1))
        delay = backoff_delay(attempt)
        assert step / 2 <= delay <= step
    assert backoff_delay(100) <= BACKOFF_CAP


def test_a_timeout_is_retried_and_the_event_applied_once(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.script("slow")

    relay()

    waiting = fresh(event)
    assert waiting.status == OutboxEvent.Status.PENDING
    assert waiting.last_error.startswith("timed out")
    (attempt,) = attempts(event)
    assert attempt.status_code is None
    assert attempt.latency_ms >= 400

    with time_machine.travel(waiting.next_attempt_at, tick=False):
        relay()

    assert fresh(event).status == OutboxEvent.Status.SENT
    # The slow request was applied after the relay gave up; the retry was not.
    assert stand_in.ids() == [str(event.event_id)] * 2
    assert stand_in.applied[str(event.event_id)] == 1


def test_410_disables_the_callback_and_kills_the_event(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    first = cancelled(company, "A")
    second = cancelled(company, "B")
    stand_in.mode = "410"

    result = relay()

    assert result.dead == 2
    assert len(stand_in.received) == 1  # the second was never sent
    client.refresh_from_db()
    assert client.callback_disabled_at is not None
    assert "410" in client.callback_disabled_reason
    assert fresh(first).status == fresh(second).status == OutboxEvent.Status.DEAD
    assert fresh(first).last_error.startswith("HTTP 410")
    assert "disabled" in fresh(second).last_error
    assert attempts(second)[0].status_code is None


def test_after_enabling_the_callback_dead_events_can_be_redelivered(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "410"
    relay()
    stand_in.mode = "ok"

    erp_client_callback_enable(client=client)
    outbox_event_redeliver(event_id=event.pk, admin_user=UserFactory(is_superuser=True))
    relay()

    assert fresh(event).status == OutboxEvent.Status.SENT
    assert stand_in.ids() == [str(event.event_id)] * 2


def test_429_honours_retry_after(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "429"
    stand_in.retry_after = "120"
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        relay()

    waiting = fresh(event)
    assert waiting.status == OutboxEvent.Status.PENDING
    assert waiting.next_attempt_at == start + timedelta(seconds=120)
    assert waiting.last_error == "HTTP 429: slow down"


def test_retry_after_as_a_date_and_bounds() -> None:
    now = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)

    assert _retry_after("Mon, 03 Mar 2025 12:05:00 GMT", now) == timedelta(minutes=5)
    assert _retry_after("0", now) == timedelta(seconds=1)
    assert _retry_after("99999999", now) == timedelta(hours=6)
    assert _retry_after("soon", now) is None
    assert _retry_after(None, now) is None


def test_another_4xx_is_dead_at_once_with_the_reason(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "400"

    result = relay()

    assert result.dead == 1
    dead = fresh(event)
    assert dead.status == OutboxEvent.Status.DEAD
    assert dead.last_error == "HTTP 400: unknown document type"
    history = HistoryEvent.objects.filter(document=event.document).latest("pk")
    assert history.action == "erp_sync.push.dead"
    assert history.data["reason"] == "HTTP 400: unknown document type"


def test_a_redirect_is_not_followed(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "redirect"

    relay()

    assert stand_in.redirect_hits == 0
    waiting = fresh(event)
    assert waiting.status == OutboxEvent.Status.PENDING
    assert "302" in waiting.last_error
    assert "/elsewhere" in waiting.last_error
    assert "not followed" in waiting.last_error


def test_a_bad_signature_would_be_refused_by_the_erp(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    """A receiver holding another secret answers 401: dead, with the reason."""
    event = cancelled(company)
    stand_in.secrets = ["whsec_" + "A" * 44]

    relay()

    assert not stand_in.received[0].valid
    assert fresh(event).last_error == "HTTP 401: bad signature"


# --- RELIABILITY 19: applied, but the answer was lost ---------------------------------


def test_an_answer_lost_after_applying_is_retried_and_applied_once(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.script("drop")

    relay()

    waiting = fresh(event)
    assert waiting.status == OutboxEvent.Status.PENDING
    assert waiting.last_error.startswith("connection failed")
    with time_machine.travel(waiting.next_attempt_at, tick=False):
        relay()

    assert fresh(event).status == OutboxEvent.Status.SENT
    received = stand_in.received
    assert [r.webhook_id for r in received] == [str(event.event_id)] * 2
    assert received[0].body == received[1].body
    assert stand_in.applied == {str(event.event_id): 1}


# --- ordering and leases ---------------------------------------------------------------


def _two_events_of_one_document(company: Company) -> tuple[OutboxEvent, OutboxEvent]:
    first = cancelled(company, "SAME")
    # Resubmitted, and cancelled again: a second event of the same document.
    again = receive(company, reference="SAME")
    document_cancel(document_id=again.pk, actor_label="ERP")
    second = OutboxEvent.objects.filter(document=again).latest("pk")
    assert first.document_id == second.document_id
    assert first.pk < second.pk
    return first, second


def test_a_documents_events_are_delivered_in_order(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    first, second = _two_events_of_one_document(company)
    stand_in.script("500")

    relay()

    assert stand_in.ids() == [str(first.event_id)]  # the second waits for the first
    assert fresh(second).attempts == 0
    with time_machine.travel(fresh(first).next_attempt_at, tick=False):
        relay()

    assert stand_in.ids() == [str(first.event_id)] * 2 + [str(second.event_id)]
    assert fresh(second).status == OutboxEvent.Status.SENT


def test_a_dead_event_holds_back_the_documents_later_events(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    first, second = _two_events_of_one_document(company)
    other = cancelled(company, "OTHER")
    stand_in.script("400")

    relay()

    assert fresh(first).status == OutboxEvent.Status.DEAD
    assert fresh(second).status == OutboxEvent.Status.PENDING
    assert fresh(other).status == OutboxEvent.Status.SENT
    outbox_event_redeliver(event_id=first.pk, admin_user=UserFactory(is_superuser=True))
    relay()
    assert fresh(first).status == fresh(second).status == OutboxEvent.Status.SENT
    assert stand_in.ids()[-2:] == [str(first.event_id), str(second.event_id)]


def test_a_claimed_event_is_leased_until_it_expires(
    company: Company, client: ErpClient
) -> None:
    event = cancelled(company)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        (claimed,) = outbox_events_claim(limit=10)
        assert outbox_events_claim(limit=10) == []
    assert fresh(event).leased_until == start + LEASE

    # The relay died mid-delivery: after the lease another relay takes the event.
    with time_machine.travel(start + LEASE + timedelta(seconds=1), tick=False):
        assert [e.pk for e in outbox_events_claim(limit=10)] == [claimed.pk]


# --- RELIABILITY 18: the retry window, dead letters, redelivery -----------------------


def test_beyond_the_retry_window_the_event_is_dead_with_every_attempt_recorded(
    company: Company, client: ErpClient, stand_in: ErpStandIn, settings: Any
) -> None:
    settings.SIGNOFF_PUSH_RETRY_HOURS = 0.01  # 36 s, compressed for the test
    event = cancelled(company)
    stand_in.mode = "500"
    start = timezone.now()

    moment = start
    for _ in range(20):
        with time_machine.travel(moment, tick=False):
            relay()
        current = fresh(event)
        if current.status == OutboxEvent.Status.DEAD:
            break
        assert current.next_attempt_at <= start + timedelta(seconds=36)
        moment = current.next_attempt_at

    dead = fresh(event)
    assert dead.status == OutboxEvent.Status.DEAD
    assert dead.last_error == "HTTP 500: internal error"
    recorded = attempts(event)
    assert len(recorded) == dead.attempts >= 3
    assert [a.attempt_number for a in recorded] == list(range(1, len(recorded) + 1))
    assert all(a.status_code == 500 for a in recorded)
    # The last try was made at the end of the window, not before it.
    assert recorded[-1].attempted_at >= start + timedelta(seconds=36)


def test_an_administrator_redelivers_a_dead_event_with_the_same_id(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "400"
    relay()
    admin = UserFactory(first_name="Ada", last_name="Admin")
    MembershipFactory(company=company, user=admin, is_system_admin=True)
    stand_in.mode = "ok"

    queued = outbox_event_redeliver(event_id=event.pk, admin_user=admin)
    relay()

    assert queued.event_id == event.event_id
    assert fresh(event).status == OutboxEvent.Status.SENT
    assert stand_in.ids() == [str(event.event_id)] * 2
    audit = HistoryEvent.objects.get(
        document=event.document, action="erp_sync.push.redeliver"
    )
    assert audit.actor_user == admin
    assert audit.actor_label == "Ada Admin"
    assert audit.data["previous_error"] == "HTTP 400: unknown document type"
    assert [a.attempt_number for a in attempts(event)] == [1, 1]


def test_non_administrators_cannot_redeliver(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "400"
    relay()
    approver = UserFactory()
    MembershipFactory(company=company, user=approver)
    other_admin = UserFactory()
    MembershipFactory(
        company=Company.objects.create(code="x", name="X", currency="EUR"),
        user=other_admin,
        is_system_admin=True,
    )

    for user in (approver, other_admin, UserFactory(is_staff=True)):
        with pytest.raises(PermissionDenied):
            outbox_event_redeliver(event_id=event.pk, admin_user=user)

    assert fresh(event).status == OutboxEvent.Status.DEAD
    assert not HistoryEvent.objects.filter(action="erp_sync.push.redeliver").exists()


def test_only_dead_events_can_be_redelivered(
    company: Company, client: ErpClient
) -> None:
    event = cancelled(company)

    with pytest.raises(InvalidTransition, match="Only a dead event"):
        outbox_event_redeliver(
            event_id=event.pk, admin_user=UserFactory(is_superuser=True)
        )


def test_the_admin_action_redelivers_for_administrators_only(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    event = cancelled(company)
    stand_in.mode = "400"
    relay()
    url = "/django-admin/erp_sync/outboxdelivery/"
    form = {"action": "redeliver", "_selected_action": [str(event.pk)]}

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename="view_outboxdelivery")
    )
    outsider = Client()
    outsider.force_login(staff)
    refused = outsider.post(url, form, follow=True)
    assert refused.status_code == 200
    assert "Only an administrator" in refused.content.decode()
    assert fresh(event).status == OutboxEvent.Status.DEAD

    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert admin.get(url).status_code == 200
    assert admin.get(f"{url}{event.pk}/change/").status_code == 200
    done = admin.post(url, form, follow=True)
    assert "queued for redelivery" in done.content.decode()
    assert fresh(event).status == OutboxEvent.Status.PENDING


# --- where the relay sends -------------------------------------------------------------


def test_without_an_active_client_the_event_waits(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    erp_client_revoke(client=client)
    event = cancelled(company)

    relay()

    waiting = fresh(event)
    assert waiting.status == OutboxEvent.Status.PENDING
    assert "no active ERP client" in waiting.last_error
    assert stand_in.received == []


def test_events_go_to_their_own_companys_client(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    other_company = Company.objects.create(code="other", name="Other", currency="EUR")
    with running([]) as other_erp:
        other_client = ErpClientFactory(
            company=other_company, callback_url=other_erp.url
        )
        other_erp.secrets = [other_client.signing_secret]
        mine, theirs = cancelled(company, "MINE"), cancelled(other_company, "THEIRS")

        relay()

        assert stand_in.ids() == [str(mine.event_id)]
        assert other_erp.ids() == [str(theirs.event_id)]
        assert all(r.valid for r in stand_in.received + other_erp.received)


# --- RELIABILITY 23, 26: the outbox needs no broker -----------------------------------


def test_an_error_after_the_outbox_insert_rolls_both_back(company: Company) -> None:
    document = receive(company)

    def cancel_then_crash() -> None:
        with transaction.atomic():
            document_cancel(document_id=document.pk, actor_label="ERP")
            assert OutboxEvent.objects.filter(document=document).exists()
            raise RuntimeError("crash after the outbox insert")

    with pytest.raises(RuntimeError, match="crash after the outbox insert"):
        cancel_then_crash()

    assert Document.objects.get(pk=document.pk).status == Document.Status.RECEIVED
    assert not OutboxEvent.objects.exists()


def test_with_the_broker_down_at_commit_the_api_succeeds_and_the_relay_delivers(
    api: ErpApi,
    stand_in: ErpStandIn,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The API's ERP client is the one the relay delivers to.
    ErpClient.objects.filter(pk=api.erp_client.pk).update(callback_url=stand_in.url)
    stand_in.secrets = [api.erp_client.signing_secret]
    body = json.loads((PAYLOADS / "supplier_invoice_read.json").read_text())

    with (
        mock.patch.object(
            CeleryTask, "delay", side_effect=BrokerDown("connection refused")
        ) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        submitted = api.post("documents/supplier-invoices", body, key=str(uuid.uuid4()))
        cancelled_ = api.post(f"documents/{submitted.json()['id']}/cancel", {})

    assert delay.called  # the routing enqueue was attempted and failed
    assert (submitted.status_code, cancelled_.status_code) == (202, 200)
    result = relay()  # no Celery message involved: the poll finds the event

    assert result.sent == 1
    (received,) = stand_in.received
    assert received.payload["type"] == "document.cancelled"
    assert received.payload["document"]["id"] == submitted.json()["id"]


def test_the_periodic_task_runs_the_relay_and_is_scheduled_every_10_seconds(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    cancelled(company)

    counts = relay_outbox()

    assert counts == {"sent": 1, "retried": 0, "dead": 0, "failed": 0}
    entry = django_settings.CELERY_BEAT_SCHEDULE["erp-sync-relay-outbox"]
    assert entry == {"task": "erp_sync.relay_outbox", "schedule": timedelta(seconds=10)}


def test_backoff_never_lives_in_the_broker(
    company: Company, client: ErpClient, stand_in: ErpStandIn
) -> None:
    """RELIABILITY 26: retries are rows with a due time, never countdown/eta tasks."""
    cancelled(company)
    stand_in.mode = "500"

    with mock.patch.object(CeleryTask, "apply_async") as apply_async:
        relay()

    apply_async.assert_not_called()
    assert fresh(OutboxEvent.objects.get()).next_attempt_at > timezone.now()
