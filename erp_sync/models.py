"""ERP clients: the machine identities that may call the ERP API (DOMAIN §1).

An ERP client is an OAuth2 application (client credentials, confidential) bound to one
company. Its access tokens reach only the ERP endpoints, and only that company's data.
The callback `signing_secret` signs the outcome pushes (Standard Webhooks); during a
rotation the previous secret stays valid for `SIGNING_SECRET_OVERLAP` so the ERP can
switch over without rejecting a push.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from orgunits.models import CompanyScopedModel

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
