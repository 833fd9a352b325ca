"""OpenAPI 3 at /api/v1/schema, docs at /api/v1/docs from local static files."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from erp_sync.api.urls import urlpatterns

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    "/api/v1/oauth/token",
    "/api/v1/sync/subaccount-segments",
    "/api/v1/sync/subaccounts",
    "/api/v1/sync/departments",
    "/api/v1/sync/projects",
    "/api/v1/sync/branches",
    "/api/v1/sync/employees",
    "/api/v1/documents/supplier-invoices",
    "/api/v1/documents/expense-claims",
    "/api/v1/documents/time-cards",
    "/api/v1/documents",
    "/api/v1/documents/{document_id}",
    "/api/v1/documents/{document_id}/history",
    "/api/v1/documents/{document_id}/cancel",
    "/api/v1/documents/{document_id}/attachments",
    "/api/v1/documents/{document_id}/attachments/{attachment_id}",
}


def schema() -> Any:
    response = Client().get("/api/v1/schema")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_validates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stdout=StringIO(),
        stderr=StringIO(),
    )

    assert target.read_text().startswith("openapi: 3")


def _documented_route(pattern: str) -> str:
    """`documents/<uuid:document_id>` → `/api/v1/documents/{document_id}`."""
    return "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", pattern)


def test_every_erp_endpoint_is_documented_and_nothing_else() -> None:
    assert set(schema()["paths"]) == DOCUMENTED
    routes = {
        _documented_route(str(p.pattern))
        for p in urlpatterns
        if p.name not in ("schema", "docs", "not-found")
    }
    assert routes == DOCUMENTED


def test_every_operation_has_examples_and_the_right_security() -> None:
    loaded = schema()
    schemes = loaded["components"]["securitySchemes"]
    assert schemes["erpClientBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["erpClientBearer"]["description"],
    }
    for path, operations in loaded["paths"].items():
        for method, operation in operations.items():
            json_body = operation.get("requestBody", {}).get("content", {})
            json_body = {k: v for k, v in json_body.items() if "json" in k}
            if json_body:
                assert any("examples" in media for media in json_body.values()), path
            success = next(
                response
                for status, response in operation["responses"].items()
                if status.startswith("2")
            )
            media = next(iter(success["content"].values()))
            if media["schema"].get("format") != "binary":
                assert "examples" in media, (method, path)
            problem = operation["responses"]["401"]["content"][
                "application/problem+json"
            ]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
            if path == "/api/v1/oauth/token":
                assert operation.get("security", []) in ([], [{}])
            else:
                assert operation["security"] == [{"erpClientBearer": []}]


def test_the_docs_are_served_from_local_static_files() -> None:
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    )
    assert "cdn." not in html
    assert "unpkg" not in html
