"""Department, project and branch approvers and requester exceptions through their
pages: list, search, add, change, delete; bad input is a form error, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orgunits.models import (
    BranchApprover,
    DepartmentApprover,
    ProjectApprover,
    RequesterException,
)
from tests.factories.orgunits import (
    BranchApproverFactory,
    BranchFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProjectApproverFactory,
    ProjectFactory,
    ProjectTaskFactory,
    RequesterExceptionFactory,
)
from tests.orgunits.views.conftest import Setup, assert_constant_queries

pytestmark = pytest.mark.django_db


def _department(setup: Setup) -> dict[str, Any]:
    return {"department": DepartmentFactory(company=setup.company, code="SALES").pk}


def _branch(setup: Setup) -> dict[str, Any]:
    return {"branch": BranchFactory(company=setup.company, code="OSLO").pk}


def _project(setup: Setup) -> dict[str, Any]:
    return {"project": ProjectFactory(company=setup.company, code="P1").pk, "task": ""}


def _exception(setup: Setup) -> dict[str, Any]:
    return {"requester": setup.carol.pk}


KINDS: dict[str, tuple[type, Callable[[Setup], dict[str, Any]]]] = {
    "department": (DepartmentApprover, _department),
    "project": (ProjectApprover, _project),
    "branch": (BranchApprover, _branch),
    "exception": (RequesterException, _exception),
}


def _make_rows(setup: Setup, kind: str) -> Callable[[int], object]:
    def add(n: int) -> None:
        for _ in range(n):
            approver = EmployeeFactory(company=setup.company)
            if kind == "department":
                DepartmentApproverFactory(
                    department=DepartmentFactory(company=setup.company),
                    role=setup.role,
                    approver=approver,
                )
            elif kind == "project":
                task = ProjectTaskFactory(project=ProjectFactory(company=setup.company))
                ProjectApproverFactory(task=task, role=setup.role, approver=approver)
            elif kind == "branch":
                BranchApproverFactory(
                    branch=BranchFactory(company=setup.company),
                    role=setup.role,
                    approver=approver,
                )
            else:
                RequesterExceptionFactory(
                    requester=EmployeeFactory(company=setup.company),
                    role=setup.role,
                    approver=approver,
                )

    return add


@pytest.mark.parametrize("kind", KINDS)
def test_add_change_and_delete_through_the_pages(setup: Setup, kind: str) -> None:
    model, unit = KINDS[kind]
    admin = setup.client()
    data = {**unit(setup), "role": setup.role.pk, "approver": setup.alice.pk}
    response = admin.post(setup.url(f"{kind}_create"), data)
    assert response.status_code == 302
    assert response["Location"] == setup.url(f"{kind}_list")
    row = model.objects.get(company=setup.company)
    assert row.approver == setup.alice

    listed = admin.get(setup.url(f"{kind}_list")).content.decode()
    assert "Alice" in listed

    form = admin.get(setup.url(f"{kind}_edit", pk=row.pk))
    assert form.status_code == 200
    assert f'value="{setup.alice.pk}" selected' in form.content.decode()
    response = admin.post(
        setup.url(f"{kind}_edit", pk=row.pk), {**data, "approver": setup.bob.pk}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.approver == setup.bob

    assert admin.get(setup.url(f"{kind}_delete", pk=row.pk)).status_code == 200
    response = admin.post(setup.url(f"{kind}_delete", pk=row.pk))
    assert response.status_code == 302
    assert not model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_row_twice_is_a_form_error(setup: Setup, kind: str) -> None:
    model, unit = KINDS[kind]
    admin = setup.client()
    data = {**unit(setup), "role": setup.role.pk, "approver": setup.alice.pk}
    assert admin.post(setup.url(f"{kind}_create"), data).status_code == 302
    response = admin.post(setup.url(f"{kind}_create"), data)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert model.objects.filter(company=setup.company).count() == 1


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "bad",
    [
        {"role": "999999"},
        {"approver": "not-a-number"},
        {"approver": ""},
    ],
)
def test_unknown_ids_are_form_errors(
    setup: Setup, kind: str, bad: dict[str, str]
) -> None:
    model, unit = KINDS[kind]
    data = {**unit(setup), "role": setup.role.pk, "approver": setup.alice.pk, **bad}
    response = setup.client().post(setup.url(f"{kind}_create"), data)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not model.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_rows_of_another_company_cannot_be_chosen(setup: Setup, kind: str) -> None:
    model, unit = KINDS[kind]
    foreign = EmployeeFactory(company=setup.other)
    data = {**unit(setup), "role": setup.role.pk, "approver": foreign.pk}
    response = setup.client().post(setup.url(f"{kind}_create"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not model.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_list_queries_do_not_grow_with_rows(setup: Setup, kind: str) -> None:
    assert_constant_queries(
        setup.client(), setup.url(f"{kind}_list"), _make_rows(setup, kind)
    )


def test_search_filters_the_list(setup: Setup) -> None:
    sales = DepartmentFactory(company=setup.company, code="SALES", name="Sales")
    hr = DepartmentFactory(company=setup.company, code="HR", name="People")
    DepartmentApproverFactory(department=sales, role=setup.role, approver=setup.alice)
    DepartmentApproverFactory(department=hr, role=setup.role, approver=setup.bob)
    page = (
        setup.client().get(setup.url("department_list"), {"q": "sal"}).content.decode()
    )
    assert "Alice" in page
    assert "Bob" not in page
    page = (
        setup.client().get(setup.url("department_list"), {"q": "bob"}).content.decode()
    )
    assert "Bob" in page
    assert "Alice" not in page


def test_a_task_of_another_project_is_refused(setup: Setup) -> None:
    p1 = ProjectFactory(company=setup.company, code="P1")
    task_of_p2 = ProjectTaskFactory(
        project=ProjectFactory(company=setup.company, code="P2")
    )
    data = {
        "project": p1.pk,
        "task": task_of_p2.pk,
        "role": setup.role.pk,
        "approver": setup.alice.pk,
    }
    response = setup.client().post(setup.url("project_create"), data)
    assert response.status_code == 200
    assert "This task belongs to another project." in response.content.decode()
    assert not ProjectApprover.objects.exists()


def test_a_project_task_row_is_saved_with_its_task(setup: Setup) -> None:
    task = ProjectTaskFactory(
        project=ProjectFactory(company=setup.company, code="P1"), code="T9"
    )
    data = {
        "project": task.project_id,
        "task": task.pk,
        "role": setup.role.pk,
        "approver": setup.alice.pk,
    }
    assert setup.client().post(setup.url("project_create"), data).status_code == 302
    assert ProjectApprover.objects.get().task == task
    assert "P1" in setup.client().get(setup.url("project_list")).content.decode()


def test_an_exception_for_yourself_is_refused(setup: Setup) -> None:
    data = {
        "requester": setup.alice.pk,
        "role": setup.role.pk,
        "approver": setup.alice.pk,
    }
    response = setup.client().post(setup.url("exception_create"), data)
    assert response.status_code == 200
    assert "their own documents" in response.content.decode()
    assert not RequesterException.objects.exists()
