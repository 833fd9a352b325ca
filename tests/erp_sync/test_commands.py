"""`manage.py create_erp_client`: credentials printed once, and they work."""

from __future__ import annotations

import base64
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from erp_sync.models import ErpClient
from orgunits.models import Company

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict[str, str]:
    out = StringIO()
    call_command("create_erp_client", *args, stdout=out, stderr=StringIO())
    return dict(line.split(": ", 1) for line in out.getvalue().splitlines())


def test_prints_credentials_that_get_a_token(company: Company) -> None:
    printed = run("--company", "acme", "--callback-url", "https://erp.example.com/hook")

    assert set(printed) == {"client_id", "client_secret", "signing_secret"}
    client = ErpClient.objects.get(application__client_id=printed["client_id"])
    assert (client.company, client.name, client.callback_url) == (
        company,
        "ERP",
        "https://erp.example.com/hook",
    )
    assert client.application.client_secret != printed["client_secret"]
    assert printed["signing_secret"].startswith("whsec_")
    assert len(base64.b64decode(printed["signing_secret"].removeprefix("whsec_"))) >= 24
    response = Client().post(
        "/api/v1/oauth/token",
        urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": printed["client_id"],
                "client_secret": printed["client_secret"],
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


def test_takes_a_name(company: Company) -> None:
    run(
        "--company",
        "acme",
        "--callback-url",
        "https://erp.example.com/hook",
        "--name",
        "Visma",
    )

    assert ErpClient.objects.get().name == "Visma"


def test_unknown_company_is_an_error() -> None:
    with pytest.raises(CommandError, match="No company with code “nope”"):
        run("--company", "nope", "--callback-url", "https://erp.example.com/hook")


def test_plain_http_is_refused_except_for_localhost(company: Company) -> None:
    with pytest.raises(CommandError, match="must use https"):
        run("--company", "acme", "--callback-url", "http://erp.example.com/hook")
    assert not ErpClient.objects.exists()

    run("--company", "acme", "--callback-url", "http://127.0.0.1:8765/hook")
    assert ErpClient.objects.count() == 1
