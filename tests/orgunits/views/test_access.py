"""Who reaches the setup pages: administrators change, system viewers only read, plain
approvers and other companies' users get 404, anonymous visitors go to the login page."""

from __future__ import annotations

import pytest

from orgunits.models import ApproverRole, CompanyHoliday, DepartmentApprover
from tests.factories.orgunits import DepartmentApproverFactory, DepartmentFactory
from tests.orgunits.views.conftest import Setup

pytestmark = pytest.mark.django_db

READ_PAGES = [
    "home",
    "role_list",
    "cost_unit_types",
    "combination_list",
    "department_list",
    "project_list",
    "branch_list",
    "exception_list",
    "substitution_list",
    "due_dates",
]
WRITE_FORMS = [
    "role_create",
    "combination_create",
    "department_create",
    "project_create",
    "branch_create",
    "exception_create",
    "substitution_create",
]


@pytest.mark.parametrize("name", READ_PAGES)
def test_admins_and_viewers_read_every_list(setup: Setup, name: str) -> None:
    for who in ("admin", "viewer"):
        response = setup.client(who).get(setup.url(name))
        assert response.status_code == 200, (who, name)
    viewer_page = setup.client("viewer").get(setup.url(name)).content.decode()
    assert "only a system administrator can change it" in viewer_page


@pytest.mark.parametrize("name", READ_PAGES + WRITE_FORMS)
@pytest.mark.parametrize("who", ["approver", "outsider"])
def test_approvers_and_other_companies_get_404(
    setup: Setup, name: str, who: str
) -> None:
    assert setup.client(who).get(setup.url(name)).status_code == 404


@pytest.mark.parametrize("name", READ_PAGES + WRITE_FORMS)
def test_anonymous_goes_to_login(setup: Setup, name: str) -> None:
    response = setup.client("anonymous").get(setup.url(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/c/acme/setup/")


@pytest.mark.parametrize("name", WRITE_FORMS)
def test_viewers_get_404_from_every_form(setup: Setup, name: str) -> None:
    assert setup.client("viewer").get(setup.url(name)).status_code == 404


def test_viewer_lists_offer_no_change_links(setup: Setup) -> None:
    row = DepartmentApproverFactory(
        department=DepartmentFactory(company=setup.company),
        role=setup.role,
        approver=setup.alice,
    )
    page = setup.client("viewer").get(setup.url("department_list")).content.decode()
    assert setup.url("department_edit", pk=row.pk) not in page
    assert setup.url("department_create") not in page
    admin_page = setup.client().get(setup.url("department_list")).content.decode()
    assert setup.url("department_edit", pk=row.pk) in admin_page


def test_crafted_posts_from_a_viewer_are_404_and_change_nothing(setup: Setup) -> None:
    department = DepartmentFactory(company=setup.company)
    row = DepartmentApproverFactory(
        department=department, role=setup.role, approver=setup.alice
    )
    holiday = CompanyHoliday.objects.create(
        company=setup.company, date="2026-12-24", name="Christmas Eve"
    )
    other_role = ApproverRole.objects.create(company=setup.company, name="CFO")
    viewer = setup.client("viewer")
    posts = [
        (setup.url("role_create"), {"name": "Sneaky"}),
        (setup.url("role_edit", pk=other_role.pk), {"name": "Renamed"}),
        (setup.url("role_delete", pk=other_role.pk), {}),
        (
            setup.url("department_create"),
            {
                "department": department.pk,
                "role": setup.role.pk,
                "approver": setup.bob.pk,
            },
        ),
        (setup.url("department_delete", pk=row.pk), {}),
        (setup.url("cost_unit_type_move"), {"type": 1, "action": "up"}),
        (setup.url("due_defaults_save"), {"mode": "after", "after_days": 5}),
        (setup.url("holiday_create"), {"date": "2026-12-31", "name": "NYE"}),
        (setup.url("holiday_delete", pk=holiday.pk), {}),
        (
            setup.url("substitution_create"),
            {"principal": setup.alice.pk, "substitute": setup.bob.pk},
        ),
    ]
    for url, data in posts:
        assert viewer.post(url, data).status_code == 404, url
    assert ApproverRole.objects.filter(company=setup.company).count() == 2
    assert ApproverRole.objects.get(pk=other_role.pk).name == "CFO"
    assert DepartmentApprover.objects.filter(company=setup.company).count() == 1
    assert CompanyHoliday.objects.filter(company=setup.company).count() == 1
    setup.company.refresh_from_db()
    assert setup.company.document_due_after_days is None


def test_rows_of_another_company_are_404(setup: Setup) -> None:
    foreign = DepartmentApproverFactory(
        department=DepartmentFactory(company=setup.other)
    )
    admin = setup.client()
    assert admin.get(setup.url("department_edit", pk=foreign.pk)).status_code == 404
    assert admin.post(setup.url("department_delete", pk=foreign.pk)).status_code == 404
    assert DepartmentApprover.objects.filter(pk=foreign.pk).exists()


def test_a_kind_url_that_does_not_exist_is_404(setup: Setup) -> None:
    assert setup.client().get("/c/acme/setup/nonsense/").status_code == 404
    assert (
        setup.client().get(setup.url("department_edit", pk=999999)).status_code == 404
    )


def test_nav_links_to_the_setup_home_for_overseen_companies(setup: Setup) -> None:
    page = setup.client("viewer").get(setup.url("home")).content.decode()
    assert setup.url("home") in page
    assert "Approvers · Acme" in page
