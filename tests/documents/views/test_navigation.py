"""The navigation every page shares (templates/base.html, documents/_nav.html)."""

from __future__ import annotations

import pytest

from orgunits.models import Company
from tests.documents.views.conftest import Cast, login
from tests.factories.orgunits import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def nav(body: str) -> str:
    return body.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]


def test_an_approver_gets_the_approver_pages_only(cast: Cast) -> None:
    links = nav(login(cast.anna.user).get("/tasks/").content.decode())

    assert '<a href="/tasks/" aria-current="page">My tasks</a>' in links
    assert '<a href="/history/">My history</a>' in links
    assert '<a href="/settings/">Settings</a>' in links
    assert "Administration" not in links
    # One company: nothing to switch between.
    assert "company-switcher" not in links


@pytest.mark.parametrize("who", ["admin", "viewer"])
def test_administrators_and_viewers_get_the_workflow_pages(
    cast: Cast, who: str
) -> None:
    links = nav(login(getattr(cast, who)).get("/history/").content.decode())

    assert "Administration" in links
    assert f'href="/c/{cast.company.code}/workflows/"' in links
    assert "/django-admin/" not in links


def test_staff_get_the_django_admin(cast: Cast) -> None:
    staff = UserFactory(is_staff=True)

    links = nav(login(staff).get("/settings/").content.decode())

    assert 'href="/django-admin/"' in links


def test_the_company_switcher_narrows_my_tasks(cast: Cast) -> None:
    other: Company = MembershipFactory(
        user=cast.anna.user, company__name="<b>Bold AS</b>"
    ).company

    links = nav(
        login(cast.anna.user).get("/tasks/", {"company": other.code}).content.decode()
    )

    assert '<label for="company-switcher">Company</label>' in links
    assert (
        f'<option value="{other.code}" selected>&lt;b&gt;Bold AS&lt;/b&gt;</option>'
        in links
    )
    assert 'action="/tasks/"' in links


def test_the_login_page_has_no_navigation() -> None:
    body = login(None).get("/accounts/login/").content.decode()
    assert "My tasks" not in body
