"""Shared setup for the ERP API tests: a company, its ERP client and a bearer client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from erp_sync.models import ErpClient
from orgunits.models import Company
from tests.factories.erp_sync import ErpClientFactory, issue_token
from tests.factories.orgunits import CompanyFactory

PROBLEM = "application/problem+json"


class ErpApi:
    """A test client that speaks to /api/v1/ as one ERP client."""

    def __init__(self, erp_client: ErpClient) -> None:
        self.erp_client = erp_client
        self.token = issue_token(erp_client)
        self.http = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def put(self, path: str, body: Any, **extra: Any) -> Any:
        return self.http.put(
            f"/api/v1/{path}",
            data=json.dumps(body),
            content_type="application/json",
            **extra,
        )

    def put_raw(self, path: str, data: bytes | str, content_type: str) -> Any:
        return self.http.put(f"/api/v1/{path}", data=data, content_type=content_type)

    def post(
        self, path: str, body: Any, *, key: str | None = None, **extra: Any
    ) -> Any:
        """POST JSON; `key` becomes the Idempotency-Key header when given."""
        if key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        return self.http.post(
            f"/api/v1/{path}",
            data=json.dumps(body),
            content_type="application/json",
            **extra,
        )

    def post_raw(
        self, path: str, data: bytes | str, content_type: str, **extra: Any
    ) -> Any:
        return self.http.post(
            f"/api/v1/{path}", data=data, content_type=content_type, **extra
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(f"/api/v1/{path}", data=params)


@pytest.fixture
def company() -> Company:
    return CompanyFactory(code="acme", name="Acme AS", currency="NOK")


@pytest.fixture
def erp_client(company: Company) -> ErpClient:
    return ErpClientFactory(company=company)


@pytest.fixture
def api(erp_client: ErpClient) -> ErpApi:
    return ErpApi(erp_client)


@pytest.fixture
def api_for() -> Callable[[Company], ErpApi]:
    """An API client for another company's ERP client."""

    def make(company: Company) -> ErpApi:
        return ErpApi(ErpClientFactory(company=company))

    return make


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:signoff:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body
