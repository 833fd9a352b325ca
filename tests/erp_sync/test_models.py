"""erp_sync models: every one is company-scoped; callback URLs are https."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from erp_sync.models import ErpClient, IdempotencyKey, validate_callback_url
from orgunits.models import Company
from tests.factories.erp_sync import ErpClientFactory


@pytest.mark.parametrize(
    "model",
    list(apps.get_app_config("erp_sync").get_models()),
    ids=lambda m: m.__name__,
)
def test_every_erp_sync_model_carries_a_required_company(
    model: type[models.Model],
) -> None:
    field = model._meta.get_field("company")

    assert isinstance(field, models.ForeignKey)
    assert field.related_model is Company
    assert field.null is False


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hook",
        "http://localhost:8000/hook",
        "http://127.0.0.1:9999/hook",
        "http://[::1]:9999/hook",
    ],
)
def test_accepted_callback_urls(url: str) -> None:
    validate_callback_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://erp.example.com/hook",
        "ftp://erp.example.com/",
        "javascript:alert(1)",
        "not a url",
    ],
)
def test_refused_callback_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        validate_callback_url(url)


@pytest.mark.django_db
def test_a_revoked_client_cannot_be_active() -> None:
    client = ErpClientFactory()

    with pytest.raises(IntegrityError):
        ErpClient.objects.filter(pk=client.pk).update(revoked_at=client.created_at)


def _key_fields() -> dict[str, object]:
    now = timezone.now()
    return {
        "request_method": "POST",
        "request_path": "/api/v1/documents/time-cards",
        "request_fingerprint": "0" * 64,
        "lease_until": now,
        "expires_at": now + timedelta(hours=24),
    }


@pytest.mark.django_db
def test_an_idempotency_key_is_unique_per_client() -> None:
    client = ErpClientFactory()
    other = ErpClientFactory(company=client.company)
    IdempotencyKey.objects.create(
        company=client.company, client=client, key="k", **_key_fields()
    )
    IdempotencyKey.objects.create(
        company=client.company, client=other, key="k", **_key_fields()
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyKey.objects.create(
            company=client.company, client=client, key="k", **_key_fields()
        )


@pytest.mark.django_db
def test_a_completed_key_without_an_answer_is_refused_by_the_database() -> None:
    client = ErpClientFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyKey.objects.create(
            company=client.company,
            client=client,
            key="k",
            status=IdempotencyKey.Status.COMPLETED,
            **_key_fields(),
        )
