"""Approver roles through their pages: list with usage, add, rename, delete after the
cascade counts are shown."""

from __future__ import annotations

import pytest

from orgunits.models import ApproverRole, DepartmentApprover
from tests.factories.orgunits import (
    ApproverRoleFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
)
from tests.orgunits.views.conftest import Setup, assert_constant_queries

pytestmark = pytest.mark.django_db


def test_add_rename_and_delete_a_role(setup: Setup) -> None:
    admin = setup.client()
    response = admin.post(setup.url("role_create"), {"name": "  Controller "})
    assert response.status_code == 302
    role = ApproverRole.objects.get(company=setup.company, name="Controller")
    assert "Controller" in admin.get(setup.url("role_list")).content.decode()

    response = admin.post(
        setup.url("role_edit", pk=role.pk), {"name": "Finance controller"}
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.name == "Finance controller"

    DepartmentApproverFactory(
        department=DepartmentFactory(company=setup.company),
        role=role,
        approver=setup.alice,
    )
    confirm = admin.get(setup.url("role_delete", pk=role.pk)).content.decode()
    assert "department approvers" in confirm
    assert "<strong>1</strong>" in confirm
    response = admin.post(setup.url("role_delete", pk=role.pk))
    assert response.status_code == 302
    assert not ApproverRole.objects.filter(pk=role.pk).exists()
    assert not DepartmentApprover.objects.exists()


def test_a_taken_or_empty_name_is_a_form_error(setup: Setup) -> None:
    admin = setup.client()
    response = admin.post(setup.url("role_create"), {"name": "approver"})
    assert response.status_code == 200
    assert "exists already" in response.content.decode()
    response = admin.post(setup.url("role_create"), {"name": "   "})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert ApproverRole.objects.filter(company=setup.company).count() == 1


def test_the_default_role_cannot_be_deleted(setup: Setup) -> None:
    admin = setup.client()
    response = admin.get(setup.url("role_delete", pk=setup.role.pk))
    assert response.status_code == 302
    response = admin.post(setup.url("role_delete", pk=setup.role.pk), follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert ApproverRole.objects.filter(pk=setup.role.pk).exists()


def test_the_default_role_may_be_renamed(setup: Setup) -> None:
    response = setup.client().post(
        setup.url("role_edit", pk=setup.role.pk), {"name": "Approver (default)"}
    )
    assert response.status_code == 302
    setup.role.refresh_from_db()
    assert setup.role.is_default
    assert setup.role.name == "Approver (default)"


def test_list_shows_usage_with_constant_queries(setup: Setup) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            role = ApproverRoleFactory(company=setup.company)
            DepartmentApproverFactory(
                department=DepartmentFactory(company=setup.company),
                role=role,
                approver=EmployeeFactory(company=setup.company),
            )

    assert_constant_queries(setup.client(), setup.url("role_list"), add)
    page = setup.client().get(setup.url("role_list")).content.decode()
    assert "1 department approvers" in page or "1 department approver" in page
