"""The deployment check on the retry window and the idempotency-key purge task."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.checks import run_checks
from django.utils import timezone

from erp_sync.models import IdempotencyKey
from erp_sync.tasks import purge_idempotency_keys
from tests.factories.erp_sync import ErpClientFactory


def _ids(settings: Any, hours: float) -> list[str]:
    settings.SIGNOFF_PUSH_RETRY_HOURS = hours
    return [message.id for message in run_checks(include_deployment_checks=True)]


def test_check_deploy_warns_about_a_retry_window_below_24_hours(settings: Any) -> None:
    assert "erp_sync.W001" in _ids(settings, 2)
    assert "erp_sync.W001" not in _ids(settings, 24)
    assert "erp_sync.W001" not in _ids(settings, 48)


@pytest.mark.django_db
def test_the_purge_task_deletes_expired_keys_only() -> None:
    client = ErpClientFactory()
    now = timezone.now()
    for key, expires in (
        ("old", now - timedelta(seconds=1)),
        ("live", now + timedelta(hours=1)),
    ):
        IdempotencyKey.objects.create(
            company=client.company,
            client=client,
            key=key,
            request_method="POST",
            request_path="/api/v1/documents/time-cards",
            request_fingerprint="0" * 64,
            lease_until=now,
            expires_at=expires,
        )

    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["live"]
