"""Claim a mail before sending it, send over one connection, release it on failure.

Every mail is claimed first: a `NotificationSent` row, unique per (kind, key, user),
is written in its own short transaction before the message goes out. A retried
Celery task or a repeated beat run finds the claim and sends nothing. When sending
fails the claim is released, so the retry sends exactly the mails that did not go.
(A worker killed between the claim and the send loses that one mail rather than
risking a duplicate; the reminder and overview come again on the next run.)
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction

from documents.models import NotificationSent

logger = logging.getLogger(__name__)


@dataclass
class SendResult:
    """What one run did: mails sent, mails already sent before, mails that failed."""

    sent: int = 0
    already_sent: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Outgoing:
    message: EmailMultiAlternatives
    kind: str
    user_id: int
    keys: tuple[str, ...]


def claim(*, kind: str, key: str, user_id: int, company_id: int | None) -> bool:
    """Claim one mail; False when it was already claimed (sent) before."""
    try:
        with transaction.atomic():
            NotificationSent.objects.create(
                kind=kind, key=key, user_id=user_id, company_id=company_id
            )
    except IntegrityError:
        return False
    return True


def claim_many(
    *,
    kind: str,
    wanted: Sequence[tuple[int, str]],
    companies: dict[str, int] | None = None,
) -> set[tuple[int, str]]:
    """Claim many (user_id, key) pairs in two queries; returns the ones now ours.

    `companies` maps a key to the company it is about (none: a cross-company mail).
    """
    if not wanted:
        return set()
    company_of = companies or {}
    existing = set(
        NotificationSent.objects.filter(
            kind=kind,
            user_id__in={u for u, _k in wanted},
            key__in={k for _u, k in wanted},
        ).values_list("user_id", "key")
    )
    fresh = [pair for pair in dict.fromkeys(wanted) if pair not in existing]
    if not fresh:
        return set()
    try:
        with transaction.atomic():
            NotificationSent.objects.bulk_create(
                NotificationSent(
                    kind=kind, user_id=u, key=k, company_id=company_of.get(k)
                )
                for u, k in fresh
            )
    except IntegrityError:
        # A parallel run claimed some of them meanwhile: claim one by one.
        return {
            (u, k)
            for u, k in fresh
            if claim(kind=kind, key=k, user_id=u, company_id=company_of.get(k))
        }
    return set(fresh)


def release(outgoing: Outgoing) -> None:
    NotificationSent.objects.filter(
        kind=outgoing.kind, user_id=outgoing.user_id, key__in=outgoing.keys
    ).delete()


def deliver(outgoing: Iterable[Outgoing], result: SendResult) -> SendResult:
    """Send over one connection; a failed mail releases its claim for the retry."""
    batch = list(outgoing)
    if not batch:
        return result
    connection = get_connection()
    try:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError):
            # Each send below tries again and fails on its own (released, counted).
            logger.warning("notifications: cannot open the mail connection")
        for item in batch:
            item.message.connection = connection
            try:
                item.message.send()
            except (smtplib.SMTPException, OSError):
                logger.exception(
                    "notifications: %s to user %s failed", item.kind, item.user_id
                )
                release(item)
                result.failed += 1
            else:
                result.sent += 1
    finally:
        connection.close()
    return result
