"""approver_role_delete removes a role with its assignments and reports what went."""

import pytest

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    CostUnitCombination,
    CostUnitCombinationValue,
    DepartmentApprover,
)
from orgunits.selectors import approver_role_usage
from orgunits.services import approver_role_delete
from tests.factories.orgunits import (
    ApproverRoleFactory,
    BranchApproverFactory,
    CostUnitCombinationFactory,
    CostUnitCombinationValueFactory,
    DepartmentApproverFactory,
    MembershipFactory,
    ProjectApproverFactory,
    RequesterExceptionFactory,
)
from tests.orgunits.services.conftest import Office

ORGUNITS_KINDS = {
    "orgunits.branchapprover": 1,
    "orgunits.costunitcombination": 2,
    "orgunits.departmentapprover": 3,
    "orgunits.projectapprover": 1,
    "orgunits.requesterexception": 1,
}


@pytest.fixture
def role(office: Office) -> ApproverRole:
    role = ApproverRoleFactory(company=office.company, name="Controller")
    for _ in range(2):
        CostUnitCombinationValueFactory(
            combination=CostUnitCombinationFactory(role=role)
        )
    DepartmentApproverFactory.create_batch(3, role=role)
    ProjectApproverFactory(role=role)
    BranchApproverFactory(role=role)
    RequesterExceptionFactory(role=role)
    return role


def test_usage_counts_every_kind_of_row_that_selects_by_the_role(
    role: ApproverRole,
) -> None:
    usage = approver_role_usage(role=role)
    assert {k: v for k, v in usage.items() if k.startswith("orgunits.")} == (
        ORGUNITS_KINDS
    )
    # Kinds from other apps (workflow step rules) are listed too, here unused.
    assert all(v == 0 for k, v in usage.items() if not k.startswith("orgunits."))


def test_usage_ignores_rows_of_other_roles(office: Office, role: ApproverRole) -> None:
    other = ApproverRoleFactory(company=office.company)
    DepartmentApproverFactory(role=other)
    assert approver_role_usage(role=other)["orgunits.departmentapprover"] == 1
    assert approver_role_usage(role=role)["orgunits.departmentapprover"] == 3


def test_delete_removes_the_role_and_its_assignments(
    office: Office, role: ApproverRole
) -> None:
    kept = DepartmentApproverFactory(
        role=ApproverRoleFactory(company=office.company, name="Kept")
    )
    expected = approver_role_usage(role=role)

    counts = approver_role_delete(role=role, actor=office.admin)

    assert counts == expected
    assert not ApproverRole.objects.filter(pk=role.pk).exists()
    assert not CostUnitCombination.objects.exists()
    assert not CostUnitCombinationValue.objects.exists()
    assert list(DepartmentApprover.objects.all()) == [kept]


def test_the_default_role_cannot_be_deleted(office: Office) -> None:
    default = ApproverRoleFactory(company=office.company, is_default=True)
    with pytest.raises(
        ApplicationError, match="is the default approver role and cannot be deleted"
    ) as error:
        approver_role_delete(role=default, actor=office.admin)
    assert error.value.extra == {"code": "approver_role_default"}
    assert ApproverRole.objects.filter(pk=default.pk).exists()


def test_only_a_system_administrator_deletes_a_role(
    office: Office, role: ApproverRole
) -> None:
    approver = MembershipFactory(company=office.company, approver=True).user
    with pytest.raises(
        ApplicationError, match="Only a system administrator of Acme can do this"
    ) as error:
        approver_role_delete(role=role, actor=approver)
    assert error.value.extra == {"code": "not_system_admin"}
    assert ApproverRole.objects.filter(pk=role.pk).exists()
