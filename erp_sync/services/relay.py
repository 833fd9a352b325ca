"""The outbox relay: deliver documents' outbox events to the ERP, signed (ERP_API.md
"Outcome push", RELIABILITY 16–23, 26).

A periodic task (`erp_sync.relay_outbox`, every 10 s) runs `outbox_relay_run`:

1. `outbox_events_claim` takes due events — pending, `next_attempt_at` reached, not
   leased — with `SELECT … FOR UPDATE SKIP LOCKED` in a short durable transaction that
   sets a lease (`LEASE`). Two relays never hold one event; a relay that dies leaves a
   lease that simply runs out. An event waits while an earlier event of the same
   document is not yet delivered (pending or dead): the ERP sees a document's events
   in order.
2. `outbox_event_deliver` POSTs the event outside any transaction through
   `erp_sync.clients`, signed per Standard Webhooks (`webhook-id` is the event's stable
   id, one `v1,` signature per current signing secret), and records the attempt
   (`DeliveryAttempt`) and the outcome in one transaction:
   - 2xx → sent;
   - 410 → the client's callback is disabled and the event dead;
   - 429 → retried after `Retry-After` (else the backoff);
   - 3xx (never followed), 408, 425, 5xx, timeouts, connection errors → retried with
     exponential backoff and jitter, stored in `next_attempt_at` (no broker countdown);
   - any other 4xx → dead with the reason.
   Retries stop after `SIGNOFF_PUSH_RETRY_HOURS` (24 by default) counted from the
   first attempt; the event is then dead with its last error.
3. `outbox_event_redeliver` lets an administrator send a dead event again, with the
   same `webhook-id`, recorded in the document's history.

Nothing here needs a Celery message per event: whatever committed to the outbox is
found by the next poll, also when the broker was down at commit time. Each outbox row's
commit also sends the task at once (`documents.services.outbox`), so a push normally
leaves within a moment; the poll is the safety net.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.exceptions import InvalidTransition
from documents.models import OutboxEvent
from documents.services.common import SYSTEM_LABEL, HistoryWriter, user_label
from documents.services.outbox import relay_enqueue_on_commit
from documents.transitions import is_company_admin
from erp_sync.clients import TOTAL_TIMEOUT, CallbackResponse, ErpCallbackClient
from erp_sync.models import DeliveryAttempt, ErpClient
from erp_sync.selectors import erp_client_signing_secrets
from erp_sync.services.clients import signing_key_bytes

logger = logging.getLogger(__name__)

#: How long a claimed event belongs to its relay: longer than one delivery can take
#: (the client's total timeout), so no second relay takes it while it is in flight.
LEASE = timedelta(seconds=TOTAL_TIMEOUT + 40)
#: Backoff: 10 s, 20 s, 40 s … up to an hour between attempts, each with jitter.
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(hours=1)
#: These three are defaults: the settings SIGNOFF_PUSH_LEASE_SECONDS,
#: SIGNOFF_PUSH_BACKOFF_BASE_SECONDS and SIGNOFF_PUSH_BACKOFF_CAP_SECONDS override them
#: (the resilience suite compresses an hour of outage into seconds with them).
#: A Retry-After is honoured up to this long.
MAX_RETRY_AFTER = timedelta(hours=6)
#: One run stops claiming after this long or this many events, well inside the task's
#: soft time limit; the next run (10 s later) continues.
RUN_BUDGET_SECONDS = 30.0
MAX_EVENTS_PER_RUN = 500
#: 4xx answers that mean "later", not "never".
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})

_random = random.SystemRandom()


def _seconds_setting(name: str, default: timedelta) -> timedelta:
    value = getattr(settings, name, None)
    return default if value is None else timedelta(seconds=float(value))


def lease() -> timedelta:
    return _seconds_setting("SIGNOFF_PUSH_LEASE_SECONDS", LEASE)


class Outcome:
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"


@dataclass
class RelayResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.dead + self.failed

    def add(self, outcome: str) -> None:
        if outcome == Outcome.SENT:
            self.sent += 1
        elif outcome == Outcome.RETRY:
            self.retried += 1
        else:
            self.dead += 1

    def as_counts(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "failed": self.failed,
        }


# --- Standard Webhooks ------------------------------------------------------------------


def webhook_signature(
    *, secrets: list[str], msg_id: str, timestamp: int, body: bytes
) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per secret,
    space-separated (both during a secret rotation)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1,"
        + base64.b64encode(
            hmac.new(signing_key_bytes(secret), signed, hashlib.sha256).digest()
        ).decode("ascii")
        for secret in secrets
    )


def event_body(event: OutboxEvent) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(
        event.payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def webhook_headers(
    *, client: ErpClient, event: OutboxEvent, body: bytes, at: datetime
) -> dict[str, str]:
    timestamp = int(at.timestamp())
    msg_id = str(event.event_id)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(
            secrets=erp_client_signing_secrets(client=client, at=at),
            msg_id=msg_id,
            timestamp=timestamp,
            body=body,
        ),
    }


# --- claim -----------------------------------------------------------------------------


def outbox_events_claim(
    *, limit: int = 1, now: datetime | None = None
) -> list[OutboxEvent]:
    """Lease up to `limit` due events for this relay and return them (oldest due first).

    Skips rows another relay is claiming right now (SKIP LOCKED) or holds (lease), and
    events with an undelivered earlier event of the same document.
    """
    moment = now or timezone.now()
    earlier_undelivered = OutboxEvent.objects.filter(
        document_id=OuterRef("document_id"), pk__lt=OuterRef("pk")
    ).exclude(status=OutboxEvent.Status.SENT)
    with transaction.atomic(durable=True):
        ids = list(
            OutboxEvent.objects.filter(
                status=OutboxEvent.Status.PENDING, next_attempt_at__lte=moment
            )
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=moment))
            .filter(~Exists(earlier_undelivered))
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            OutboxEvent.objects.filter(pk__in=ids).update(
                leased_until=moment + lease(), updated_at=moment
            )
    return list(
        OutboxEvent.objects.filter(pk__in=ids)
        .select_related("document")
        .order_by("next_attempt_at", "pk")
    )


def callback_client_for(company_id: int) -> ErpClient | None:
    """The ERP client whose callback receives the company's events: the newest active
    one (a company replacing its client creates the new one, then revokes the old)."""
    return (
        ErpClient.objects.filter(
            company_id=company_id, is_active=True, revoked_at__isnull=True
        )
        .order_by("-created_at", "-pk")
        .first()
    )


# --- deliver ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    outcome: str
    reason: str = ""
    retry_after: timedelta | None = None
    disable_callback: bool = False


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date, bounded; None when absent or unusable."""
    if not value:
        return None
    text = value.strip()
    delay: timedelta | None = None
    if text.isdigit():
        delay = timedelta(seconds=int(text[:9]))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        delay = when - now
    return max(timedelta(seconds=1), min(delay, MAX_RETRY_AFTER))


def _verdict(response: CallbackResponse, now: datetime) -> _Verdict:
    code = response.status_code
    if code is None:
        return _Verdict(Outcome.RETRY, response.error or "no answer")
    excerpt = " ".join(response.body_excerpt.split())[:300]
    described = f"HTTP {code}" + (f": {excerpt}" if excerpt else "")
    if 200 <= code < 300:
        return _Verdict(Outcome.SENT)
    if code == 410:
        return _Verdict(
            Outcome.DEAD,
            f"{described} — the ERP says the callback is gone; it is disabled until "
            "an administrator enables it again.",
            disable_callback=True,
        )
    if code == 429:
        return _Verdict(
            Outcome.RETRY,
            described,
            retry_after=_retry_after(response.headers.get("Retry-After"), now),
        )
    if 300 <= code < 400:
        location = response.headers.get("Location", "")[:200]
        return _Verdict(
            Outcome.RETRY,
            f"HTTP {code}: redirect to {location or '(no Location)'} not followed; "
            "fix the callback URL.",
        )
    if 400 <= code < 500 and code not in RETRYABLE_CLIENT_ERRORS:
        return _Verdict(Outcome.DEAD, described)
    return _Verdict(Outcome.RETRY, described)


def backoff_delay(attempt_number: int) -> timedelta:
    """Exponential backoff with "equal jitter": between half and all of the step."""
    base = _seconds_setting("SIGNOFF_PUSH_BACKOFF_BASE_SECONDS", BACKOFF_BASE)
    cap = _seconds_setting("SIGNOFF_PUSH_BACKOFF_CAP_SECONDS", BACKOFF_CAP)
    step = min(cap, base * (2 ** min(attempt_number - 1, 20)))
    seconds = step.total_seconds()
    return timedelta(seconds=seconds / 2 + _random.uniform(0, seconds / 2))


def retry_window() -> timedelta:
    return timedelta(hours=float(settings.SIGNOFF_PUSH_RETRY_HOURS))


def outbox_event_deliver(
    *, event: OutboxEvent, http: ErpCallbackClient, now: datetime | None = None
) -> str:
    """POST one claimed event and record the attempt; returns the `Outcome`.

    Call it outside any transaction: the HTTP call must not hold database locks.
    """
    moment = now or timezone.now()
    client = callback_client_for(event.company_id)
    if client is None:
        return _record(
            event,
            client=None,
            url="",
            response=None,
            verdict=_Verdict(
                Outcome.RETRY, "The company has no active ERP client to deliver to."
            ),
            at=moment,
        )
    if not client.callback_enabled:
        return _record(
            event,
            client=client,
            url=client.callback_url,
            response=None,
            verdict=_Verdict(
                Outcome.DEAD,
                f"Not sent: the callback of ERP client “{client.name}” is disabled "
                f"({client.callback_disabled_reason or 'by an administrator'}).",
            ),
            at=moment,
        )
    body = event_body(event)
    headers = webhook_headers(client=client, event=event, body=body, at=moment)
    response = http.post(url=client.callback_url, body=body, headers=headers)
    return _record(
        event,
        client=client,
        url=client.callback_url,
        response=response,
        verdict=_verdict(response, timezone.now()),
        at=moment,
    )


def _window_start(event: OutboxEvent, attempt_number: int, at: datetime) -> datetime:
    """When the current retry series began: its first attempt (redelivery restarts)."""
    if attempt_number <= 1:
        return at
    first = (
        DeliveryAttempt.objects.filter(event=event, attempt_number=1)
        .order_by("-attempted_at", "-pk")
        .values_list("attempted_at", flat=True)
        .first()
    )
    return first or event.created_at


def _record(
    event: OutboxEvent,
    *,
    client: ErpClient | None,
    url: str,
    response: CallbackResponse | None,
    verdict: _Verdict,
    at: datetime,
) -> str:
    """Write the attempt and the event's new state in one transaction."""
    with transaction.atomic():
        locked = (
            OutboxEvent.objects.select_for_update(of=("self",))
            .select_related("document", "process")
            .get(pk=event.pk)
        )
        attempt_number = locked.attempts + 1
        DeliveryAttempt.objects.create(
            company_id=locked.company_id,
            event=locked,
            client=client,
            attempt_number=attempt_number,
            attempted_at=at,
            url=url[:500],
            status_code=response.status_code if response else None,
            latency_ms=response.latency_ms if response else 0,
            error="" if verdict.outcome == Outcome.SENT else verdict.reason,
        )
        if locked.status != OutboxEvent.Status.PENDING:
            # Changed under this relay (an administrator acted); keep their state.
            return locked.status
        now = timezone.now()
        outcome = verdict.outcome
        locked.attempts = attempt_number
        locked.leased_until = None
        if outcome == Outcome.RETRY:
            deadline = _window_start(locked, attempt_number, at) + retry_window()
            delay = verdict.retry_after or backoff_delay(attempt_number)
            if now >= deadline:
                outcome = Outcome.DEAD
            else:
                # One last attempt at the deadline rather than none after it.
                locked.next_attempt_at = min(now + delay, deadline)
        if outcome == Outcome.SENT:
            locked.status = OutboxEvent.Status.SENT
            locked.sent_at = now
            locked.last_error = ""
        elif outcome == Outcome.DEAD:
            locked.status = OutboxEvent.Status.DEAD
            locked.last_error = verdict.reason
        else:
            locked.last_error = verdict.reason
        locked.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "leased_until",
                "last_error",
                "sent_at",
                "updated_at",
            ]
        )
        if verdict.disable_callback and client is not None:
            ErpClient.objects.filter(
                pk=client.pk, callback_disabled_at__isnull=True
            ).update(
                callback_disabled_at=now,
                callback_disabled_reason=verdict.reason[:300],
                updated_at=now,
            )
        if outcome != Outcome.RETRY:
            _history(locked, outcome, attempt_number, response)
    if outcome == Outcome.DEAD:
        logger.warning(
            "relay.event_dead",
            extra={"event_id": str(event.event_id), "reason": verdict.reason},
        )
    return outcome


def _history(
    event: OutboxEvent,
    outcome: str,
    attempts: int,
    response: CallbackResponse | None,
) -> None:
    """Delivered and dead are recorded on the document; each try is a DeliveryAttempt."""
    data: dict[str, Any] = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "attempts": attempts,
    }
    if outcome == Outcome.SENT:
        action = "erp_sync.push.deliver"
        data["status_code"] = response.status_code if response else None
    else:
        action = "erp_sync.push.dead"
        data["reason"] = event.last_error
    HistoryWriter(event.document, actor_label=SYSTEM_LABEL).record(
        action, process=event.process, data=data
    )


def outbox_relay_run(
    *,
    http: ErpCallbackClient | None = None,
    max_events: int = MAX_EVENTS_PER_RUN,
    budget_seconds: float = RUN_BUDGET_SECONDS,
) -> RelayResult:
    """Deliver due events one at a time until none is due, or the budget is spent."""
    sender = http or ErpCallbackClient()
    result = RelayResult()
    stop_at = time.monotonic() + budget_seconds
    while result.total < max_events and time.monotonic() < stop_at:
        claimed = outbox_events_claim(limit=1)
        if not claimed:
            break
        for event in claimed:
            try:
                result.add(outbox_event_deliver(event=event, http=sender))
            except Exception:
                # A bug or the database going away: the lease keeps the event from
                # being retried at once; it is tried again after the lease.
                logger.exception(
                    "relay.deliver_failed", extra={"event_id": str(event.event_id)}
                )
                result.failed += 1
    return result


# --- administrators ------------------------------------------------------------------


def may_redeliver(*, user: AbstractBaseUser | None, company_id: int) -> bool:
    """Superusers (the operators of the Django admin) and the company's system
    administrators."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(getattr(user, "is_superuser", False)) or is_company_admin(
        user=user, company_id=company_id
    )


@transaction.atomic
def outbox_event_redeliver(
    *, event_id: int, admin_user: AbstractBaseUser
) -> OutboxEvent:
    """Queue a dead event again, now, with the same `webhook-id`; audited.

    Its retry window starts afresh. Raises PermissionDenied for anyone but an
    administrator of the event's company (or a superuser), InvalidTransition unless
    the event is dead.
    """
    event = (
        OutboxEvent.objects.select_for_update(of=("self",))
        .select_related("document", "process")
        .get(pk=event_id)
    )
    if not may_redeliver(user=admin_user, company_id=event.company_id):
        raise PermissionDenied("Only an administrator may redeliver ERP events.")
    if event.status != OutboxEvent.Status.DEAD:
        raise InvalidTransition(
            f"Only a dead event can be redelivered; this one is {event.status}.",
            {"code": "event_not_dead", "status": event.status},
        )
    previous_error = event.last_error
    event.status = OutboxEvent.Status.PENDING
    event.attempts = 0
    event.next_attempt_at = timezone.now()
    event.leased_until = None
    event.last_error = ""
    event.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "leased_until",
            "last_error",
            "updated_at",
        ]
    )
    HistoryWriter(
        event.document, actor_label=user_label(admin_user), actor_user=admin_user
    ).record(
        "erp_sync.push.redeliver",
        process=event.process,
        data={
            "event_id": str(event.event_id),
            "event_type": event.event_type,
            "previous_error": previous_error,
        },
    )
    # Sent now rather than at the next periodic run (the administrator is waiting).
    relay_enqueue_on_commit()
    return event
