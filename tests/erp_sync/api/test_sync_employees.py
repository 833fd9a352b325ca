"""PUT /api/v1/sync/employees: employees, and their logins created inactive."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from erp_sync.api import examples
from orgunits.models import Branch, Company, Department, Employee, Membership
from tests.erp_sync.conftest import ErpApi, assert_problem
from tests.factories.orgunits import (
    CompanyFactory,
    DepartmentFactory,
    EmployeeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PATH = "sync/employees"
User = get_user_model()


def counts(
    created: int = 0, updated: int = 0, unchanged: int = 0, deactivated: int = 0
) -> dict[str, int]:
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "deactivated": deactivated,
    }


def person(number: str, login: str | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "employeeNumber": number,
        "employeeName": f"Person {number}",
        "status": "Active",
    }
    if login is not None:
        row["employeeLogin"] = login
    return {**row, **extra}


def test_employee_read_shape(api: ErpApi, company: Company) -> None:
    DepartmentFactory(company=company, code="SALES", name="Sales")

    assert api.put(PATH, examples.EMPLOYEES_READ).json() == counts(created=1)

    kari = Employee.objects.select_related("department", "branch", "user").get(
        company=company
    )
    assert (kari.number, kari.name, kari.email, kari.active) == (
        "E0042",
        "Kari Nordmann",
        "kari.nordmann@example.com",
        True,
    )
    assert (kari.erp_login, kari.erp_internal_id) == (
        "kari.nordmann@example.com",
        "1042",
    )
    assert kari.erp_user_id == uuid.UUID("c0a80101-0000-4000-8000-000000000042")
    assert kari.department is not None
    assert kari.department.name == "Sales"
    assert kari.branch is not None
    assert (kari.branch.code, kari.branch.name) == ("1", "Demo Company AS")
    assert kari.erp_synced


def test_a_new_login_is_created_inactive_until_invited(
    api: ErpApi, company: Company
) -> None:
    api.put(PATH, examples.EMPLOYEES_READ)

    user = Employee.objects.get(company=company).user
    assert user is not None
    assert user.username == "kari.nordmann@example.com"
    assert (user.email, user.first_name, user.last_name) == (
        "kari.nordmann@example.com",
        "Kari",
        "Nordmann",
    )
    assert not user.is_active
    assert not user.has_usable_password()
    assert not user.is_staff
    assert not user.is_superuser
    assert not Membership.objects.exists()


def test_employees_resent_in_either_shape_change_nothing(api: ErpApi) -> None:
    api.put(PATH, examples.EMPLOYEES_READ)

    assert api.put(PATH, examples.EMPLOYEES_READ).json() == counts(unchanged=1)
    assert api.put(PATH, examples.EMPLOYEES_WRITE).json() == counts(unchanged=1)
    assert User.objects.count() == 1


def test_unknown_department_and_branch_are_created_minimal(
    api: ErpApi, company: Company
) -> None:
    api.put(PATH, examples.EMPLOYEES_READ)

    department = Department.objects.get(company=company, code="SALES")
    assert (department.name, department.erp_synced) == ("SALES", True)
    assert Branch.objects.get(company=company, code="1").name == "Demo Company AS"


def test_an_existing_login_is_linked_untouched(api: ErpApi, company: Company) -> None:
    existing = UserFactory(username="Kari.Nordmann@example.com", is_active=True)
    password = existing.password

    api.put(PATH, examples.EMPLOYEES_READ)

    assert Employee.objects.get(company=company).user == existing
    existing.refresh_from_db()
    assert existing.password == password
    assert existing.is_active
    assert User.objects.count() == 1
    assert not Membership.objects.exists()


def test_the_email_is_the_login_when_there_is_no_login(
    api: ErpApi, company: Company
) -> None:
    body = [person("E1", contact={"email": "Ola@Example.com"})]

    api.put(PATH, body)

    employee = Employee.objects.get(company=company)
    assert employee.user is not None
    assert employee.user.username == "ola@example.com"
    assert employee.email == "Ola@Example.com"


def test_no_login_and_no_email_means_no_user(api: ErpApi, company: Company) -> None:
    api.put(PATH, [person("E1")])

    assert Employee.objects.get(company=company).user is None
    assert not User.objects.exists()


@pytest.mark.parametrize("status", ["Inactive", "OnHold", "HoldPayments"])
def test_an_employee_that_is_not_active_is_deactivated(
    api: ErpApi, company: Company, status: str
) -> None:
    api.put(PATH, examples.EMPLOYEES_READ)

    response = api.put(PATH, [{**examples.EMPLOYEES_READ[0], "status": status}])

    assert response.json() == counts(deactivated=1)
    assert not Employee.objects.get(company=company).active


def test_sync_keeps_the_locally_set_manager(api: ErpApi, company: Company) -> None:
    boss = EmployeeFactory(company=company)
    api.put(PATH, examples.EMPLOYEES_READ)
    Employee.objects.filter(number="E0042").update(manager=boss)

    assert api.put(PATH, examples.EMPLOYEES_READ).json() == counts(unchanged=1)
    assert Employee.objects.get(number="E0042").manager == boss


def test_a_null_department_clears_it(api: ErpApi, company: Company) -> None:
    api.put(PATH, examples.EMPLOYEES_READ)

    response = api.put(PATH, [{**examples.EMPLOYEES_READ[0], "department": None}])

    assert response.json() == counts(updated=1)
    assert Employee.objects.get(company=company).department is None


def test_the_same_login_in_two_companies_links_one_user(
    api: ErpApi, api_for: Callable[[Company], ErpApi]
) -> None:
    other = CompanyFactory(code="other")
    api.put(PATH, examples.EMPLOYEES_READ)
    api_for(other).put(PATH, examples.EMPLOYEES_READ)

    users = set(Employee.objects.values_list("user_id", flat=True))
    assert len(users) == 1
    assert Employee.objects.count() == 2


def test_two_rows_with_one_login_are_refused(api: ErpApi) -> None:
    body = [person("E1", "kari"), person("E2", "KARI")]

    problem = assert_problem(api.put(PATH, body), 400, "invalid")

    assert [(e["path"], e["code"]) for e in problem["errors"]] == [
        ("[1].employeeLogin", "duplicate")
    ]
    assert not Employee.objects.exists()
    assert not User.objects.exists()


def test_a_login_held_by_another_employee_is_refused(
    api: ErpApi, company: Company
) -> None:
    holder = EmployeeFactory(company=company, number="E9", with_login=True)

    body = [person("E1"), person("E2", holder.user.username)]
    problem = assert_problem(api.put(PATH, body), 400, "invalid")

    assert problem["errors"] == [
        {
            "path": "[1].employeeLogin",
            "message": f"The login “{holder.user.username}” is already linked to "
            "employee E9 of this company.",
            "code": "login_taken",
        }
    ]
    assert Employee.objects.count() == 1


def test_two_employees_can_swap_logins_in_one_batch(
    api: ErpApi, company: Company
) -> None:
    api.put(PATH, [person("E1", "anne"), person("E2", "bob")])

    response = api.put(PATH, [person("E1", "bob"), person("E2", "anne")])

    assert response.json() == counts(updated=2)
    links = dict(Employee.objects.values_list("number", "user__username"))
    assert links == {"E1": "bob", "E2": "anne"}


def test_a_login_that_cannot_be_a_username_is_refused(api: ErpApi) -> None:
    problem = assert_problem(
        api.put(PATH, [person("E1", "kari nordmann")]), 400, "invalid"
    )

    assert [(e["path"], e["code"]) for e in problem["errors"]] == [
        ("[0].employeeLogin", "invalid_login")
    ]


def test_a_bad_email_is_a_field_error(api: ErpApi) -> None:
    body = [person("E1"), person("E2", contact={"email": "not-an-email"})]

    problem = assert_problem(api.put(PATH, body), 400, "invalid")

    assert [e["path"] for e in problem["errors"]] == ["[1].contact.email"]
    assert not Employee.objects.exists()


def test_the_name_falls_back_to_the_contact(api: ErpApi, company: Company) -> None:
    body = [
        {
            "employeeNumber": "E1",
            "contact": {"firstName": "Ola", "lastName": "Nordmann"},
        }
    ]

    api.put(PATH, body)

    assert Employee.objects.get(company=company).name == "Ola Nordmann"


def test_write_shape_references_are_codes(api: ErpApi, company: Company) -> None:
    body = copy.deepcopy(examples.EMPLOYEES_WRITE)

    assert api.put(PATH, body).json() == counts(created=1)
    kari = Employee.objects.select_related("department", "branch").get(company=company)
    assert kari.department is not None
    assert kari.department.code == "SALES"
    assert kari.branch is not None
    assert kari.branch.code == "1"
