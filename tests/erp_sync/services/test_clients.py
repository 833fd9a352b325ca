"""erp_client_create / erp_client_revoke / erp_client_rotate_secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from core.exceptions import ApplicationError
from erp_sync.models import ErpClient
from erp_sync.selectors import erp_client_signing_secrets
from erp_sync.services.clients import (
    erp_client_create,
    erp_client_revoke,
    erp_client_rotate_secret,
    signing_key_bytes,
)
from orgunits.models import Company
from tests.factories.erp_sync import ErpClientFactory, issue_token
from tests.factories.orgunits import CompanyFactory

pytestmark = pytest.mark.django_db


def test_create_makes_a_confidential_client_credentials_application(
    company: Company,
) -> None:
    credentials = erp_client_create(
        company=company, name="Visma", callback_url="https://erp.example.com/hook"
    )

    client = ErpClient.objects.select_related("application").get()
    assert client == credentials.client
    application = client.application
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert application.user is None
    assert application.client_id == credentials.client_id
    assert check_password(credentials.client_secret, application.client_secret)
    assert client.signing_secret == credentials.signing_secret
    assert len(signing_key_bytes(client.signing_secret)) == 32
    assert client.is_active
    assert client.revoked_at is None


def test_create_validates_before_saving_anything(company: Company) -> None:
    with pytest.raises(ValidationError) as caught:
        erp_client_create(company=company, name="Visma", callback_url="ftp://erp")

    assert "callback_url" in caught.value.message_dict
    assert not Application.objects.exists()


def test_names_are_unique_per_company(company: Company) -> None:
    erp_client_create(company=company, name="Visma", callback_url="https://a.example")
    erp_client_create(
        company=CompanyFactory(code="other"),
        name="Visma",
        callback_url="https://a.example",
    )

    with pytest.raises(ValidationError):
        erp_client_create(
            company=company, name="Visma", callback_url="https://a.example"
        )
    assert Application.objects.count() == 2


def test_an_inactive_company_gets_no_client() -> None:
    with pytest.raises(ApplicationError, match="inactive") as caught:
        erp_client_create(
            company=CompanyFactory(is_active=False),
            name="Visma",
            callback_url="https://a.example",
        )
    assert caught.value.extra["code"] == "erp_client_company_inactive"


def test_revoke_deactivates_and_deletes_tokens_once() -> None:
    client = ErpClientFactory()
    issue_token(client)
    untouched = ErpClientFactory()
    issue_token(untouched)

    revoked = erp_client_revoke(client=client)
    first = revoked.revoked_at
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        again = erp_client_revoke(client=client)

    assert not revoked.is_active
    assert first is not None
    assert again.revoked_at == first
    assert not AccessToken.objects.filter(application=client.application).exists()
    assert AccessToken.objects.filter(application=untouched.application).exists()


def test_rotate_keeps_the_previous_secret_for_a_day() -> None:
    client = ErpClientFactory()
    old = client.signing_secret

    rotated = erp_client_rotate_secret(client=client)

    assert rotated.signing_secret != old
    assert rotated.previous_signing_secret == old
    assert rotated.rotated_at is not None
    assert erp_client_signing_secrets(client=rotated) == [rotated.signing_secret, old]
    later = rotated.rotated_at + timedelta(hours=24, seconds=1)
    assert erp_client_signing_secrets(client=rotated, at=later) == [
        rotated.signing_secret
    ]


def test_a_revoked_client_cannot_rotate() -> None:
    client = erp_client_revoke(client=ErpClientFactory())

    with pytest.raises(ApplicationError) as caught:
        erp_client_rotate_secret(client=client)
    assert caught.value.extra["code"] == "erp_client_revoked"
