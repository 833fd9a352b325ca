"""Every route of the ERP API × caller × method, generated from the URL configuration
(RELIABILITY 31, 32): a new ERP endpoint is covered here as soon as it is routed, and a
new public one fails until it is listed in PUBLIC."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern

from erp_sync.api.urls import urlpatterns
from tests.erp_sync.conftest import ErpApi
from tests.factories.orgunits import UserFactory

pytestmark = pytest.mark.django_db

#: Routes anyone may call, with the reason.
PUBLIC = {
    "oauth-token": "issues the tokens; authenticates the client itself",
    "schema": "the published contract",
    "docs": "renders the published contract",
    "not-found": "answers 404 to everything",
}
_METHODS = ("get", "post", "put", "patch", "delete")
_SAMPLE = {
    "uuid": str(uuid.UUID(int=1)),
    "int": "1",
    "slug": "x",
    "str": "x",
    "path": "x",
}


def _path(pattern: URLPattern) -> str:
    route = str(pattern.pattern)
    filled = re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: _SAMPLE.get(m.group(1) or "str", "x"), route
    )
    return f"/api/v1/{filled}"


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for pattern in urlpatterns:
        if pattern.name in PUBLIC:
            continue
        view_class = pattern.callback.view_class  # type: ignore[attr-defined]
        for method in _METHODS:
            if hasattr(view_class, method):
                cases.append((str(pattern.name), _path(pattern), method))
    return cases


CASES = _cases()


def _call(client: Client, method: str, path: str) -> Any:
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, data="[]", content_type="application/json")


def test_every_route_is_listed_or_protected() -> None:
    names = {p.name for p in urlpatterns}
    assert set(PUBLIC) <= names
    assert CASES, "no protected ERP routes found"


@pytest.mark.parametrize(("name", "path", "method"), CASES)
def test_anonymous_callers_get_401(name: str, path: str, method: str) -> None:
    assert _call(Client(), method, path).status_code == 401


@pytest.mark.parametrize(("name", "path", "method"), CASES)
def test_logged_in_people_get_401(name: str, path: str, method: str) -> None:
    browser = Client()
    browser.force_login(UserFactory(is_superuser=True, is_staff=True))

    assert _call(browser, method, path).status_code == 401


@pytest.mark.parametrize(("name", "path", "method"), CASES)
def test_erp_clients_get_through(
    api: ErpApi, name: str, path: str, method: str
) -> None:
    response = _call(api.http, method, path)

    assert response.status_code not in (401, 403)
    assert response.status_code < 500
