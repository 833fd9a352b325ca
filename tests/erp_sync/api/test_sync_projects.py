"""PUT /api/v1/sync/projects: projects, their tasks and their project manager."""

from __future__ import annotations

import copy
import uuid

import pytest

from erp_sync.api import examples
from orgunits.models import Company, Employee, Project, ProjectTask
from tests.erp_sync.conftest import ErpApi, assert_problem
from tests.factories.orgunits import EmployeeFactory, ProjectFactory, ProjectTaskFactory

pytestmark = pytest.mark.django_db
PATH = "sync/projects"


def counts(
    created: int = 0, updated: int = 0, unchanged: int = 0, deactivated: int = 0
) -> dict[str, int]:
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "deactivated": deactivated,
    }


def test_project_read_shape_creates_project_tasks_and_a_minimal_manager(
    api: ErpApi, company: Company
) -> None:
    assert api.put(PATH, examples.PROJECTS_READ).json() == counts(created=3)

    project = Project.objects.select_related("manager").get(company=company)
    assert (project.code, project.name, project.active, project.erp_internal_id) == (
        "P1001",
        "Office move",
        True,
        "311",
    )
    manager = project.manager
    assert manager is not None
    assert (manager.number, manager.name, manager.email, manager.company) == (
        "E0007",
        "Ola Hansen",
        "ola.hansen@example.com",
        company,
    )
    assert manager.erp_user_id == uuid.UUID("7e5d9c2a-1b3c-4d5e-8f90-a1b2c3d4e5f6")
    assert manager.user is None
    assert manager.erp_synced
    tasks = {
        t.code: (t.name, t.active) for t in ProjectTask.objects.filter(project=project)
    }
    assert tasks == {"01": ("Furniture & supplies", True), "02": ("Planning", True)}


def test_projects_resent_in_either_shape_change_nothing(api: ErpApi) -> None:
    api.put(PATH, examples.PROJECTS_READ)

    assert api.put(PATH, examples.PROJECTS_READ).json() == counts(unchanged=3)
    assert api.put(PATH, examples.PROJECTS_WRITE).json() == counts(unchanged=3)
    assert Employee.objects.count() == 1


def test_the_manager_is_linked_to_the_existing_employee_untouched(
    api: ErpApi, company: Company
) -> None:
    existing = EmployeeFactory(
        company=company, number="E0007", name="Ola H.", with_login=True
    )

    api.put(PATH, examples.PROJECTS_READ)

    assert Project.objects.get(company=company).manager == existing
    existing.refresh_from_db()
    assert existing.name == "Ola H."
    assert Employee.objects.count() == 1


def test_a_manager_of_another_company_is_never_linked(
    api: ErpApi, company: Company
) -> None:
    theirs = EmployeeFactory(number="E0007")

    api.put(PATH, examples.PROJECTS_READ)

    manager = Project.objects.get(company=company).manager
    assert manager is not None
    assert manager != theirs
    assert manager.company == company


def test_a_null_manager_clears_it(api: ErpApi, company: Company) -> None:
    api.put(PATH, examples.PROJECTS_READ)

    response = api.put(PATH, [{"projectID": "P1001", "projectManager": None}])

    assert response.json() == counts(updated=1)
    assert Project.objects.get(company=company).manager is None


@pytest.mark.parametrize(
    "change",
    [{"status": "Completed"}, {"status": "OnHold"}, {"hold": True}, {"active": False}],
)
def test_a_project_that_is_not_active_and_free_is_deactivated(
    api: ErpApi, company: Company, change: dict[str, object]
) -> None:
    api.put(PATH, examples.PROJECTS_READ)
    body = [{**examples.PROJECTS_READ[0], **change}]

    assert api.put(PATH, body).json() == counts(unchanged=2, deactivated=1)
    assert not Project.objects.get(company=company).active


def test_tasks_missing_from_the_list_are_left_alone(
    api: ErpApi, company: Company
) -> None:
    api.put(PATH, examples.PROJECTS_READ)
    body = copy.deepcopy(examples.PROJECTS_READ)
    body[0]["tasks"] = [
        {"taskId": "02", "description": "Planning", "status": "Cancelled"}
    ]

    assert api.put(PATH, body).json() == counts(unchanged=1, deactivated=1)
    states = dict(
        ProjectTask.objects.filter(company=company).values_list("code", "active")
    )
    assert states == {"01": True, "02": False}


def test_without_tasks_the_tasks_are_left_alone(api: ErpApi, company: Company) -> None:
    project = ProjectFactory(company=company, code="P1")
    ProjectTaskFactory(company=company, project=project, code="T1")

    assert api.put(
        PATH, [{"projectID": "P1", "description": "Renamed"}]
    ).json() == counts(updated=1)
    assert ProjectTask.objects.get(project=project).active


def test_a_duplicate_task_id_is_refused(api: ErpApi) -> None:
    body = copy.deepcopy(examples.PROJECTS_READ)
    body[0]["tasks"].append({"taskId": "01"})

    problem = assert_problem(api.put(PATH, body), 400, "invalid")

    assert [e["path"] for e in problem["errors"]] == ["[0].tasks[2].taskId"]
    assert not Project.objects.exists()
    assert not Employee.objects.exists()


def test_a_project_without_id_or_with_a_bad_manager_is_refused(api: ErpApi) -> None:
    body = [
        {"description": "no id"},
        {"projectID": "P2", "projectManager": {"employeeName": "nobody"}},
        {
            "projectID": "P3",
            "projectManager": {"employeeNumber": "E1", "employeeUserId": "nope"},
        },
    ]

    problem = assert_problem(api.put(PATH, body), 400, "invalid")

    assert [e["path"] for e in problem["errors"]] == [
        "[0].projectID",
        "[1].projectManager.employeeNumber",
        "[2].projectManager.employeeUserId",
    ]
