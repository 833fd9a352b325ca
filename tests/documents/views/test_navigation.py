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


# --- the company bar of /c/<code>/ pages ----------------------------------------------


def company_bar(body: str) -> str:
    return body.split('<nav class="company-bar"', 1)[1].split("</nav>", 1)[0]


def test_a_company_page_names_its_company_and_marks_its_section(cast: Cast) -> None:
    code = cast.company.code
    body = login(cast.admin).get(f"/c/{code}/admin/tasks/").content.decode()

    bar = company_bar(body)
    assert 'aria-label="Administration of Nordlys AS"' in bar
    assert f'<a href="/c/{code}/admin/tasks/" aria-current="true">Tasks</a>' in bar
    for section in ("admin/documents/", "admin/processes/", "workflows/", "setup/"):
        assert f'href="/c/{code}/{section}"' in bar, section
    assert f'href="/c/{code}/erp/"' in bar
    # One company overseen: nothing to switch to; the My tasks filter is not shown
    # on a company's pages either.
    assert "Switch company" not in bar
    assert 'id="company-switcher"' not in body


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("admin/tasks/", "admin/tasks/"),
        ("workflows/limits/", "workflows/limits/"),
        ("setup/departments/", "setup/departments/"),
        ("erp/deliveries/", "erp/deliveries/"),
        # A page about one of the first company's rows: the section's first page.
        ("workflows/{workflow}/", "workflows/"),
        ("admin/documents/{document}/", "admin/documents/"),
    ],
)
def test_an_overseer_of_two_companies_switches_to_the_same_page(
    cast: Cast, page: str, expected: str
) -> None:
    document = cast.document()
    other = MembershipFactory(
        user=cast.admin, company__name="<i>Sørlys AS</i>", viewer=True
    ).company
    workflow_id = document.processes.get().workflow_version.workflow_id
    url = f"/c/{cast.company.code}/" + page.format(
        workflow=workflow_id, document=document.pk
    )

    response = login(cast.admin).get(url)

    assert response.status_code == 200
    bar = company_bar(response.content.decode())
    assert "<summary>Switch company</summary>" in bar
    assert (
        f'<a href="/c/{other.code}/{expected}">&lt;i&gt;Sørlys AS&lt;/i&gt;</a>' in bar
    )
    assert (
        f'href="/c/{cast.company.code}/{expected}">'
        not in bar.split("<details", 1)[1].split("</details>", 1)[0]
    )


def test_a_company_an_approver_is_only_employed_in_is_not_offered(
    cast: Cast,
) -> None:
    """Only companies the person oversees: an approver's other company is no target."""
    MembershipFactory(user=cast.admin, company__name="Elsewhere AS")

    bar = company_bar(
        login(cast.admin)
        .get(f"/c/{cast.company.code}/admin/documents/")
        .content.decode()
    )

    assert "Switch company" not in bar
    assert "Elsewhere AS" not in bar


def test_approver_pages_have_no_company_bar(cast: Cast) -> None:
    body = login(cast.admin).get("/tasks/").content.decode()
    assert 'class="company-bar"' not in body
