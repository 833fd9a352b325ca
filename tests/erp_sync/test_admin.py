"""The ERP client admin: revoke and rotate actions; secrets never on the page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from oauth2_provider.models import AccessToken

from erp_sync.models import ErpClient
from tests.factories.erp_sync import ErpClientFactory, issue_token
from tests.factories.orgunits import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/django-admin/erp_sync/erpclient/"


@pytest.fixture
def admin_user() -> AbstractUser:
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def browser(admin_user: AbstractUser) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_list_and_change_pages_load_without_secrets(browser: Client) -> None:
    client = ErpClientFactory()

    listing = browser.get(CHANGELIST)
    change = browser.get(f"{CHANGELIST}{client.pk}/change/")

    assert listing.status_code == 200
    assert change.status_code == 200
    assert client.client_id in listing.content.decode()
    for page in (listing, change):
        assert client.signing_secret not in page.content.decode()
        assert client.application.client_secret not in page.content.decode()


def test_clients_are_not_added_or_deleted_in_the_admin(browser: Client) -> None:
    client = ErpClientFactory()

    assert browser.get(f"{CHANGELIST}add/").status_code == 403
    assert browser.get(f"{CHANGELIST}{client.pk}/delete/").status_code == 403


def test_the_callback_url_is_editable_and_validated(browser: Client) -> None:
    client = ErpClientFactory()
    url = f"{CHANGELIST}{client.pk}/change/"

    refused = browser.post(
        url, {"name": client.name, "callback_url": "http://erp.example.com"}
    )
    accepted = browser.post(
        url, {"name": client.name, "callback_url": "https://new.example.com"}
    )

    assert refused.status_code == 200
    assert "must use https" in refused.content.decode()
    assert accepted.status_code == 302
    client.refresh_from_db()
    assert client.callback_url == "https://new.example.com"


def test_revoke_action(browser: Client) -> None:
    client = ErpClientFactory()
    issue_token(client)

    response = browser.post(
        CHANGELIST,
        {"action": "revoke_clients", "_selected_action": [client.pk]},
        follow=True,
    )

    assert "Revoked 1 ERP client" in response.content.decode()
    client.refresh_from_db()
    assert not client.is_active
    assert client.revoked_at is not None
    assert not AccessToken.objects.exists()


def test_rotate_action_shows_the_new_secret_once(browser: Client) -> None:
    client = ErpClientFactory()
    old = client.signing_secret

    response = browser.post(
        CHANGELIST,
        {"action": "rotate_signing_secrets", "_selected_action": [client.pk]},
        follow=True,
    )

    client.refresh_from_db()
    assert client.previous_signing_secret == old
    assert client.signing_secret in response.content.decode()
    assert client.signing_secret not in browser.get(CHANGELIST).content.decode()


def test_rotating_a_revoked_client_shows_why_not(browser: Client) -> None:
    client = ErpClientFactory(is_active=False)
    ErpClient.objects.filter(pk=client.pk).update(revoked_at=client.created_at)

    response = browser.post(
        CHANGELIST,
        {"action": "rotate_signing_secrets", "_selected_action": [client.pk]},
        follow=True,
    )

    assert "is revoked" in response.content.decode()


def test_enable_callback_action_clears_the_410_flag(browser: Client) -> None:
    client = ErpClientFactory()
    ErpClient.objects.filter(pk=client.pk).update(
        callback_disabled_at=client.created_at, callback_disabled_reason="HTTP 410"
    )

    response = browser.post(
        CHANGELIST,
        {"action": "enable_callbacks", "_selected_action": [client.pk]},
        follow=True,
    )

    assert "Callbacks enabled for 1 ERP client" in response.content.decode()
    client.refresh_from_db()
    assert client.callback_enabled
    assert client.callback_disabled_reason == ""


@pytest.mark.parametrize(
    "changelist",
    [
        "/django-admin/erp_sync/outboxdelivery/",
        "/django-admin/erp_sync/idempotencykey/",
    ],
)
def test_delivery_and_key_pages_are_read_only(browser: Client, changelist: str) -> None:
    assert browser.get(changelist).status_code == 200
    assert browser.get(f"{changelist}add/").status_code == 403
