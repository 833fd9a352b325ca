"""Reads of the erp_sync app."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from erp_sync.models import SIGNING_SECRET_OVERLAP, ErpClient


def erp_client_signing_secrets(
    *, client: ErpClient, at: datetime | None = None
) -> list[str]:
    """The secrets a push made at `at` is signed with, newest first.

    Right after a rotation both are listed, so Standard Webhooks receivers that still
    hold the previous secret keep verifying (one signature per secret in the header).
    """
    moment = at or timezone.now()
    secrets = [client.signing_secret]
    if (
        client.previous_signing_secret
        and client.rotated_at is not None
        and moment < client.rotated_at + SIGNING_SECRET_OVERLAP
    ):
        secrets.append(client.previous_signing_secret)
    return secrets
