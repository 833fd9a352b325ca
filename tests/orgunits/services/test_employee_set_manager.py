"""employee_set_manager sets the nearest manager locally, refusing loops."""

import pytest

from core.exceptions import ApplicationError
from orgunits.models import Employee
from orgunits.services import employee_set_manager
from tests.factories.orgunits import CompanyFactory, EmployeeFactory
from tests.orgunits.services.conftest import Office


def refused(
    office: Office, employee: Employee, manager: Employee, code: str, match: str
) -> None:
    before = Employee.objects.get(pk=employee.pk).manager_id
    with pytest.raises(ApplicationError, match=match) as error:
        employee_set_manager(employee=employee, manager=manager, actor=office.admin)
    assert error.value.extra == {"code": code}
    assert Employee.objects.get(pk=employee.pk).manager_id == before


def test_sets_the_manager_as_set_in_signoff(office: Office) -> None:
    office.anna.manager_source = Employee.ManagerSource.ERP
    office.anna.save(update_fields=["manager_source"])

    employee_set_manager(employee=office.anna, manager=office.berit, actor=office.admin)

    anna = Employee.objects.get(pk=office.anna.pk)
    assert anna.manager == office.berit
    assert anna.manager_source == Employee.ManagerSource.LOCAL


def test_none_clears_the_manager(office: Office) -> None:
    employee_set_manager(employee=office.anna, manager=office.berit, actor=office.admin)
    employee_set_manager(employee=office.anna, manager=None, actor=office.admin)
    assert Employee.objects.get(pk=office.anna.pk).manager is None


def test_nobody_is_their_own_manager(office: Office) -> None:
    refused(
        office,
        office.anna,
        office.anna,
        "employee_manager_self",
        r"^Anna cannot be their own nearest manager\.$",
    )


def test_a_manager_in_another_company_is_refused(office: Office) -> None:
    stranger = EmployeeFactory(company=CompanyFactory(), name="Stranger")
    refused(
        office,
        office.anna,
        stranger,
        "employee_manager_other_company",
        r"^Stranger works in another company and cannot be Anna's nearest manager\.$",
    )


def test_an_inactive_manager_is_refused(office: Office) -> None:
    office.berit.active = False
    office.berit.save(update_fields=["active"])
    refused(
        office,
        office.anna,
        office.berit,
        "employee_manager_inactive",
        r"^Berit is inactive and cannot be a nearest manager\.$",
    )


def test_a_direct_loop_is_refused(office: Office) -> None:
    employee_set_manager(employee=office.anna, manager=office.berit, actor=office.admin)
    refused(
        office,
        office.berit,
        office.anna,
        "employee_manager_cycle",
        r"^Anna already reports to Berit \(directly or through others\), so this "
        r"would make a loop of managers\.$",
    )


def test_a_loop_through_others_is_refused(office: Office) -> None:
    employee_set_manager(employee=office.anna, manager=office.berit, actor=office.admin)
    employee_set_manager(employee=office.berit, manager=office.carl, actor=office.admin)
    refused(
        office,
        office.carl,
        office.anna,
        "employee_manager_cycle",
        "Anna already reports to Carl",
    )


def test_a_chain_without_loop_is_accepted(office: Office) -> None:
    employee_set_manager(employee=office.anna, manager=office.berit, actor=office.admin)
    employee_set_manager(employee=office.carl, manager=office.berit, actor=office.admin)
    employee_set_manager(employee=office.berit, manager=office.dina, actor=office.admin)
    assert Employee.objects.get(pk=office.berit.pk).manager == office.dina


def test_only_a_system_administrator_sets_managers(office: Office) -> None:
    with pytest.raises(ApplicationError, match="Only a system administrator"):
        employee_set_manager(
            employee=office.anna, manager=office.berit, actor=office.anna.user
        )
