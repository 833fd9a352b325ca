"""Comments, the history and the outbox: what a document leaves behind.

Comments and history rows are append-only. Code never updates or deletes them, and on
PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE on both tables, so the
audit trail holds even against a stray query (INV-5).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from documents.choices import OUTCOME_EVENT_TYPES, OutboxEventType, OutboxStatus
from documents.models.base import ImmutableRecord
from documents.models.document import Document
from documents.models.process import Process
from orgunits.models import CompanyScopedModel, Employee


class Comment(ImmutableRecord):
    """A public comment on a document: seen by everyone on it and sent to the ERP."""

    # PROTECT everywhere: a comment is never deleted, so nothing may delete under it.
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="comments"
    )
    process = models.ForeignKey(
        Process,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comments",
    )
    author = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name as shown when posted, so the comment reads the same forever.
    author_label = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(text__regex=r"\S"), name="comment_text_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_label}: {self.text[:40]}"


class HistoryEvent(ImmutableRecord):
    """One change of state, append-only (DOMAIN §9).

    `action` is dotted (`documents.task.approve`); `group` is shared by the rows one
    user action or one service call wrote, so the history reads as actions, not rows.
    """

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="history"
    )
    process = models.ForeignKey(
        Process,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="history",
    )
    action = models.CharField(max_length=64)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    on_behalf_of_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    group = models.UUIDField(db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "history events"
        indexes = [
            models.Index(fields=["document", "at"], name="history_document_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__regex=r"^[a-z_]+(\.[a-z_]+)+$"),
                name="history_action_dotted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} by {self.actor_label}"


class OutboxEvent(CompanyScopedModel):
    """An event for the ERP, written in the same transaction as the change it reports.

    The documents app only inserts rows; the ERP app relays them (claims with a lease,
    retries, marks them sent or dead). `event_id` is the stable `webhook-id`.
    """

    EventType = OutboxEventType
    Status = OutboxStatus

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="outbox_events"
    )
    # Null for a document cancelled before it was ever routed.
    process = models.ForeignKey(
        Process,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbox_events",
    )
    event_type = models.CharField(max_length=30, choices=EventType.choices)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
        ]
        constraints = [
            # INV-2: a finished process has exactly one outcome event.
            models.UniqueConstraint(
                fields=["process"],
                condition=Q(event_type__in=[t.value for t in OUTCOME_EVENT_TYPES]),
                name="outbox_one_outcome_per_process",
            ),
            models.CheckConstraint(
                condition=Q(event_type__in=OutboxEventType.values),
                name="outbox_event_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OutboxStatus.values),
                name="outbox_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"
