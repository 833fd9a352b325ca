"""ERP clients, idempotency keys and push delivery records (DOMAIN §1, §8).

An ERP client is an OAuth2 application (client credentials, confidential) bound to one
company. Its access tokens reach only the ERP endpoints, and only that company's data.
The callback `signing_secret` signs the outcome pushes (Standard Webhooks); during a
rotation the previous secret stays valid for `SIGNING_SECRET_OVERLAP` so the ERP can
switch over without rejecting a push. A callback that answered 410 Gone is disabled
(`callback_disabled_at`) until an administrator enables it again.

`IdempotencyKey` remembers what a document POST answered, per client and key, so a
retried request gets the same answer instead of a second document. `DeliveryAttempt` is
one try of the outbox relay to POST an event to the callback URL.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from documents.models import OutboxEvent
from orgunits.models import Company, CompanyScopedModel

#: How long a rotated-out signing secret still signs pushes beside the new one.
SIGNING_SECRET_OVERLAP = timedelta(hours=24)

_LOOPBACK_NAMES = {"localhost"}


def validate_callback_url(value: str) -> None:
    """HTTPS only, except loopback hosts (a local ERP stand-in during development)."""
    URLValidator(schemes=["http", "https"])(value)
    parts = urlsplit(value)
    if parts.scheme == "https":
        return
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK_NAMES:
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValidationError(
        _("The callback URL must use https (http is allowed only for localhost)."),
        code="callback_url_not_https",
    )


class ErpClient(CompanyScopedModel):
    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="erp_client",
    )
    name = models.CharField(max_length=100)
    callback_url = models.URLField(
        max_length=500,
        validators=[validate_callback_url],
        help_text=_("Where Signoff POSTs outcome events (Standard Webhooks)."),
    )
    # Kept in clear text on purpose: it is an HMAC key Signoff must use itself, not a
    # credential it only verifies. The admin never displays it.
    signing_secret = models.CharField(max_length=100, editable=False)
    previous_signing_secret = models.CharField(
        max_length=100, blank=True, editable=False
    )
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the callback answered 410 Gone: the relay sends nothing more to it.
    callback_disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    callback_disabled_reason = models.CharField(
        max_length=300, blank=True, editable=False
    )

    class Meta:
        verbose_name = "ERP client"
        ordering = ["company", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="erp_client_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(is_active=False),
                name="erp_client_revoked_is_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company_id})"

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def callback_enabled(self) -> bool:
        return self.callback_disabled_at is None


class IdempotencyKey(CompanyScopedModel):
    """The first answer to a document POST under one `Idempotency-Key` of one client.

    The row is inserted (in progress) in its own committed transaction before the work
    starts; the document and the completed answer then commit together, so an answer is
    stored exactly when its document exists. `lease_until` lets a retry take over a key
    whose request died before committing; `attempt` says which request owns it now.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")

    client = models.ForeignKey(
        ErpClient, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    request_method = models.CharField(max_length=10)
    request_path = models.CharField(max_length=300)
    request_fingerprint = models.CharField(
        max_length=64, help_text=_("sha256 of method, path and the canonical body")
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.IN_PROGRESS
    )
    attempt = models.UUIDField(default=uuid.uuid4)
    lease_until = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key"], name="idempotency_key_unique_per_client"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["in_progress", "completed"]),
                name="idempotency_key_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(response_status__isnull=False),
                name="idempotency_key_completed_has_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class DeliveryAttempt(models.Model):
    """One try to POST an outbox event to the ERP's callback URL; written, never edited.

    `attempt_number` counts within the current retry series (1 = the first try, again
    after an administrator's redelivery); the retry window runs from that first try.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(
        OutboxEvent,
        on_delete=models.PROTECT,
        related_name="delivery_attempts",
    )
    client = models.ForeignKey(
        ErpClient,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="delivery_attempts",
    )
    attempt_number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField(default=timezone.now, db_index=True)
    url = models.CharField(max_length=500, blank=True)
    # Null when no HTTP answer came (timeout, refused connection, dropped response).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["event", "attempted_at", "id"]
        indexes = [
            models.Index(fields=["event", "attempt_number"], name="delivery_event_nr"),
        ]

    def __str__(self) -> str:
        outcome = self.status_code or self.error[:40]
        return f"{self.event_id} #{self.attempt_number}: {outcome}"


class OutboxDelivery(OutboxEvent):
    """The outbox seen from the relay: delivery state, attempts, redelivery (admin)."""

    class Meta:
        proxy = True
        verbose_name = "outbox delivery"
        verbose_name_plural = "outbox deliveries"


# The demo ERP's tables (demo mode only) live in their own module; importing them here
# registers them with the app.
from erp_sync.demo_models import DemoErpCredentials, DemoErpEvent  # noqa: E402, F401
