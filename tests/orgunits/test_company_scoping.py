"""Nothing crosses companies (DOMAIN §1): every business row names its company, and every
company-scoped selector returns only that company's rows."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import AbstractUser
from django.db import models

from orgunits import selectors
from orgunits.models import ApproverRole, Company, DocumentType
from tests.factories.orgunits import (
    ANY,
    ApproverRoleFactory,
    BranchApproverFactory,
    BranchFactory,
    CompanyFactory,
    CostUnitFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    MembershipFactory,
    ProjectApproverFactory,
    ProjectFactory,
    ProjectTaskFactory,
    RequesterExceptionFactory,
    SubaccountFactory,
    SubstitutionFactory,
    UserFactory,
    combination,
    routing_types,
)

BUSINESS_APPS = ("orgunits", "workflows", "documents", "erp_sync")

# Models that hold no single company's data, each with the reason.
NOT_COMPANY_SCOPED = {
    # The tenant itself.
    "orgunits.company",
    # A login's own settings (soon-overdue days, e-mails), the same in every company.
    "orgunits.userpreference",
    # What was e-mailed to a login: the daily reminder and the overview gather one
    # person's tasks from all their companies into one mail, so the company is optional.
    "documents.notificationsent",
}


def _business_models() -> list[type[models.Model]]:
    found: list[type[models.Model]] = []
    for label in BUSINESS_APPS:
        found += [
            model
            for model in apps.get_app_config(label).get_models()
            if model._meta.label_lower not in NOT_COMPANY_SCOPED
        ]
    return found


@pytest.mark.parametrize("model", _business_models(), ids=lambda m: m._meta.label_lower)
def test_every_business_model_has_a_required_company_foreign_key(
    model: type[models.Model],
) -> None:
    field = model._meta.get_field("company")
    assert isinstance(field, models.ForeignKey)
    assert field.related_model is Company
    assert field.null is False


def test_the_allow_list_names_existing_models() -> None:
    """A stale entry would hide nothing, but it would mislead the reader."""
    labels = {m._meta.label_lower for m in apps.get_models()}
    assert labels >= NOT_COMPANY_SCOPED


# --- selectors ---------------------------------------------------------------------------


@dataclass
class Twin:
    """The same identifiers in both companies, so a missing company filter shows."""

    user: AbstractUser
    number: str = "E-SHARED"


def _one_of_everything(company: Company, twin: Twin) -> None:
    MembershipFactory(company=company, user=twin.user, approver=True, admin=True)
    department = DepartmentFactory(company=company, code="D1")
    branch = BranchFactory(company=company, code="B1")
    manager = EmployeeFactory(company=company, number="M1")
    employee = EmployeeFactory(
        company=company,
        number=twin.number,
        user=twin.user,
        department=department,
        branch=branch,
        manager=manager,
    )
    role = ApproverRoleFactory(company=company, name="Approver (default)")
    (unit_type,) = routing_types(company, "Department")
    CostUnitFactory(company=company, type=unit_type, code="R&D")
    SubaccountFactory(company=company, number="000100")
    combination(company, role, employee, {"Department": ANY})
    project = ProjectFactory(company=company, code="P1", manager=manager)
    task = ProjectTaskFactory(project=project, code="T1")
    DepartmentApproverFactory(department=department, role=role, approver=employee)
    ProjectApproverFactory(task=task, role=role, approver=employee)
    BranchApproverFactory(branch=branch, role=role, approver=employee)
    RequesterExceptionFactory(requester=manager, role=role, approver=employee)
    SubstitutionFactory(principal=employee, substitute=manager)


#: Selectors answering a dict keyed by row ids, with the model of those rows.
KEYED_BY: dict[str, type[models.Model]] = {"approver_role_usage_by_role": ApproverRole}


def _company_selectors() -> list[Callable[..., object]]:
    return [
        function
        for name, function in inspect.getmembers(selectors, inspect.isfunction)
        if function.__module__ == selectors.__name__
        and not name.startswith("_")
        and "company" in inspect.signature(function).parameters
    ]


def test_the_introspection_finds_the_selectors() -> None:
    names = {f.__name__ for f in _company_selectors()}
    assert {"employee_list", "membership_get", "employee_get_by_number"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("selector", _company_selectors(), ids=lambda f: f.__name__)
def test_company_selector_returns_only_that_companys_rows(
    selector: Callable[..., object],
) -> None:
    twin = Twin(user=UserFactory())
    # The other company is built first: an unscoped `.first()` would return its rows.
    other = CompanyFactory(code="other")
    _one_of_everything(other, twin)
    mine = CompanyFactory(code="mine")
    _one_of_everything(mine, twin)
    arguments: dict[str, object] = {
        "company": mine,
        "user": twin.user,
        "number": twin.number,
        "document_type": DocumentType.PURCHASE_INVOICE,
    }
    parameters = inspect.signature(selector).parameters
    unknown = set(parameters) - set(arguments)
    assert not unknown, f"give the company-scoping test a value for {unknown}"

    result = selector(**{name: arguments[name] for name in parameters})

    if isinstance(result, dict):
        # Aggregates keyed by the company's own rows (role id -> counts, say).
        model = KEYED_BY[selector.__name__]
        assert result, f"{selector.__name__} found nothing of the company's own rows"
        owners = set(
            model.objects.filter(pk__in=result).values_list("company_id", flat=True)
        )
        assert owners == {mine.pk}
        return
    if isinstance(result, models.QuerySet):
        rows = list(result)
    else:
        rows = [] if result is None else [result]
    assert rows, f"{selector.__name__} found nothing of the company's own rows"
    assert {row.company_id for row in rows} == {mine.pk}
