"""The shared orgunits factories keep related rows in one company."""

import pytest

from orgunits.models import CostUnitCombinationValue, DocumentType, Membership
from tests.factories.orgunits import (
    ANY,
    UNSPECIFIED,
    ApproverRoleFactory,
    BranchApproverFactory,
    CompanyFactory,
    CostUnitCombinationValueFactory,
    CostUnitFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    MembershipFactory,
    ProjectApproverFactory,
    ProjectTaskFactory,
    RequesterExceptionFactory,
    SubaccountFactory,
    SubstitutionFactory,
    combination,
    routing_types,
)

pytestmark = pytest.mark.django_db


def test_assignment_factories_build_related_rows_in_one_company() -> None:
    rows = [
        DepartmentApproverFactory(),
        ProjectApproverFactory(),
        BranchApproverFactory(),
        RequesterExceptionFactory(),
    ]
    for row in rows:
        assert row.role.company == row.company
        assert row.approver.company == row.company


def test_company_is_taken_from_a_related_row_passed_in() -> None:
    department = DepartmentFactory()
    assignment = DepartmentApproverFactory(department=department)
    assert assignment.company == department.company
    assert assignment.role.company == department.company


def test_project_approver_for_a_task_follows_the_task_project() -> None:
    task = ProjectTaskFactory()
    assignment = ProjectApproverFactory(task=task)
    assert assignment.project == task.project
    assert assignment.company == task.company


def test_combination_value_takes_the_type_of_its_cost_unit() -> None:
    cost_unit = CostUnitFactory()
    value = CostUnitCombinationValueFactory(cost_unit=cost_unit)
    assert value.type == cost_unit.type
    assert value.company == cost_unit.company
    assert value.combination.company == cost_unit.company


def test_combination_helper_builds_values_by_type_name() -> None:
    company = CompanyFactory()
    routing_types(company, "Department", "Product", "Region")
    row = combination(
        company,
        ApproverRoleFactory(company=company),
        EmployeeFactory(company=company),
        {"Department": "R&D", "Product": ANY, 3: UNSPECIFIED},
    )
    cells = {v.type.name: (v.match, v.cost_unit) for v in row.values.all()}
    assert cells["Department"][0] == CostUnitCombinationValue.Match.VALUE
    assert cells["Department"][1].code == "R&D"
    assert cells["Product"] == (CostUnitCombinationValue.Match.ANY, None)
    assert cells["Region"] == (CostUnitCombinationValue.Match.UNSPECIFIED, None)


def test_employee_rights_create_a_login_with_those_approver_rights() -> None:
    employee = EmployeeFactory(rights=[DocumentType.TIME_SHEET])
    membership = Membership.objects.get(company=employee.company, user=employee.user)
    assert membership.approvable_types == [DocumentType.TIME_SHEET]


def test_remaining_factories_create_valid_rows() -> None:
    for row in (
        MembershipFactory(approver=True),
        SubaccountFactory(),
        SubstitutionFactory(),
    ):
        row.full_clean()
