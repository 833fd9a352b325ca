"""ERP client pages: list, create with secrets shown once, revoke, rotate, callback."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken

from erp_sync.models import ErpClient
from orgunits.models import Company
from tests.factories.erp_sync import ErpClientFactory, issue_token

pytestmark = pytest.mark.django_db


def url(company: Company, suffix: str = "") -> str:
    return f"/c/{company.code}/erp/{suffix}"


def test_the_list_shows_name_status_last_use_and_callback(
    company, admin, django_assert_num_queries
) -> None:
    used = ErpClientFactory(company=company, name="Visma prod")
    issue_token(used)
    ErpClientFactory(
        company=company,
        name="Old ERP",
        is_active=False,
        revoked_at=timezone.now(),
        callback_disabled_at=timezone.now(),
        callback_disabled_reason="410 Gone",
    )
    ErpClientFactory(name="Someone else's")

    page = admin.get(url(company))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Visma prod" in html
    assert "Old ERP" in html
    assert "Someone else" not in html
    assert used.client_id in html
    assert used.callback_url in html
    assert "Revoked" in html
    assert "410 Gone" in html
    assert used.signing_secret not in html
    assert "New ERP client" in html
    assert "Rotate signing secret" in html


def test_list_queries_do_not_grow_with_the_clients(
    company, admin, django_assert_num_queries
) -> None:
    ErpClientFactory(company=company)
    admin.get(url(company))  # warm the session and the nav
    with CaptureQueriesContext(connection) as first:
        admin.get(url(company))
    for _ in range(5):
        issue_token(ErpClientFactory(company=company))
    with django_assert_num_queries(len(first.captured_queries)):
        assert admin.get(url(company)).status_code == 200


def test_create_shows_the_secrets_once_and_they_work(company, admin) -> None:
    response = admin.post(
        url(company, "clients/new/"),
        {"name": "Visma prod", "callback_url": "https://erp.example.com/hook"},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    client = ErpClient.objects.get(company=company, name="Visma prod")
    html = response.content.decode()
    assert client.client_id in html
    assert client.signing_secret in html
    assert "shown only once" in html
    secret = html.split("Client secret</dt><dd><code>")[1].split("</code>")[0]
    assert client.application.client_secret != secret  # only the hash is kept
    token = Client().post(
        "/api/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
        },
    )
    assert token.status_code == 200
    # Afterwards the list never shows them again.
    listing = admin.get(url(company)).content.decode()
    assert secret not in listing
    assert client.signing_secret not in listing


def test_create_refuses_bad_input_and_keeps_it(company, admin) -> None:
    ErpClientFactory(company=company, name="Taken")
    insecure = admin.post(
        url(company, "clients/new/"),
        {"name": "New", "callback_url": "http://erp.example.com/hook"},
    )
    duplicate = admin.post(
        url(company, "clients/new/"),
        {"name": "Taken", "callback_url": "https://erp.example.com/hook"},
    )
    assert insecure.status_code == duplicate.status_code == 200
    assert "must use https" in insecure.content.decode()
    assert 'value="http://erp.example.com/hook"' in insecure.content.decode()
    assert "already exists" in duplicate.content.decode()
    assert ErpClient.objects.filter(company=company).count() == 1


def test_revoke_asks_first_then_revokes_and_deletes_tokens(company, admin) -> None:
    client = ErpClientFactory(company=company)
    issue_token(client)
    confirm = admin.get(url(company, f"clients/{client.pk}/revoke/"))
    assert confirm.status_code == 200
    assert ErpClient.objects.get(pk=client.pk).is_active

    response = admin.post(url(company, f"clients/{client.pk}/revoke/"))

    assert response.status_code == 302
    client.refresh_from_db()
    assert not client.is_active
    assert client.revoked_at is not None
    assert not AccessToken.objects.filter(application=client.application).exists()


def test_rotate_shows_the_new_signing_secret_once(company, admin) -> None:
    client = ErpClientFactory(company=company)
    old = client.signing_secret

    response = admin.post(url(company, f"clients/{client.pk}/rotate/"))

    client.refresh_from_db()
    assert response.status_code == 200
    assert client.signing_secret != old
    assert client.previous_signing_secret == old
    assert client.signing_secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_rotating_a_revoked_client_is_a_clear_message(company, admin) -> None:
    client = ErpClientFactory(
        company=company, is_active=False, revoked_at=timezone.now()
    )
    response = admin.post(url(company, f"clients/{client.pk}/rotate/"), follow=True)
    assert "is revoked; create a new one instead" in response.content.decode()


def test_enable_callback(company, admin) -> None:
    client = ErpClientFactory(
        company=company,
        callback_disabled_at=timezone.now(),
        callback_disabled_reason="410 Gone",
    )
    response = admin.post(url(company, f"clients/{client.pk}/enable-callback/"))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.callback_enabled


def test_viewers_read_only_and_crafted_posts_are_404(company, viewer) -> None:
    client = ErpClientFactory(company=company, callback_disabled_at=timezone.now())
    page = viewer.get(url(company)).content.decode()
    assert client.name in page
    assert "New ERP client" not in page
    assert "Revoke" not in page
    for suffix in (
        "clients/new/",
        f"clients/{client.pk}/revoke/",
        f"clients/{client.pk}/rotate/",
        f"clients/{client.pk}/enable-callback/",
    ):
        assert viewer.post(url(company, suffix), {"name": "x"}).status_code == 404
        assert viewer.get(url(company, suffix)).status_code in (404, 405)
    client.refresh_from_db()
    assert client.is_active
    assert not client.callback_enabled


def test_approvers_outsiders_and_anonymous_are_kept_out(
    company, approver, outsider
) -> None:
    client = ErpClientFactory(company=company)
    assert approver.get(url(company)).status_code == 404
    assert outsider.get(url(company)).status_code == 404
    assert (
        outsider.post(url(company, f"clients/{client.pk}/revoke/")).status_code == 404
    )
    anonymous = Client().get(url(company))
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    client.refresh_from_db()
    assert client.is_active


def test_another_companys_client_is_404_for_an_admin(company, admin) -> None:
    foreign = ErpClientFactory()
    for suffix in ("revoke/", "rotate/"):
        assert (
            admin.post(url(company, f"clients/{foreign.pk}/{suffix}")).status_code
            == 404
        )
    foreign.refresh_from_db()
    assert foreign.is_active
