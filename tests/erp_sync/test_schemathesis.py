"""Schemathesis against /api/v1/schema as an ERP client (RELIABILITY 34).

Every operation of the OpenAPI schema is called in-process through the WSGI app with
generated (valid and invalid) input, authenticated with a real bearer token of an ERP
client in the test database. Checks: never a 5xx, every status code is documented and
every response body matches its documented schema. Bounded: a few examples per
operation, so it stays well inside a minute and a half.

It needs no service, so it runs on SQLite (`make test`) and on PostgreSQL (`.ci/run`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from approval_site.wsgi import application
from erp_sync.models import ErpClient
from tests.factories.erp_sync import ErpClientFactory, issue_token
from tests.factories.orgunits import CompanyFactory

#: Examples per operation: enough to hit the validation paths, small enough to be quick.
MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Let requests through the WSGI app keep the test's database connection.

    Django's own test client does the same: `close_old_connections` on request
    start/finish would close the connection inside the test transaction (on
    PostgreSQL every later query then fails; SQLite's in-memory database hides it).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def erp_client(db: None) -> ErpClient:
    return ErpClientFactory(company=CompanyFactory(code="fuzz", currency="NOK"))


@pytest.fixture
def bearer(erp_client: ErpClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(erp_client)}"}


# Loaded at collection: the schema view needs no database. (The lazy
# `schemathesis.pytest.from_fixture` fails on pytest 9: it reads `Item._nodeid`.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema", application)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@pytest.mark.django_db
def test_the_api_as_an_erp_client(
    case: schemathesis.Case, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)


# Found by the run above: a null item in a nested list was a 500 (DRF's `many=True`
# passes `allow_null` to the child serializer too).
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "row"),
    [
        ("sync/subaccount-segments", {"segmentId": 1, "segmentValues": [None]}),
        ("sync/subaccounts", {"subaccountNumber": "20-100", "segments": [None]}),
        ("sync/projects", {"projectID": "P1", "tasks": [None]}),
    ],
)
def test_a_null_item_in_a_nested_list_is_a_field_error(
    path: str, row: dict[str, object], bearer: dict[str, str]
) -> None:
    response = Client(HTTP_AUTHORIZATION=bearer["Authorization"]).put(
        f"/api/v1/{path}", data=json.dumps([row]), content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
