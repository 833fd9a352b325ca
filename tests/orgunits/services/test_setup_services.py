"""The services behind the approver setup pages: who may call them, and the rules the
pages cannot enforce by their choices alone (another company's rows, order, cells)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    CompanyHoliday,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
)
from orgunits.services_assignments import (
    approver_role_create,
    approver_role_rename,
    assignment_delete,
    cost_unit_type_set_routing_order,
    cost_unit_type_update,
    department_approver_save,
    project_approver_save,
    requester_exception_save,
)
from orgunits.services_calendar import (
    company_holiday_create,
    company_holiday_delete,
    company_set_due_defaults,
)
from orgunits.services_combinations import (
    Cell,
    cost_unit_combination_delete,
    cost_unit_combination_save,
)
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    CostUnitTypeFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProjectFactory,
    ProjectTaskFactory,
    combination,
    routing_types,
    unit,
)
from tests.orgunits.services.conftest import Office

Match = CostUnitCombinationValue.Match


def _code(error: pytest.ExceptionInfo[ApplicationError]) -> object:
    return error.value.extra["code"]


def test_every_service_refuses_a_non_administrator(office: Office) -> None:
    company = office.company
    role = ApproverRoleFactory(company=company, name="R")
    department = DepartmentFactory(company=company)
    row = DepartmentApproverFactory(
        department=department, role=role, approver=office.anna
    )
    holiday = CompanyHoliday.objects.create(
        company=company, date=date(2026, 12, 24), name="X"
    )
    someone = office.carl.user
    calls: list[Callable[[], object]] = [
        lambda: approver_role_create(company=company, name="New", actor=someone),
        lambda: approver_role_rename(role=role, name="New", actor=someone),
        lambda: department_approver_save(
            company=company,
            assignment=None,
            department=department,
            role=role,
            approver=office.berit,
            actor=someone,
        ),
        lambda: assignment_delete(assignment=row, actor=someone),
        lambda: cost_unit_type_set_routing_order(
            company=company, ordered_type_ids=[], actor=someone
        ),
        lambda: cost_unit_combination_save(
            company=company,
            combination=None,
            role=role,
            approver=office.anna,
            cells={},
            actor=someone,
        ),
        lambda: company_set_due_defaults(
            company=company, due_day_of_month=1, due_after_days=None, actor=someone
        ),
        lambda: company_holiday_create(
            company=company, day=date(2026, 12, 28), name="Y", actor=someone
        ),
        lambda: company_holiday_delete(holiday=holiday, actor=someone),
    ]
    for call in calls:
        with pytest.raises(ApplicationError) as error:
            call()
        assert _code(error) == "not_system_admin"
    assert ApproverRole.objects.filter(company=company).count() == 1
    assert CompanyHoliday.objects.count() == 1


def test_rows_of_another_company_are_refused(office: Office) -> None:
    role = ApproverRoleFactory(company=office.company, name="R")
    foreign = DepartmentFactory(company=CompanyFactory())
    with pytest.raises(ApplicationError) as error:
        department_approver_save(
            company=office.company,
            assignment=None,
            department=foreign,
            role=role,
            approver=office.anna,
            actor=office.admin,
        )
    assert _code(error) == "other_company"
    assert error.value.extra["field"] == "department"


def test_a_task_must_belong_to_the_project(office: Office) -> None:
    role = ApproverRoleFactory(company=office.company, name="R")
    task = ProjectTaskFactory(project=ProjectFactory(company=office.company))
    with pytest.raises(ApplicationError) as error:
        project_approver_save(
            company=office.company,
            assignment=None,
            project=ProjectFactory(company=office.company),
            task=task,
            role=role,
            approver=office.anna,
            actor=office.admin,
        )
    assert _code(error) == "project_task_mismatch"


def test_an_exception_cannot_name_the_requester_as_approver(office: Office) -> None:
    role = ApproverRoleFactory(company=office.company, name="R")
    with pytest.raises(ApplicationError) as error:
        requester_exception_save(
            company=office.company,
            assignment=None,
            requester=office.anna,
            role=role,
            approver=office.anna,
            actor=office.admin,
        )
    assert _code(error) == "requester_exception_self"


def test_role_names_are_unique_without_regard_to_case(office: Office) -> None:
    approver_role_create(company=office.company, name="Controller", actor=office.admin)
    with pytest.raises(ApplicationError) as error:
        approver_role_create(
            company=office.company, name=" controller ", actor=office.admin
        )
    assert _code(error) == "approver_role_name_taken"


def test_routing_order_is_rewritten_whole(office: Office) -> None:
    a, _b = routing_types(office.company, "A", "B")
    c = CostUnitTypeFactory(
        company=office.company, segment_id=3, name="C", routing_position=None
    )
    cost_unit_type_set_routing_order(
        company=office.company, ordered_type_ids=[c.pk, a.pk], actor=office.admin
    )
    positions = dict(CostUnitType.objects.values_list("name", "routing_position"))
    assert positions == {"A": 2, "B": None, "C": 1}
    for ids, code in (
        ([a.pk, a.pk], "cost_unit_type_repeated"),
        ([a.pk, 999999], "cost_unit_type_unknown"),
    ):
        with pytest.raises(ApplicationError) as error:
            cost_unit_type_set_routing_order(
                company=office.company, ordered_type_ids=ids, actor=office.admin
            )
        assert _code(error) == code


def test_synced_types_are_not_renamed(office: Office) -> None:
    synced = CostUnitTypeFactory(company=office.company, erp_synced=True, name="ERP")
    with pytest.raises(ApplicationError) as error:
        cost_unit_type_update(
            cost_unit_type=synced, name="Mine", active=True, actor=office.admin
        )
    assert _code(error) == "cost_unit_type_synced"


def test_combination_cells_are_checked(office: Office) -> None:
    dept, product = routing_types(office.company, "Department", "Product")
    other = CostUnitTypeFactory(
        company=office.company, segment_id=9, routing_position=None
    )
    role = ApproverRoleFactory(company=office.company, name="R")
    rnd, beta = unit(dept, "R&D"), unit(product, "Beta")

    def save(cells: dict[int, Cell]) -> CostUnitCombination:
        return cost_unit_combination_save(
            company=office.company,
            combination=None,
            role=role,
            approver=office.anna,
            cells=cells,
            actor=office.admin,
        )

    cases = [
        ({other.pk: Cell()}, "combination_type_not_routing"),
        (
            {dept.pk: Cell(match=Match.VALUE, cost_unit=beta)},
            "combination_cell_invalid",
        ),
        ({dept.pk: Cell(match=Match.VALUE)}, "combination_cell_invalid"),
        ({dept.pk: Cell(match=Match.ANY, cost_unit=rnd)}, "combination_cell_invalid"),
        (
            {
                dept.pk: Cell(match=Match.UNSPECIFIED),
                product.pk: Cell(match=Match.VALUE, cost_unit=beta),
            },
            "combination_value_below_unspecified",
        ),
    ]
    for cells, code in cases:
        with pytest.raises(ApplicationError) as error:
            save(cells)
        assert _code(error) == code
    assert not CostUnitCombination.objects.exists()
    row = save(
        {
            dept.pk: Cell(match=Match.VALUE, cost_unit=rnd),
            product.pk: Cell(match=Match.UNSPECIFIED),
        }
    )
    with pytest.raises(ApplicationError) as error:
        save(
            {
                dept.pk: Cell(match=Match.VALUE, cost_unit=rnd),
                product.pk: Cell(match=Match.UNSPECIFIED),
            }
        )
    assert _code(error) == "combination_duplicate"
    cost_unit_combination_delete(combination=row, actor=office.admin)
    assert not CostUnitCombinationValue.objects.exists()


def test_editing_a_row_keeps_values_of_types_not_routing_now(office: Office) -> None:
    dept, _product = routing_types(office.company, "Department", "Product")
    role = ApproverRoleFactory(company=office.company, name="R")
    row = combination(
        office.company, role, office.anna, {"Department": "R&D", "Product": "Beta"}
    )
    cost_unit_type_set_routing_order(
        company=office.company, ordered_type_ids=[dept.pk], actor=office.admin
    )
    cost_unit_combination_save(
        company=office.company,
        combination=row,
        role=role,
        approver=office.berit,
        cells={dept.pk: Cell(match=Match.VALUE, cost_unit=unit(dept, "SALES"))},
        actor=office.admin,
    )
    kept = dict(row.values.values_list("type__name", "cost_unit__code"))
    assert kept == {"Department": "SALES", "Product": "Beta"}


def test_due_defaults_are_one_or_none(office: Office) -> None:
    with pytest.raises(ApplicationError) as error:
        company_set_due_defaults(
            company=office.company,
            due_day_of_month=5,
            due_after_days=5,
            actor=office.admin,
        )
    assert _code(error) == "due_defaults_both"
    for day, code in ((0, "due_day_of_month_range"), (32, "due_day_of_month_range")):
        with pytest.raises(ApplicationError) as error:
            company_set_due_defaults(
                company=office.company,
                due_day_of_month=day,
                due_after_days=None,
                actor=office.admin,
            )
        assert _code(error) == code
    saved = company_set_due_defaults(
        company=office.company,
        due_day_of_month=None,
        due_after_days=30,
        actor=office.admin,
    )
    assert saved.document_due_after_days == 30


def test_holidays_refuse_weekends_duplicates_and_empty_names(office: Office) -> None:
    company_holiday_create(
        company=office.company, day=date(2026, 12, 24), name="Eve", actor=office.admin
    )
    for day, name, code in (
        (date(2026, 12, 24), "Again", "holiday_exists"),
        (date(2026, 12, 26), "Saturday", "holiday_weekend"),
        (date(2026, 12, 28), "  ", "holiday_name_empty"),
    ):
        with pytest.raises(ApplicationError) as error:
            company_holiday_create(
                company=office.company, day=day, name=name, actor=office.admin
            )
        assert _code(error) == code
    assert CompanyHoliday.objects.count() == 1


def test_assignment_save_locks_the_row_it_changes(office: Office) -> None:
    role = ApproverRoleFactory(company=office.company, name="R")
    row = DepartmentApproverFactory(
        department=DepartmentFactory(company=office.company),
        role=role,
        approver=office.anna,
    )
    with CaptureQueriesContext(connection) as queries:
        department_approver_save(
            company=office.company,
            assignment=row,
            department=row.department,
            role=role,
            approver=office.berit,
            actor=office.admin,
        )
    if connection.features.has_select_for_update:
        assert any("FOR UPDATE" in q["sql"] for q in queries)
    row.refresh_from_db()
    assert row.approver == office.berit


@pytest.mark.postgres
def test_assignment_save_locks_on_postgres(office: Office) -> None:
    test_assignment_save_locks_the_row_it_changes(office)
    assert EmployeeFactory  # the factories module stays importable under PostgreSQL
