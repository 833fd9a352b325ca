"""Every page URL × every role × its methods gets the declared outcome (see matrix.py).

`test_every_page_url_is_declared` walks the URL resolver: a new page fails it until its
area declares it in a `pages_<area>.py` module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests.authz
from tests.authz.conftest import World
from tests.authz.matrix import Page, Role

#: URL prefixes outside the matrix, each with the reason.
EXCLUDED_PREFIXES: dict[str, str] = {
    "api/v1/": "the ERP API: token authentication, not sessions; tested in tests/erp_sync"
    " (its OAuth token endpoint, api/v1/oauth/token, included)",
    "django-admin/": "Django's own admin: staff-only by Django's own check",
    "demo-erp/": "the demo ERP exists only with SIGNOFF_DEMO_MODE (`make run`)",
    "static/": "static files are served by the web server or WhiteNoise, not a view",
    "media/": "media is never routed: attachments go through documents:attachment",
    "healthz": "liveness probe: public by design, says nothing",
    "readyz": "readiness probe: public by design, names only the unreachable service",
}


def _page_modules() -> Iterator[str]:
    for info in pkgutil.iter_modules(tests.authz.__path__):
        if info.name.startswith("pages_"):
            yield f"tests.authz.{info.name}"


def all_pages() -> list[Page]:
    pages: list[Page] = []
    for module_name in _page_modules():
        pages.extend(importlib.import_module(module_name).PAGES)
    return pages


PAGES = all_pages()
CASES = [
    pytest.param(page, role, method, id=f"{page.case_id}-{role}-{method}")
    for page in PAGES
    for role in Role
    for method in page.methods
]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "role", "method"), CASES)
def test_matrix(world: World, page: Page, role: Role, method: str) -> None:
    url = reverse(page.url_name, kwargs=page.kwargs(world))
    client = world.client(role)
    if method == "GET":
        response = client.get(url, page.get_data(world))
    else:
        response = client.post(url, page.post_data(world))

    problem = page.expected[role].problem(method, response)

    assert problem is None, f"{role} {method} {url}: {problem}"


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """(route, qualified name) of every URL pattern, includes followed."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else ""
            yield route, name


def test_every_page_url_is_declared() -> None:
    declared = {page.url_name for page in PAGES}
    missing = []
    for route, name in _walk(get_resolver().url_patterns):
        clean = route.lstrip("^")
        if any(clean.startswith(prefix) for prefix in EXCLUDED_PREFIXES):
            continue
        if not name:
            missing.append(f"{route} (unnamed: give it a name)")
        elif name not in declared:
            missing.append(f"{name} ({route})")

    assert not missing, (
        "Pages missing from the authorization matrix (declare them in a "
        "tests/authz/pages_<area>.py PAGES list):\n  " + "\n  ".join(sorted(missing))
    )


def test_no_page_is_declared_twice_or_unknown() -> None:
    cases = [page.case_id for page in PAGES]
    assert len(cases) == len(set(cases)), sorted(c for c in cases if cases.count(c) > 1)
    names = {page.url_name for page in PAGES}
    routed = {name for _route, name in _walk(get_resolver().url_patterns)}
    assert names <= routed, sorted(names - routed)
