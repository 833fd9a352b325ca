"""PUT /api/v1/sync/departments and /sync/branches."""

from __future__ import annotations

import pytest

from erp_sync.api import examples
from orgunits.models import Branch, Company, Department
from tests.erp_sync.conftest import ErpApi, assert_problem
from tests.factories.orgunits import DepartmentFactory

pytestmark = pytest.mark.django_db


def counts(
    created: int = 0, updated: int = 0, unchanged: int = 0, deactivated: int = 0
) -> dict[str, int]:
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "deactivated": deactivated,
    }


def test_department_read_shape(api: ErpApi, company: Company) -> None:
    assert api.put("sync/departments", examples.DEPARTMENTS_READ).json() == counts(
        created=1
    )

    sales = Department.objects.get(company=company, code="SALES")
    assert (sales.name, sales.active, sales.erp_synced) == ("Sales", True, True)
    assert sales.erp_internal_id == "3d7f1b7c-7c1e-4e35-9d0b-1a2b3c4d5e6f"


def test_departments_resent_in_either_shape_change_nothing(api: ErpApi) -> None:
    api.put("sync/departments", examples.DEPARTMENTS_READ)
    stamp = Department.objects.get().updated_at

    assert api.put("sync/departments", examples.DEPARTMENTS_READ).json() == counts(
        unchanged=1
    )
    assert api.put("sync/departments", examples.DEPARTMENTS_WRITE).json() == counts(
        unchanged=1
    )
    assert Department.objects.get().updated_at == stamp


def test_department_write_shape_alone(api: ErpApi, company: Company) -> None:
    assert api.put("sync/departments", examples.DEPARTMENTS_WRITE).json() == counts(
        created=1
    )
    assert Department.objects.get(company=company).name == "Sales"


def test_departments_are_deactivated_reactivated_and_others_left_alone(
    api: ErpApi, company: Company
) -> None:
    untouched = DepartmentFactory(company=company, code="HR", name="People")
    api.put("sync/departments", examples.DEPARTMENTS_READ)

    response = api.put("sync/departments", [{"departmentId": "SALES", "active": False}])

    assert response.json() == counts(deactivated=1)
    assert not Department.objects.get(code="SALES").active
    untouched.refresh_from_db()
    assert (untouched.active, untouched.name, untouched.erp_synced) == (
        True,
        "People",
        False,
    )

    response = api.put("sync/departments", [{"departmentId": "SALES", "active": True}])
    assert response.json() == counts(updated=1)


def test_a_local_department_with_the_same_code_is_taken_over(
    api: ErpApi, company: Company
) -> None:
    DepartmentFactory(company=company, code="SALES", name="Sales")

    response = api.put(
        "sync/departments", [{"departmentId": "SALES", "description": "Sales"}]
    )

    assert response.json() == counts(updated=1)
    assert Department.objects.get(code="SALES").erp_synced


def test_one_bad_row_names_its_index_and_field_and_writes_nothing(api: ErpApi) -> None:
    body = [
        {"departmentId": "A"},
        {"departmentId": "B"},
        {"departmentId": "C"},
        {"description": "no id"},
        {"departmentId": "E", "description": "x" * 201},
    ]

    problem = assert_problem(api.put("sync/departments", body), 400, "invalid")

    assert problem["errors"] == [
        {
            "path": "[3].departmentId",
            "message": "This field is required.",
            "code": "required",
        },
        {
            "path": "[4].description",
            "message": "Ensure this field has no more than 200 characters.",
            "code": "max_length",
        },
    ]
    assert problem["detail"] == "The request has 2 invalid values; see `errors`."
    assert not Department.objects.exists()


def test_duplicate_department_ids_are_refused(api: ErpApi) -> None:
    body = [{"departmentId": "A"}, {"departmentId": "B"}, {"departmentId": "A"}]

    problem = assert_problem(api.put("sync/departments", body), 400, "invalid")

    assert problem["errors"] == [
        {
            "path": "[2].departmentId",
            "message": "Duplicate departmentId A: it is already given at [0].departmentId.",
            "code": "duplicate",
        }
    ]
    assert not Department.objects.exists()


def test_an_empty_array_changes_nothing(api: ErpApi) -> None:
    assert api.put("sync/departments", []).json() == counts()


def test_branch_read_shape_and_resend(api: ErpApi, company: Company) -> None:
    assert api.put("sync/branches", examples.BRANCHES_READ).json() == counts(created=1)
    branch = Branch.objects.get(company=company, code="1")
    assert (branch.name, branch.active, branch.erp_internal_id) == (
        "Demo Company AS",
        True,
        "1",
    )

    assert api.put("sync/branches", examples.BRANCHES_READ).json() == counts(
        unchanged=1
    )
    assert api.put("sync/branches", examples.BRANCHES_WRITE).json() == counts(
        unchanged=1
    )


def test_branch_is_active_false_deactivates(api: ErpApi, company: Company) -> None:
    api.put("sync/branches", examples.BRANCHES_READ)

    response = api.put(
        "sync/branches", [{**examples.BRANCHES_READ[0], "isActive": False}]
    )

    assert response.json() == counts(deactivated=1)
    assert not Branch.objects.get(company=company, code="1").active


def test_branch_without_number_is_refused(api: ErpApi) -> None:
    problem = assert_problem(api.put("sync/branches", [{"name": "x"}]), 400, "invalid")

    assert [e["path"] for e in problem["errors"]] == ["[0].number"]
