"""The demo company: a small Norwegian firm with every kind of approver assignment.

`load_demo_company()` is idempotent: every row is looked up by its natural key and
written only when missing or different, so a second run changes nothing. The data sits
in plain tables below so that the demo reads like the org chart it is.

Later apps add their own demo data (workflows, documents...) with `register_demo_loader`
from their `AppConfig.ready()`; loaders run after the org units, in registration order
(INSTALLED_APPS order, so workflows before documents), inside the same transaction, and
must be idempotent too (`DemoSummary.ensure` does the natural-key upsert for them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction

from orgunits.models import (
    ApproverRole,
    Branch,
    BranchApprover,
    Company,
    CostUnit,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    Department,
    DepartmentApprover,
    DocumentType,
    Employee,
    Membership,
    Project,
    ProjectApprover,
    ProjectTask,
    RequesterException,
    Subaccount,
    Substitution,
    UserPreference,
)
from orgunits.services_company import DEFAULT_APPROVER_ROLE_NAME, company_create

DEMO_PASSWORD = "signoff-demo"  # noqa: S105 - printed on purpose: demo logins only

COMPANY_CODE = "demo"
COMPANY_NAME = "Nordlys Demo AS"
COMPANY_CURRENCY = "NOK"
EMAIL_DOMAIN = "nordlys.example"

DEFAULT = DEFAULT_APPROVER_ROLE_NAME
DEPARTMENT_MANAGER = "Department manager"
CONTROLLER = "Controller"
ROLES = (DEFAULT, DEPARTMENT_MANAGER, CONTROLLER)

# Subaccount segments: (segment id, name, routing position, values).
SEGMENTS: Sequence[tuple[int, str, int | None, Sequence[tuple[str, str]]]] = (
    (
        1,
        "Department",
        1,
        (("10", "Sales"), ("20", "R&D"), ("30", "Finance"), ("40", "Operations")),
    ),
    (2, "Cost centre", 2, (("A", "Alpha"), ("B", "Beta"), ("C", "Charlie"))),
)

DEPARTMENTS = (("10", "Sales"), ("20", "R&D"), ("30", "Finance"), ("40", "Operations"))
BRANCHES = (("OSL", "Oslo"), ("TRD", "Trondheim"))

# (number, name, e-mail local part, department, branch, nearest manager's number).
# Managers come before their reports: the manager must exist when the report is saved.
EMPLOYEES: Sequence[tuple[str, str, str, str | None, str, str | None]] = (
    ("1001", "Ingrid Solberg", "ingrid.solberg", None, "OSL", None),  # CEO
    ("1002", "Frode Nilsen", "frode.nilsen", "30", "OSL", "1001"),  # CFO
    ("1003", "Henry Haugen", "henry.haugen", "20", "TRD", "1001"),  # head of R&D
    ("1004", "Susan Strand", "susan.strand", "10", "OSL", "1001"),  # head of Sales
    ("1005", "Olav Moe", "olav.moe", "40", "TRD", "1001"),  # head of Operations
    ("1006", "Alice Andersen", "alice.andersen", "20", "TRD", "1003"),  # R&D lead
    ("1007", "Carina Berg", "carina.berg", "30", "OSL", "1002"),  # controller
    ("1010", "Per Hansen", "per.hansen", "20", "TRD", "1006"),
    ("1011", "Kari Johansen", "kari.johansen", "20", "TRD", "1006"),
    ("1012", "Lars Eriksen", "lars.eriksen", "20", "TRD", "1003"),
    ("1013", "Nina Pedersen", "nina.pedersen", "20", "OSL", "1003"),
    ("1020", "Ole Kristiansen", "ole.kristiansen", "10", "OSL", "1004"),
    ("1021", "Marte Jensen", "marte.jensen", "10", "OSL", "1004"),
    ("1022", "Jonas Karlsen", "jonas.karlsen", "10", "TRD", "1004"),
    ("1030", "Eva Lie", "eva.lie", "30", "OSL", "1002"),
    ("1031", "Tor Berg", "tor.berg", "30", "OSL", "1007"),
    ("1040", "Sofie Lund", "sofie.lund", "40", "TRD", "1005"),
    ("1041", "Anders Dahl", "anders.dahl", "40", "TRD", "1005"),
    ("1042", "Hilde Vik", "hilde.vik", "40", "OSL", "1005"),
    ("1043", "Emil Bakke", "emil.bakke", "40", "TRD", "1005"),
)
CFO, HEAD_OF_RND, HEAD_OF_SALES, HEAD_OF_OPERATIONS = "1002", "1003", "1004", "1005"
RND_LEAD, CONTROLLER_PERSON = "1006", "1007"

# (code, name, project manager, tasks).
PROJECTS: Sequence[tuple[str, str, str, Sequence[tuple[str, str]]]] = (
    (
        "P100",
        "Aurora platform",
        RND_LEAD,
        (("01", "Design"), ("02", "Development"), ("03", "Testing")),
    ),
    (
        "P200",
        "Fjord customer rollout",
        HEAD_OF_SALES,
        (("01", "Planning"), ("02", "Installation")),
    ),
    (
        "P300",
        "Office move Trondheim",
        HEAD_OF_OPERATIONS,
        (("01", "Preparation"), ("02", "Relocation")),
    ),
)

ANY = CostUnitCombinationValue.Match.ANY
UNSPECIFIED = CostUnitCombinationValue.Match.UNSPECIFIED

# Cost-unit combinations: (role, approver, value per segment id: a code, ANY or
# UNSPECIFIED). The first two rows are DOMAIN §2's example: R&D/Beta goes to Alice only,
# any other R&D cost centre to Henry.
COMBINATIONS: Sequence[tuple[str, str, Mapping[int, str]]] = (
    (DEFAULT, RND_LEAD, {1: "20", 2: "B"}),
    (DEFAULT, HEAD_OF_RND, {1: "20", 2: ANY}),
    (DEFAULT, HEAD_OF_SALES, {1: "10", 2: ANY}),
    # Finance postings without a cost centre are the controller's; with one, the CFO's.
    (DEFAULT, CONTROLLER_PERSON, {1: "30", 2: UNSPECIFIED}),
    (DEFAULT, CFO, {1: "30", 2: ANY}),
    (DEFAULT, HEAD_OF_OPERATIONS, {1: "40", 2: ANY}),
    (CONTROLLER, CONTROLLER_PERSON, {1: ANY, 2: ANY}),
)

# (department, role, approver).
DEPARTMENT_APPROVERS = (
    ("10", DEPARTMENT_MANAGER, HEAD_OF_SALES),
    ("20", DEPARTMENT_MANAGER, HEAD_OF_RND),
    ("30", DEPARTMENT_MANAGER, CFO),
    ("40", DEPARTMENT_MANAGER, HEAD_OF_OPERATIONS),
    ("30", CONTROLLER, CONTROLLER_PERSON),
)

# (project, task or None for the whole project, role, approver).
PROJECT_APPROVERS: Sequence[tuple[str, str | None, str, str]] = (
    ("P100", None, DEFAULT, HEAD_OF_RND),
    ("P100", "02", DEFAULT, RND_LEAD),
    ("P200", None, DEFAULT, HEAD_OF_SALES),
    ("P300", None, DEFAULT, HEAD_OF_OPERATIONS),
    ("P300", "02", CONTROLLER, CFO),
)

# (branch, role, approver).
BRANCH_APPROVERS = (
    ("OSL", DEFAULT, CFO),
    ("TRD", DEFAULT, HEAD_OF_OPERATIONS),
    ("TRD", CONTROLLER, CONTROLLER_PERSON),
)

# (requester, role, approver): the head of R&D's own claims go to the CFO, not to the
# rows that would name Henry himself.
REQUESTER_EXCEPTIONS = (
    (HEAD_OF_RND, DEFAULT, CFO),
    (HEAD_OF_RND, DEPARTMENT_MANAGER, CFO),
)

# (principal, substitute): active from the first load, until switched off.
SUBSTITUTIONS = ((HEAD_OF_SALES, HEAD_OF_OPERATIONS),)

ALL_TYPES = tuple(DocumentType.values)


@dataclass(frozen=True)
class DemoLogin:
    """A demo login, its employee (if any) and its roles in the demo company."""

    username: str
    employee_number: str | None = None
    is_system_admin: bool = False
    is_system_viewer: bool = False
    approves: Sequence[str] = ()
    django_superuser: bool = False


LOGINS: Sequence[DemoLogin] = (
    DemoLogin("admin", is_system_admin=True, approves=ALL_TYPES, django_superuser=True),
    DemoLogin("viewer", is_system_viewer=True),
    DemoLogin("cfo", CFO, approves=ALL_TYPES),
    DemoLogin("henry", HEAD_OF_RND, approves=ALL_TYPES),
    DemoLogin("alice", RND_LEAD, approves=ALL_TYPES),
    DemoLogin("carina", CONTROLLER_PERSON, approves=(DocumentType.PURCHASE_INVOICE,)),
    DemoLogin(
        "susan",
        HEAD_OF_SALES,
        approves=(DocumentType.PURCHASE_INVOICE, DocumentType.EXPENSE_CLAIM),
    ),
    # Olav substitutes for Susan, so he holds at least her rights (DOMAIN §5).
    DemoLogin("olav", HEAD_OF_OPERATIONS, approves=ALL_TYPES),
)

M = TypeVar("M", bound=models.Model)


@dataclass
class DemoSummary:
    """What the demo holds, and the context that later demo loaders build on."""

    company: Company
    password: str = DEMO_PASSWORD
    logins: Sequence[DemoLogin] = LOGINS
    roles: dict[str, ApproverRole] = field(default_factory=dict)
    employees: dict[str, Employee] = field(default_factory=dict)
    users: dict[str, AbstractUser] = field(default_factory=dict)
    created: int = 0
    updated: int = 0

    def ensure(
        self,
        model: type[M],
        *,
        defaults: Mapping[str, object] | None = None,
        create_defaults: Mapping[str, object] | None = None,
        **lookup: object,
    ) -> M:
        """The row with this natural key, created or brought up to `defaults`.

        `create_defaults` apply only to a new row and may be callables, evaluated only
        then (as in `update_or_create`). Writes nothing when the row already matches,
        so reloading the demo is a no-op.
        """
        values = dict(defaults or {})
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            for name, value in (create_defaults or {}).items():
                values[name] = value() if callable(value) else value
            obj = model(**lookup, **values)
            obj.full_clean()
            obj.save()
            self.created += 1
            return obj
        changed = [name for name, value in values.items() if _differs(obj, name, value)]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.full_clean()
            if any(f.name == "updated_at" for f in model._meta.concrete_fields):
                changed.append("updated_at")
            obj.save(update_fields=changed)
            self.updated += 1
        return obj


DemoLoader = Callable[[DemoSummary], None]
_loaders: list[DemoLoader] = []


def register_demo_loader(loader: DemoLoader) -> DemoLoader:
    """Run `loader(summary)` after the org units on every demo load (a decorator too)."""
    if loader not in _loaders:
        _loaders.append(loader)
    return loader


@transaction.atomic
def load_demo_company() -> DemoSummary:
    """Create or refresh the demo company, its org units, assignments and logins."""
    company = Company.objects.filter(code=COMPANY_CODE).first()
    created = 0
    if company is None:
        # The same service as `create_company`: a demo tenant starts like any other.
        company = company_create(
            code=COMPANY_CODE, name=COMPANY_NAME, currency=COMPANY_CURRENCY
        )
        created = 2  # the company and its default role
    summary = DemoSummary(company=company, created=created)
    summary.company = summary.ensure(
        Company,
        code=COMPANY_CODE,
        defaults={"name": COMPANY_NAME, "currency": COMPANY_CURRENCY},
    )
    _load_roles(summary)
    _load_cost_units(summary)
    _load_org_units(summary)
    _load_logins(summary)
    _load_employees(summary)
    _load_assignments(summary)
    _load_substitutions(summary)
    _load_preferences(summary)
    for loader in _loaders:
        loader(summary)
    return summary


# --- loaders --------------------------------------------------------------------------

_SYNCED = {"erp_synced": True, "active": True}


def _load_roles(summary: DemoSummary) -> None:
    for name in ROLES:
        summary.roles[name] = summary.ensure(
            ApproverRole,
            company=summary.company,
            name=name,
            defaults={"is_default": name == DEFAULT},
        )


def _load_cost_units(summary: DemoSummary) -> None:
    company = summary.company
    values_by_segment: dict[int, list[str]] = {}
    names: dict[tuple[int, str], str] = {}
    for segment_id, type_name, position, values in SEGMENTS:
        unit_type = summary.ensure(
            CostUnitType,
            company=company,
            segment_id=segment_id,
            defaults={**_SYNCED, "name": type_name, "routing_position": position},
        )
        for code, name in values:
            summary.ensure(
                CostUnit,
                company=company,
                type=unit_type,
                code=code,
                defaults={**_SYNCED, "name": name},
            )
            names[(segment_id, code)] = name
        values_by_segment[segment_id] = [code for code, _ in values]
    # One subaccount per combination of the two segments, numbered as the ERP shows it.
    for first in values_by_segment[1]:
        for second in values_by_segment[2]:
            summary.ensure(
                Subaccount,
                company=company,
                number=f"{first}-{second}",
                defaults={
                    **_SYNCED,
                    "description": f"{names[(1, first)]} / {names[(2, second)]}",
                    "segment_values": {"1": first, "2": second},
                },
            )


def _load_org_units(summary: DemoSummary) -> None:
    company = summary.company
    for code, name in DEPARTMENTS:
        summary.ensure(
            Department, company=company, code=code, defaults={**_SYNCED, "name": name}
        )
    for code, name in BRANCHES:
        summary.ensure(
            Branch, company=company, code=code, defaults={**_SYNCED, "name": name}
        )


def _load_employees(summary: DemoSummary) -> None:
    company = summary.company
    departments = {d.code: d for d in Department.objects.filter(company=company)}
    branches = {b.code: b for b in Branch.objects.filter(company=company)}
    logins = {
        login.employee_number: summary.users[login.username]
        for login in LOGINS
        if login.employee_number
    }
    for number, name, email, department, branch, manager in EMPLOYEES:
        summary.employees[number] = summary.ensure(
            Employee,
            company=company,
            number=number,
            defaults={
                **_SYNCED,
                "name": name,
                "email": f"{email}@{EMAIL_DOMAIN}",
                "department": departments[department] if department else None,
                "branch": branches[branch],
                "manager": summary.employees[manager] if manager else None,
                "manager_source": Employee.ManagerSource.ERP,
                "user": logins.get(number),
            },
        )
    for code, name, manager, tasks in PROJECTS:
        project = summary.ensure(
            Project,
            company=company,
            code=code,
            defaults={**_SYNCED, "name": name, "manager": summary.employees[manager]},
        )
        for task_code, task_name in tasks:
            summary.ensure(
                ProjectTask,
                company=company,
                project=project,
                code=task_code,
                defaults={**_SYNCED, "name": task_name},
            )


def _load_logins(summary: DemoSummary) -> None:
    """Logins and their roles; before the employees, which link to them."""
    user_model = get_user_model()
    people = {number: (name, email) for number, name, email, *_ in EMPLOYEES}
    for login in LOGINS:
        name, email = people.get(login.employee_number or "", ("", login.username))
        first, _, last = name.partition(" ")
        user = summary.ensure(
            user_model,
            username=login.username,
            defaults={
                "email": f"{email}@{EMAIL_DOMAIN}",
                "first_name": first or login.username.capitalize(),
                "last_name": last,
                "is_active": True,
                "is_staff": login.django_superuser,
                "is_superuser": login.django_superuser,
            },
            # Hashed only for a new login: hashing or checking on every run would be
            # slow (PBKDF2), and an existing login keeps whatever password it now has.
            create_defaults={"password": partial(make_password, DEMO_PASSWORD)},
        )
        summary.users[login.username] = user
        summary.ensure(
            Membership,
            company=summary.company,
            user=user,
            defaults={
                "is_system_admin": login.is_system_admin,
                "is_system_viewer": login.is_system_viewer,
                **{
                    field_name: doc_type in login.approves
                    for doc_type, field_name in Membership.APPROVER_FIELD_BY_TYPE.items()
                },
            },
        )


def _load_assignments(summary: DemoSummary) -> None:
    company = summary.company
    roles, people = summary.roles, summary.employees
    _load_combinations(summary)
    departments = {d.code: d for d in Department.objects.filter(company=company)}
    for department, role, approver in DEPARTMENT_APPROVERS:
        summary.ensure(
            DepartmentApprover,
            company=company,
            department=departments[department],
            role=roles[role],
            approver=people[approver],
        )
    projects = {p.code: p for p in Project.objects.filter(company=company)}
    tasks = {
        (t.project.code, t.code): t
        for t in ProjectTask.objects.filter(company=company).select_related("project")
    }
    for project, task, role, approver in PROJECT_APPROVERS:
        summary.ensure(
            ProjectApprover,
            company=company,
            project=projects[project],
            task=tasks[(project, task)] if task else None,
            role=roles[role],
            approver=people[approver],
        )
    branches = {b.code: b for b in Branch.objects.filter(company=company)}
    for branch, role, approver in BRANCH_APPROVERS:
        summary.ensure(
            BranchApprover,
            company=company,
            branch=branches[branch],
            role=roles[role],
            approver=people[approver],
        )
    for requester, role, approver in REQUESTER_EXCEPTIONS:
        summary.ensure(
            RequesterException,
            company=company,
            requester=people[requester],
            role=roles[role],
            approver=people[approver],
        )


def _load_combinations(summary: DemoSummary) -> None:
    """Combination rows have no natural key of their own: their values are the key."""
    company = summary.company
    types = {t.segment_id: t for t in CostUnitType.objects.filter(company=company)}
    units = {
        (u.type.segment_id, u.code): u
        for u in CostUnit.objects.filter(company=company).select_related("type")
    }
    existing: dict[tuple[int, int, frozenset[tuple[int, str, int | None]]], int] = {}
    for row in CostUnitCombination.objects.filter(company=company).prefetch_related(
        "values"
    ):
        key = frozenset((v.type_id, v.match, v.cost_unit_id) for v in row.values.all())
        existing[(row.role_id, row.approver_id, key)] = row.pk
    for role_name, approver_number, cells in COMBINATIONS:
        role, approver = summary.roles[role_name], summary.employees[approver_number]
        wanted = []
        for segment_id, cell in cells.items():
            if cell in (ANY, UNSPECIFIED):
                wanted.append((types[segment_id], str(cell), None))
            else:
                unit = units[(segment_id, cell)]
                wanted.append(
                    (
                        types[segment_id],
                        CostUnitCombinationValue.Match.VALUE.value,
                        unit,
                    )
                )
        key = frozenset(
            (unit_type.pk, match, unit.pk if unit else None)
            for unit_type, match, unit in wanted
        )
        if (role.pk, approver.pk, key) in existing:
            continue
        combination = CostUnitCombination(company=company, role=role, approver=approver)
        combination.full_clean()
        combination.save()
        summary.created += 1
        for unit_type, match, unit in wanted:
            value = CostUnitCombinationValue(
                company=company,
                combination=combination,
                type=unit_type,
                match=match,
                cost_unit=unit,
            )
            value.full_clean()
            value.save()
            summary.created += 1


def _load_substitutions(summary: DemoSummary) -> None:
    # Written directly: the rules (not self, no mutual or chained substitutes) hold for
    # this fixed data, and the row must exist even before any substitution service does.
    for principal, substitute in SUBSTITUTIONS:
        summary.ensure(
            Substitution,
            company=summary.company,
            principal=summary.employees[principal],
            substitute=summary.employees[substitute],
        )


def _load_preferences(summary: DemoSummary) -> None:
    # One approver who prefers to return to the list after each decision, so both
    # after-action behaviours can be tried in the demo.
    summary.ensure(
        UserPreference,
        user=summary.users["alice"],
        # Only when new: reloading the demo must not undo what alice chose since.
        create_defaults={"after_action": UserPreference.AfterAction.LIST},
    )


def _differs(obj: models.Model, name: str, value: object) -> bool:
    """Compare a field with a wanted value; foreign keys by id, without a query."""
    model_field = obj._meta.get_field(name)
    if isinstance(model_field, models.ForeignKey):
        current = getattr(obj, model_field.attname)
        return current != (value.pk if isinstance(value, models.Model) else value)
    return bool(getattr(obj, name) != value)
