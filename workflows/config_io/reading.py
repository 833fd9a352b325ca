"""Import, first half: read and check the whole file, every problem with its path.

Nothing here writes. `parse` turns the file into checked entries that refer to the
company's rows (or to the roles and limits the file itself brings), for `writing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from orgunits.models import (
    BranchApprover,
    CostUnit,
    CostUnitCombinationValue,
    CostUnitType,
    DepartmentApprover,
    DocumentType,
    Employee,
    Membership,
    ProjectApprover,
    RequesterException,
)
from workflows.config_io.checking import Check, Known, role_name
from workflows.config_io.common import ANY, FORMAT, SECTIONS, UNSPECIFIED
from workflows.config_io.workflow_checks import WorkflowEntry, read_workflow

_MEMBERSHIP_FLAGS = {
    "system_admin": "is_system_admin",
    "system_viewer": "is_system_viewer",
}


@dataclass(frozen=True)
class RoleEntry:
    path: str
    name: str
    default: bool


@dataclass(frozen=True)
class LimitEntry:
    path: str
    name: str
    description: str
    amounts: dict[str, Decimal]


@dataclass(frozen=True)
class AssignmentEntry:
    section: str
    path: str
    model: type[models.Model]
    keys: dict[str, Any]  # unit fields (rows) + "approver" (Employee)
    role: str


@dataclass(frozen=True)
class CombinationEntry:
    path: str
    role: str
    approver: Employee
    cells: tuple[tuple[CostUnitType, str, CostUnit | None], ...]


@dataclass(frozen=True)
class MembershipEntry:
    path: str
    user: AbstractBaseUser
    values: dict[str, bool]


@dataclass(frozen=True)
class SubstituteEntry:
    path: str
    principal: Employee
    substitute: Employee
    starts_at: datetime
    ends_at: datetime | None


@dataclass
class Parsed:
    roles: list[RoleEntry] = field(default_factory=list)
    hierarchy: list[CostUnitType] | None = None
    limits: list[LimitEntry] = field(default_factory=list)
    combinations: list[CombinationEntry] = field(default_factory=list)
    assignments: list[AssignmentEntry] = field(default_factory=list)
    memberships: list[MembershipEntry] = field(default_factory=list)
    substitutes: list[SubstituteEntry] = field(default_factory=list)
    workflows: list[WorkflowEntry] = field(default_factory=list)


def parse(data: object, known: Known, check: Check) -> Parsed:
    parsed = Parsed()
    root = check.mapping(
        data, "(file)", required=("format",), optional=("company", *SECTIONS)
    )
    if root is None:
        return parsed
    if "format" in root and root["format"] != FORMAT:
        check.fail("format", f'expected "{FORMAT}", got {root["format"]!r}')

    defaults = 0
    for path, item in check.items(root.get("approver_roles"), "approver_roles"):
        entry = check.mapping(item, path, required=("name",), optional=("default",))
        if entry is None:
            continue
        name = check.text(entry.get("name"), f"{path}.name")
        default = check.flag(entry.get("default"), f"{path}.default", False)
        defaults += default
        if name is not None:
            if name in known.file_roles:
                check.fail(f"{path}.name", f'role "{name}" is listed twice')
            known.file_roles.add(name)
            parsed.roles.append(RoleEntry(path, name, default))
    if defaults > 1:
        check.fail("approver_roles", "only one role can be the default")

    if "cost_unit_hierarchy" in root:
        parsed.hierarchy = []
        for path, item in check.items(
            root["cost_unit_hierarchy"], "cost_unit_hierarchy"
        ):
            unit_type = check.lookup(
                known.types, item, path, "cost unit type (segment id)", numeric=True
            )
            if unit_type is not None and unit_type in parsed.hierarchy:
                check.fail(path, f"segment {unit_type.segment_id} is listed twice")
            elif unit_type is not None:
                parsed.hierarchy.append(unit_type)

    for path, item in check.items(root.get("limits"), "limits"):
        entry = check.mapping(
            item, path, required=("name", "amounts"), optional=("description",)
        )
        if entry is None:
            continue
        name = check.text(entry.get("name"), f"{path}.name")
        amounts = _amounts(entry.get("amounts"), f"{path}.amounts", check)
        if name is not None:
            if name in known.file_limits:
                check.fail(f"{path}.name", f'limit "{name}" is listed twice')
            known.file_limits.add(name)
            description = str(entry.get("description") or "")
            parsed.limits.append(LimitEntry(path, name, description, amounts))

    for path, item in check.items(
        root.get("cost_unit_approvers"), "cost_unit_approvers"
    ):
        if combination := _combination(item, path, known, check):
            parsed.combinations.append(combination)

    units: Sequence[
        tuple[str, type[models.Model], Sequence[tuple[str, str, Mapping[str, Any]]]]
    ] = (
        (
            "department_approvers",
            DepartmentApprover,
            (("department", "department", known.departments),),
        ),
        ("branch_approvers", BranchApprover, (("branch", "branch", known.branches),)),
        (
            "requester_exceptions",
            RequesterException,
            (("requester", "employee", known.employees),),
        ),
    )
    for section, model, unit_fields in units:
        for path, item in check.items(root.get(section), section):
            if assignment := _assignment(
                section, model, item, path, unit_fields, known, check
            ):
                parsed.assignments.append(assignment)
    for path, item in check.items(root.get("project_approvers"), "project_approvers"):
        if assignment := _project_assignment(item, path, known, check):
            parsed.assignments.append(assignment)

    for path, item in check.items(root.get("memberships"), "memberships"):
        if membership := _membership(item, path, known, check):
            parsed.memberships.append(membership)

    for path, item in check.items(root.get("substitutes"), "substitutes"):
        if substitute := _substitute(item, path, known, check):
            parsed.substitutes.append(substitute)

    seen: set[tuple[str, str]] = set()
    active_types: set[str] = set()
    for path, item in check.items(root.get("workflows"), "workflows"):
        entry = read_workflow(item, path, known, check)
        if entry is None:
            continue
        key = (entry.document_type, entry.name)
        if key in seen:
            check.fail(f"{path}.name", f'workflow "{entry.name}" is listed twice')
        seen.add(key)
        if entry.active and entry.document_type in active_types:
            check.fail(
                f"{path}.active",
                f"only one {entry.document_type} workflow can be active",
            )
        if entry.active:
            active_types.add(entry.document_type)
        parsed.workflows.append(entry)
    return parsed


def _amounts(value: object, path: str, check: Check) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    if not isinstance(value, Mapping) or not value:
        check.fail(
            path, 'expected at least one currency: amount (e.g. NOK: "10000.00")'
        )
        return amounts
    for currency, raw in value.items():
        code = str(currency).strip().upper()
        if len(code) != 3 or not code.isalpha() or not code.isascii():
            check.fail(f"{path}.{currency}", "is not a three-letter currency code")
            continue
        try:
            amount = Decimal(str(raw)).quantize(Decimal("0.01"))
        except InvalidOperation:
            check.fail(f"{path}.{currency}", f"{raw!r} is not an amount")
            continue
        if isinstance(raw, bool) or not amount.is_finite() or amount < 0:
            check.fail(f"{path}.{currency}", f"{raw!r} is not an amount of 0 or more")
            continue
        amounts[code] = amount
    return amounts


def _combination(
    item: object, path: str, known: Known, check: Check
) -> CombinationEntry | None:
    entry = check.mapping(item, path, required=("role", "approver", "values"))
    if entry is None:
        return None
    role = role_name(entry.get("role"), f"{path}.role", known, check)
    approver = check.lookup(
        known.employees, entry.get("approver"), f"{path}.approver", "employee"
    )
    values = entry.get("values")
    if not isinstance(values, Mapping):
        check.fail(f"{path}.values", "expected segment id: code, Any or (unspecified)")
        return None
    cells: list[tuple[CostUnitType, str, CostUnit | None]] = []
    for segment, cell in values.items():
        cell_path = f"{path}.values.{segment}"
        unit_type = check.lookup(
            known.types, segment, cell_path, "cost unit type (segment id)", numeric=True
        )
        if unit_type is None:
            continue
        literal = isinstance(cell, Mapping)
        if literal:
            cell = check.mapping(cell, cell_path, required=("code",)) or {}
            cell = cell.get("code")
        if not literal and cell == ANY:
            cells.append((unit_type, CostUnitCombinationValue.Match.ANY.value, None))
        elif not literal and cell == UNSPECIFIED:
            cells.append(
                (unit_type, CostUnitCombinationValue.Match.UNSPECIFIED.value, None)
            )
        else:
            code = check.text(cell, cell_path, what="a cost unit code")
            unit = known.units.get((str(unit_type.segment_id), code or ""))
            if code is not None and unit is None:
                check.fail(
                    cell_path,
                    f'unknown cost unit "{code}" in segment {unit_type.segment_id}',
                )
            if unit is not None:
                cells.append(
                    (unit_type, CostUnitCombinationValue.Match.VALUE.value, unit)
                )
    if role is None or approver is None:
        return None
    return CombinationEntry(path, role, approver, tuple(cells))


def _assignment(
    section: str,
    model: type[models.Model],
    item: object,
    path: str,
    unit_fields: Sequence[tuple[str, str, Mapping[str, Any]]],
    known: Known,
    check: Check,
) -> AssignmentEntry | None:
    entry = check.mapping(
        item, path, required=("role", "approver", *(f for f, _, _ in unit_fields))
    )
    if entry is None:
        return None
    keys: dict[str, Any] = {}
    for name, what, table in unit_fields:
        keys[name] = check.lookup(table, entry.get(name), f"{path}.{name}", what)
    keys["approver"] = check.lookup(
        known.employees, entry.get("approver"), f"{path}.approver", "employee"
    )
    role = role_name(entry.get("role"), f"{path}.role", known, check)
    if role is None or any(v is None for v in keys.values()):
        return None
    return AssignmentEntry(section, path, model, keys, role)


def _project_assignment(
    item: object, path: str, known: Known, check: Check
) -> AssignmentEntry | None:
    entry = check.mapping(
        item, path, required=("project", "role", "approver"), optional=("task",)
    )
    if entry is None:
        return None
    project = check.lookup(
        known.projects, entry.get("project"), f"{path}.project", "project"
    )
    task = None
    if entry.get("task") not in (None, ""):
        code = check.text(entry["task"], f"{path}.task")
        task = known.tasks.get((project.code if project else "", code or ""))
        if project is not None and code is not None and task is None:
            check.fail(
                f"{path}.task", f'unknown task "{code}" of project {project.code}'
            )
            return None
    approver = check.lookup(
        known.employees, entry.get("approver"), f"{path}.approver", "employee"
    )
    role = role_name(entry.get("role"), f"{path}.role", known, check)
    if project is None or approver is None or role is None:
        return None
    keys = {"project": project, "task": task, "approver": approver}
    return AssignmentEntry("project_approvers", path, ProjectApprover, keys, role)


def _membership(
    item: object, path: str, known: Known, check: Check
) -> MembershipEntry | None:
    entry = check.mapping(
        item, path, required=("username",), optional=(*_MEMBERSHIP_FLAGS, "approves")
    )
    if entry is None:
        return None
    user = check.lookup(known.users, entry.get("username"), f"{path}.username", "user")
    values = {
        model_field: check.flag(entry.get(key), f"{path}.{key}", False)
        for key, model_field in _MEMBERSHIP_FLAGS.items()
    }
    approves = set()
    for type_path, doc_type in check.items(entry.get("approves"), f"{path}.approves"):
        if doc_type not in DocumentType.values:
            check.fail(
                type_path,
                f"unknown document type {doc_type!r}; expected one of {', '.join(DocumentType.values)}",
            )
        approves.add(doc_type)
    for doc_type, model_field in Membership.APPROVER_FIELD_BY_TYPE.items():
        values[model_field] = doc_type in approves
    return MembershipEntry(path, user, values) if user is not None else None


def _substitute(
    item: object, path: str, known: Known, check: Check
) -> SubstituteEntry | None:
    entry = check.mapping(
        item,
        path,
        required=("principal", "substitute", "starts_at"),
        optional=("ends_at",),
    )
    if entry is None:
        return None
    principal = check.lookup(
        known.employees, entry.get("principal"), f"{path}.principal", "employee"
    )
    substitute = check.lookup(
        known.employees, entry.get("substitute"), f"{path}.substitute", "employee"
    )
    starts_at = check.moment(entry.get("starts_at"), f"{path}.starts_at")
    ends_at = None
    if entry.get("ends_at") is not None:
        ends_at = check.moment(entry["ends_at"], f"{path}.ends_at")
    if principal is None or substitute is None or starts_at is None:
        return None
    return SubstituteEntry(path, principal, substitute, starts_at, ends_at)
