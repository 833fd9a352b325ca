"""Approver setup pages under /c/<company code>/setup/ (orgunits.urls).

Administrators and system viewers read every list; only administrators open the forms
and change anything (viewers get 404 from those, POSTs included). Everyone else, the
company's approvers included, gets 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from orgunits.models import CompanyHoliday
from tests.authz.matrix import ADMIN_ONLY, CONFIG_READ, GET, POST, Page
from tests.factories.orgunits import (
    ApproverRoleFactory,
    BranchApproverFactory,
    BranchFactory,
    CostUnitTypeFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProjectApproverFactory,
    ProjectFactory,
    RequesterExceptionFactory,
    combination,
)

GET_POST = (GET, POST)


def _company(w: Any) -> dict[str, Any]:
    return {"company_code": w.company.code}


def _role(w: Any) -> dict[str, Any]:
    role = ApproverRoleFactory(company=w.company, name="Authz role")
    return {"company_code": w.company.code, "pk": role.pk}


def _type(w: Any) -> dict[str, Any]:
    unit_type = CostUnitTypeFactory(
        company=w.company, segment_id=91, name="Authz type", routing_position=None
    )
    return {"company_code": w.company.code, "pk": unit_type.pk}


def _combination(w: Any) -> dict[str, Any]:
    unit_type = CostUnitTypeFactory(
        company=w.company, segment_id=92, name="Authz segment", routing_position=99
    )
    row = combination(
        w.company,
        ApproverRoleFactory(company=w.company, name="Authz role"),
        EmployeeFactory(company=w.company),
        {unit_type: "X1"},
    )
    return {"company_code": w.company.code, "pk": row.pk}


def _assignment(kind: str) -> Any:
    def kwargs(w: Any) -> dict[str, Any]:
        role = ApproverRoleFactory(company=w.company, name="Authz role")
        approver = EmployeeFactory(company=w.company)
        if kind == "department":
            row = DepartmentApproverFactory(
                department=DepartmentFactory(company=w.company),
                role=role,
                approver=approver,
            )
        elif kind == "project":
            row = ProjectApproverFactory(
                project=ProjectFactory(company=w.company), role=role, approver=approver
            )
        elif kind == "branch":
            row = BranchApproverFactory(
                branch=BranchFactory(company=w.company), role=role, approver=approver
            )
        else:
            row = RequesterExceptionFactory(
                requester=EmployeeFactory(company=w.company),
                role=role,
                approver=approver,
            )
        return {"company_code": w.company.code, "pk": row.pk}

    return kwargs


def _substitution(w: Any) -> dict[str, Any]:
    return {"company_code": w.company.code, "pk": w.substitution.pk}


def _holiday(w: Any) -> dict[str, Any]:
    holiday = CompanyHoliday.objects.create(
        company=w.company, date=date(2030, 12, 24), name="Christmas Eve"
    )
    return {"company_code": w.company.code, "pk": holiday.pk}


PAGES = [
    Page("orgunits:home", _company, CONFIG_READ),
    Page("orgunits:role_list", _company, CONFIG_READ),
    Page("orgunits:role_create", _company, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:role_edit", _role, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:role_delete", _role, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:cost_unit_types", _company, CONFIG_READ),
    Page("orgunits:cost_unit_type_move", _company, ADMIN_ONLY, methods=(POST,)),
    Page("orgunits:cost_unit_type_edit", _type, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:combination_list", _company, CONFIG_READ),
    Page("orgunits:combination_create", _company, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:combination_edit", _combination, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:combination_delete", _combination, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:substitution_list", _company, CONFIG_READ),
    Page("orgunits:substitution_create", _company, ADMIN_ONLY, methods=GET_POST),
    Page("orgunits:substitution_end", _substitution, ADMIN_ONLY, methods=(POST,)),
    Page("orgunits:due_dates", _company, CONFIG_READ),
    Page("orgunits:due_defaults_save", _company, ADMIN_ONLY, methods=(POST,)),
    Page("orgunits:holiday_create", _company, ADMIN_ONLY, methods=(POST,)),
    Page("orgunits:holiday_delete", _holiday, ADMIN_ONLY, methods=(POST,)),
]
for _kind in ("department", "project", "branch", "exception"):
    PAGES += [
        Page(f"orgunits:{_kind}_list", _company, CONFIG_READ),
        Page(f"orgunits:{_kind}_create", _company, ADMIN_ONLY, methods=GET_POST),
        Page(
            f"orgunits:{_kind}_edit", _assignment(_kind), ADMIN_ONLY, methods=GET_POST
        ),
        Page(
            f"orgunits:{_kind}_delete",
            _assignment(_kind),
            ADMIN_ONLY,
            methods=GET_POST,
        ),
    ]
