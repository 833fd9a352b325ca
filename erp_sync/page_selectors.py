"""Reads for the administrators' ERP pages: clients, deliveries and their attempts.

Every list is company-scoped and costs a fixed number of queries whatever its length:
the last use, the last delivery and the attempt counts are subqueries, not loops.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from oauth2_provider.models import AccessToken

from documents.choices import OutboxStatus
from documents.models import OutboxEvent
from erp_sync.models import DeliveryAttempt, ErpClient
from orgunits.models import Company

#: Deliveries per page (keyset pagination: newest first, "older" follows the last id).
DELIVERY_PAGE_SIZE = 50


def erp_client_list(*, company: Company) -> QuerySet[ErpClient]:
    """The company's ERP clients, active first, with their last use and last push.

    "Last used" is when the client last obtained an access token (its sign-in);
    revoking deletes its tokens, so a revoked client shows its revocation instead.
    """
    last_token = (
        AccessToken.objects.filter(application_id=OuterRef("application_id"))
        .order_by("-created")
        .values("created")[:1]
    )
    last_attempt = (
        DeliveryAttempt.objects.filter(client_id=OuterRef("pk"))
        .order_by("-attempted_at")
        .values("attempted_at")[:1]
    )
    return (
        ErpClient.objects.filter(company=company)
        .select_related("application")
        .annotate(
            last_used_at=Subquery(last_token),
            last_delivery_at=Subquery(last_attempt),
        )
        .order_by("-is_active", "name", "pk")
    )


def erp_client_get(*, company: Company, client_id: int) -> ErpClient:
    """One client of the company; DoesNotExist for another company's (a 404)."""
    return ErpClient.objects.select_related("application").get(
        company=company, pk=client_id
    )


@dataclass(frozen=True)
class DeliveryPage:
    events: list[OutboxEvent]
    #: The id to pass as `before` for the next (older) page, None on the last page.
    next_before: int | None


def delivery_page(
    *,
    company: Company,
    status: str | None = None,
    before: int | None = None,
    size: int = DELIVERY_PAGE_SIZE,
) -> DeliveryPage:
    """One page of the company's outbox events, newest first (keyset on the id).

    `status` is an OutboxStatus value (pending, sent, dead) or None for all. Each
    event carries `attempt_total` (every try, across redeliveries). Two queries.
    """
    events = OutboxEvent.objects.filter(company=company)
    if status:
        events = events.filter(status=OutboxStatus(status))
    if before is not None:
        events = events.filter(pk__lt=before)
    rows = list(
        events.select_related("document")
        .annotate(attempt_total=Count("delivery_attempts"))
        .order_by("-pk")[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    return DeliveryPage(events=rows, next_before=rows[-1].pk if more else None)


def delivery_status_counts(*, company: Company) -> dict[str, int]:
    """How many events the company has per status (for the filter tabs)."""
    counts = {value: 0 for value in OutboxStatus.values}
    for row in (
        OutboxEvent.objects.filter(company=company)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["status"]] = row["n"]
    return counts


def delivery_get(*, company: Company, event_id: int) -> OutboxEvent:
    """One event of the company with its attempts (oldest first); DoesNotExist else."""
    return (
        OutboxEvent.objects.select_related("document", "process")
        .prefetch_related(
            Prefetch(
                "delivery_attempts",
                queryset=DeliveryAttempt.objects.select_related("client").order_by(
                    "attempted_at", "pk"
                ),
                to_attr="attempt_list",
            )
        )
        .get(company=company, pk=event_id)
    )


def dead_event_ids(*, company: Company, event_ids: list[int]) -> list[int]:
    """Which of these ids are the company's dead events (others are ignored)."""
    return list(
        OutboxEvent.objects.filter(
            company=company, pk__in=event_ids, status=OutboxStatus.DEAD
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
