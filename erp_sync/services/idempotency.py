"""Idempotency keys of the document POSTs (ERP_API.md "Documents", RELIABILITY 1–7).

A key belongs to one ERP client. The protocol, race-safe on PostgreSQL:

1. `idempotency_key_claim` inserts the key row, `in_progress`, in its own committed
   transaction. A unique violation means another request has the key: it is looked up
   and answered from — in progress → 409, completed with the same fingerprint → the
   stored answer again, another fingerprint → 422.
2. The caller does the work in one transaction and calls `idempotency_key_complete`
   inside it, so the answer commits exactly together with the document: a server that
   dies after the commit but before answering leaves a completed key, and the retry
   gets the stored answer.
3. If the work fails, `idempotency_key_release` deletes the row, so the same key may be
   used again: only successful answers are remembered (refusals are re-evaluated).

A request that died before committing leaves an `in_progress` row behind; after its
lease (`IN_PROGRESS_LEASE`) a retry takes it over instead of getting 409 until the key
expires. Keys are kept `SIGNOFF_IDEMPOTENCY_KEY_HOURS` (default 24); an expired key is
a new request, and the natural key (one open process per ERP document) still refuses a
duplicate document.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from erp_sync.models import ErpClient, IdempotencyKey

#: How long an unfinished request owns its key; longer than any request may run
#: (gunicorn kills a worker after 30 s), short enough that a retry after a crash
#: is not refused for long.
IN_PROGRESS_LEASE = timedelta(minutes=2)
#: Seconds a client is told to wait while the first request is still running.
IN_PROGRESS_RETRY_AFTER = 2
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    """An answer to send: the first one again (`replayed`) or a new one."""

    status: int
    body: Mapping[str, Any]
    replayed: bool


def idempotency_key_validate(raw: str | None) -> str:
    """The key from the header; ApplicationError (400) when missing or malformed.

    Printable ASCII only (what a header can carry unambiguously), 1–255 characters.
    """
    if raw is None or not raw.strip():
        raise ApplicationError(
            "The Idempotency-Key header is required: a unique value (e.g. a UUID) per "
            "document submission, sent again unchanged on every retry of it.",
            {"code": "idempotency_key_missing", "status": 400},
        )
    key = raw.strip()
    if len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise ApplicationError(
            f"The Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable ASCII "
            "characters.",
            {"code": "idempotency_key_invalid", "status": 400},
        )
    return key


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        # By value: 1250, 1250.0 and 1250.00 are the same number, whichever JSON
        # library the ERP's retry went through.
        return {"$number": str(Decimal(value).normalize())}
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """sha256 of method, path and the body with sorted keys and no whitespace.

    Key order, formatting and the spelling of numbers do not matter; any value that
    differs does. ASCII escapes
    keep a lone surrogate from breaking the hash of a body that is refused anyway.
    """
    canonical = json.dumps(
        _canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    digest = hashlib.sha256()
    for part in (method.upper(), path, canonical):
        digest.update(part.encode("ascii", errors="backslashreplace"))
        digest.update(b"\n")
    return digest.hexdigest()


def _answer_from(row: IdempotencyKey, fingerprint: str) -> StoredResponse:
    """What a request finds when the key is already taken (raises for 409/422)."""
    if row.request_fingerprint != fingerprint:
        raise ApplicationError(
            "This Idempotency-Key was already used with a different request body; "
            "use a new key for a different submission.",
            {"code": "idempotency_key_reused", "status": 422},
        )
    if row.status == IdempotencyKey.Status.COMPLETED and row.response_status:
        return StoredResponse(
            status=row.response_status, body=row.response_body or {}, replayed=True
        )
    raise ApplicationError(
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        {
            "code": "idempotency_key_in_progress",
            "status": 409,
            "retryAfter": IN_PROGRESS_RETRY_AFTER,
        },
    )


def idempotency_key_find(
    *, client: ErpClient, key: str, fingerprint: str
) -> StoredResponse | None:
    """The stored answer for a live key, or None if the key is unknown or expired.

    Raises ApplicationError 422 for another body, 409 while the first is running (a
    stale in-progress row, whose lease ran out, counts as unknown: a claim takes it
    over).
    """
    row = IdempotencyKey.objects.filter(client=client, key=key).first()
    if row is None or row.is_expired:
        return None
    if (
        row.status == IdempotencyKey.Status.IN_PROGRESS
        and row.lease_until <= timezone.now()
        and row.request_fingerprint == fingerprint
    ):
        return None
    return _answer_from(row, fingerprint)


def _retention() -> timedelta:
    return timedelta(hours=float(settings.SIGNOFF_IDEMPOTENCY_KEY_HOURS))


def idempotency_key_claim(
    *, client: ErpClient, key: str, method: str, path: str, fingerprint: str
) -> IdempotencyKey | StoredResponse:
    """Take the key for this request (committed at once), or answer from its owner.

    Returns the claimed row, or the stored answer of a completed request with the same
    body. Raises ApplicationError 409 (still running) or 422 (another body).
    """
    for _ in range(3):
        now = timezone.now()
        try:
            # Committed before the work starts, so a concurrent request with the same
            # key sees it (or waits for this insert) instead of doing the work twice.
            with transaction.atomic(durable=True):
                return IdempotencyKey.objects.create(
                    company_id=client.company_id,
                    client=client,
                    key=key,
                    request_method=method.upper(),
                    request_path=path[:300],
                    request_fingerprint=fingerprint,
                    lease_until=now + IN_PROGRESS_LEASE,
                    expires_at=now + _retention(),
                )
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(client=client, key=key).first()
        if row is None:
            # Released between the insert and the read: try the insert again.
            continue
        if row.is_expired:
            # A forgotten key is a new request; delete exactly that row and retry.
            IdempotencyKey.objects.filter(pk=row.pk, expires_at__lte=now).delete()
            continue
        if (
            row.status == IdempotencyKey.Status.IN_PROGRESS
            and row.lease_until <= now
            and row.request_fingerprint == fingerprint
        ):
            # Its request died before committing: take the key over. The conditional
            # update lets exactly one of several retries win.
            attempt = uuid.uuid4()
            taken = IdempotencyKey.objects.filter(
                pk=row.pk,
                status=IdempotencyKey.Status.IN_PROGRESS,
                attempt=row.attempt,
            ).update(
                attempt=attempt,
                lease_until=now + IN_PROGRESS_LEASE,
                updated_at=now,
            )
            if taken:
                row.attempt = attempt
                row.lease_until = now + IN_PROGRESS_LEASE
                return row
            continue
        return _answer_from(row, fingerprint)
    raise ApplicationError(
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        {
            "code": "idempotency_key_in_progress",
            "status": 409,
            "retryAfter": IN_PROGRESS_RETRY_AFTER,
        },
    )


def idempotency_key_complete(
    *, claim: IdempotencyKey, status: int, body: Mapping[str, Any]
) -> bool:
    """Store the answer; call it inside the transaction that does the work.

    False when this request no longer owns the key (its lease ran out and a retry took
    it over): the caller must roll its work back.
    """
    updated = IdempotencyKey.objects.filter(
        pk=claim.pk,
        status=IdempotencyKey.Status.IN_PROGRESS,
        attempt=claim.attempt,
    ).update(
        status=IdempotencyKey.Status.COMPLETED,
        response_status=status,
        response_body=dict(body),
        updated_at=timezone.now(),
    )
    return updated == 1


def idempotency_key_release(*, claim: IdempotencyKey) -> None:
    """Forget a key whose request failed, so it can be used again (only if still ours)."""
    IdempotencyKey.objects.filter(
        pk=claim.pk,
        status=IdempotencyKey.Status.IN_PROGRESS,
        attempt=claim.attempt,
    ).delete()


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete expired keys; returns how many. Run periodically."""
    moment = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=moment).delete()
    return deleted
