"""The demo ERP's own tables (demo mode only, `settings.SIGNOFF_DEMO_MODE`).

They belong to the pretend ERP that `make run` ships beside Signoff (`erp_sync.demo`,
`erp_sync.demo_views`), not to Signoff: production never writes a row here.
"""

from __future__ import annotations

from django.db import models

from orgunits.models import CompanyScopedModel


class DemoErpCredentials(CompanyScopedModel):
    """The demo ERP's plain client secret and signing secret. Demo mode only.

    Signoff itself keeps only a hash of a client secret; this row exists because the
    demo ERP must call the API with real credentials and verify the pushes it gets
    with the real signing secret, as an ERP would from its own configuration.
    Production never creates rows (the demo loader runs only in demo mode).
    """

    client = models.OneToOneField(
        "erp_sync.ErpClient", on_delete=models.CASCADE, related_name="demo_credentials"
    )
    client_secret = models.CharField(max_length=255)
    signing_secret = models.CharField(max_length=100)

    class Meta:
        verbose_name = "demo ERP credentials"
        verbose_name_plural = "demo ERP credentials"

    def __str__(self) -> str:
        return f"demo ERP credentials ({self.company_id})"


class DemoErpEvent(CompanyScopedModel):
    """One outcome event the demo ERP's callback received, keyed by `webhook-id`.

    `applied_at` is set once, the first time a correctly signed delivery arrives;
    replays only count up `received_count`. Demo mode only.
    """

    webhook_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=50, blank=True)
    document_reference = models.CharField(max_length=100, blank=True)
    received_count = models.PositiveIntegerField(default=1)
    applied_at = models.DateTimeField(null=True, blank=True)
    signature_valid = models.BooleanField(default=False)
    payload = models.JSONField(null=True, blank=True)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.document_reference} ({self.webhook_id})"
