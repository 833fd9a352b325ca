"""POST /api/v1/oauth/token: client credentials for active ERP clients only."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from erp_sync.models import ErpClient
from erp_sync.services.clients import erp_client_revoke
from tests.erp_sync.conftest import assert_problem
from tests.factories.erp_sync import ApplicationFactory, ErpClientFactory
from tests.factories.orgunits import CompanyFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/oauth/token"
SYNC_URL = "/api/v1/sync/departments"


FORM = "application/x-www-form-urlencoded"


def post_form(fields: dict[str, str], **extra: Any) -> Any:
    return Client().post(TOKEN_URL, urlencode(fields), content_type=FORM, **extra)


def request_token(erp_client: ErpClient, secret: str | None = None) -> Any:
    return post_form(
        {
            "grant_type": "client_credentials",
            "client_id": erp_client.client_id,
            "client_secret": erp_client.raw_client_secret if secret is None else secret,
        }
    )


def call_sync(token: str) -> Any:
    return Client().put(
        SYNC_URL,
        data="[]",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_valid_credentials_get_a_bearer_token_that_works(erp_client: ErpClient) -> None:
    response = request_token(erp_client)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response["Cache-Control"] == "no-store"
    assert call_sync(body["access_token"]).status_code == 200


def test_the_token_is_stored_hashed_only(erp_client: ErpClient) -> None:
    raw = request_token(erp_client).json()["access_token"]

    stored = AccessToken.objects.get(application=erp_client.application)
    assert stored.token == ""
    assert raw not in stored.token_checksum


def test_http_basic_credentials_work_too(erp_client: ErpClient) -> None:
    basic = base64.b64encode(
        f"{erp_client.client_id}:{erp_client.raw_client_secret}".encode()
    ).decode()

    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )

    assert response.status_code == 200
    assert response.json()["access_token"]


def test_wrong_secret_is_401_problem_with_oauth_error(erp_client: ErpClient) -> None:
    body = assert_problem(request_token(erp_client, "wrong"), 401, "invalid_client")

    assert body["error"] == "invalid_client"
    assert AccessToken.objects.count() == 0


def test_unknown_client_is_401() -> None:
    response = post_form(
        {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "x"}
    )

    assert_problem(response, 401, "invalid_client")


def test_revoked_client_gets_no_token(erp_client: ErpClient) -> None:
    erp_client_revoke(client=erp_client)

    assert_problem(request_token(erp_client), 401, "invalid_client")


def test_client_of_an_inactive_company_gets_no_token() -> None:
    erp_client = ErpClientFactory(company=CompanyFactory(is_active=False))

    assert_problem(request_token(erp_client), 401, "invalid_client")


def test_an_oauth_application_that_is_no_erp_client_gets_no_token() -> None:
    application = ApplicationFactory()

    response = post_form(
        {
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": application.raw_client_secret,
        }
    )

    assert_problem(response, 401, "invalid_client")


def test_other_grant_types_are_refused(erp_client: ErpClient) -> None:
    response = post_form(
        {
            "grant_type": "password",
            "username": "admin",
            "password": "x",
            "client_id": erp_client.client_id,
            "client_secret": erp_client.raw_client_secret,
        }
    )

    body = assert_problem(response, 400, "unsupported_grant_type")
    assert body["error"] == "unsupported_grant_type"


def test_missing_grant_type_is_400(erp_client: ErpClient) -> None:
    response = Client().post(
        TOKEN_URL,
        {
            "client_id": erp_client.client_id,
            "client_secret": erp_client.raw_client_secret,
        },
    )

    assert_problem(response, 400, "invalid_request")


def test_json_body_is_415(erp_client: ErpClient) -> None:
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        content_type="application/json",
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_get_is_405_with_allow(erp_client: ErpClient) -> None:
    response = Client().get(TOKEN_URL)

    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


def test_thousands_of_form_fields_are_400(erp_client: ErpClient) -> None:
    fields = {f"f{i}": "x" for i in range(5000)} | {"grant_type": "client_credentials"}

    assert_problem(post_form(fields), 400, "too_many_fields")


def test_multipart_form_works_too(erp_client: ErpClient) -> None:
    response = Client().post(
        TOKEN_URL,
        {
            "grant_type": "client_credentials",
            "client_id": erp_client.client_id,
            "client_secret": erp_client.raw_client_secret,
        },
    )

    assert response.status_code == 200


def test_an_expired_token_is_refused(erp_client: ErpClient) -> None:
    token = request_token(erp_client).json()["access_token"]

    with time_machine.travel(timezone.now() + timedelta(seconds=3601)):
        response = call_sync(token)

    body = assert_problem(response, 401, "invalid_token")
    assert response["WWW-Authenticate"] == (
        'Bearer realm="signoff-erp-api", error="invalid_token"'
    )
    assert body["detail"] == "The access token is invalid, expired or revoked."


def test_a_revoked_clients_tokens_stop_working(erp_client: ErpClient) -> None:
    token = request_token(erp_client).json()["access_token"]
    assert call_sync(token).status_code == 200

    erp_client_revoke(client=erp_client)

    assert_problem(call_sync(token), 401, "invalid_token")
    assert not AccessToken.objects.filter(application=erp_client.application).exists()


def test_a_deactivated_client_is_refused_even_with_a_live_token(
    erp_client: ErpClient,
) -> None:
    token = request_token(erp_client).json()["access_token"]
    ErpClient.objects.filter(pk=erp_client.pk).update(is_active=False)

    assert_problem(call_sync(token), 401, "invalid_token")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer unknown-token", "bearer unknown-token"],
)
def test_malformed_or_unknown_bearer_tokens_are_401(header: str) -> None:
    response = Client().put(
        SYNC_URL, data="[]", content_type="application/json", HTTP_AUTHORIZATION=header
    )

    assert_problem(response, 401, "invalid_token")


def test_no_credentials_at_all_is_401_not_authenticated() -> None:
    response = Client().put(SYNC_URL, data="[]", content_type="application/json")

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="signoff-erp-api"'


def test_a_form_over_the_size_limit_is_413(erp_client: ErpClient) -> None:
    fields = {"grant_type": "client_credentials", "padding": "x" * (6 * 1024 * 1024)}

    assert_problem(post_form(fields), 413, "request_too_large")
