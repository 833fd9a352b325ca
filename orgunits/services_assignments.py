"""Writes to the approver setup the administrator owns: roles, unit assignments,
requester exceptions and the cost-unit routing order (DOMAIN §2).

The units themselves come from the ERP; only who approves for them, and which segment
types take part in routing, are set here. Changes are not retroactive: open tasks keep
their assignee, new tasks use the new setup. Every service refuses rows of another
company (DOMAIN §1) and everyone but a system administrator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    Branch,
    BranchApprover,
    Company,
    CompanyScopedModel,
    CostUnitType,
    Department,
    DepartmentApprover,
    Employee,
    Project,
    ProjectApprover,
    ProjectTask,
    RequesterException,
)
from orgunits.services import _require_system_admin

Assignment = DepartmentApprover | ProjectApprover | BranchApprover | RequesterException
A = TypeVar(
    "A", DepartmentApprover, ProjectApprover, BranchApprover, RequesterException
)


def require_same_company(
    *, company: Company, **rows: CompanyScopedModel | None
) -> None:
    """Refuse any named row of another company (its name goes into the message)."""
    for name, row in rows.items():
        if row is not None and row.company_id != company.pk:
            raise ApplicationError(
                f"The {name.replace('_', ' ')} belongs to another company.",
                extra={"code": "other_company", "field": name},
            )


def _locked_or_gone(row: A) -> A:
    locked = type(row).objects.select_for_update().filter(pk=row.pk).first()
    if locked is None:
        raise ApplicationError(
            "This row was deleted in the meantime; nothing was saved.",
            extra={"code": "assignment_gone"},
        )
    return locked


def _save_assignment(row: A, *, existing: A | None, **values: object) -> A:
    """Apply `values` to the (locked) existing row or the new one, check, save."""
    target = _locked_or_gone(existing) if existing is not None else row
    for name, value in values.items():
        setattr(target, name, value)
    clash = type(target).objects.filter(**values)
    if target.pk is not None:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise ApplicationError(
            "This approver already has this role here; the row already exists.",
            extra={"code": "assignment_duplicate"},
        )
    # full_clean runs the unique constraints: the same approver twice with the same
    # role for one unit is refused in words, not by the database.
    target.full_clean()
    try:
        # A savepoint, so a concurrent duplicate leaves the caller's transaction usable.
        with transaction.atomic():
            target.save()
    except IntegrityError as error:
        raise ApplicationError(
            "The same approver was just assigned by someone else; nothing was saved.",
            extra={"code": "assignment_duplicate"},
        ) from error
    return target


# --- unit assignments -------------------------------------------------------------------


@transaction.atomic
def department_approver_save(
    *,
    company: Company,
    assignment: DepartmentApprover | None,
    department: Department,
    role: ApproverRole,
    approver: Employee,
    actor: AbstractBaseUser,
) -> DepartmentApprover:
    """Create (assignment None) or change a department approver. Raises
    ApplicationError (not_system_admin, other_company, assignment_gone,
    assignment_duplicate) or ValidationError (the same row exists)."""
    _require_system_admin(company=company, actor=actor)
    require_same_company(
        company=company,
        assignment=assignment,
        department=department,
        role=role,
        approver=approver,
    )
    return _save_assignment(
        DepartmentApprover(company=company),
        existing=assignment,
        department=department,
        role=role,
        approver=approver,
    )


@transaction.atomic
def project_approver_save(
    *,
    company: Company,
    assignment: ProjectApprover | None,
    project: Project,
    task: ProjectTask | None,
    role: ApproverRole,
    approver: Employee,
    actor: AbstractBaseUser,
) -> ProjectApprover:
    """Create or change a project approver, for the whole project or one of its tasks.
    Raises as `department_approver_save`, and project_task_mismatch."""
    _require_system_admin(company=company, actor=actor)
    require_same_company(
        company=company,
        assignment=assignment,
        project=project,
        task=task,
        role=role,
        approver=approver,
    )
    if task is not None and task.project_id != project.pk:
        raise ApplicationError(
            f"Task {task.code} belongs to another project than {project.code}.",
            extra={"code": "project_task_mismatch", "field": "task"},
        )
    return _save_assignment(
        ProjectApprover(company=company),
        existing=assignment,
        project=project,
        task=task,
        role=role,
        approver=approver,
    )


@transaction.atomic
def branch_approver_save(
    *,
    company: Company,
    assignment: BranchApprover | None,
    branch: Branch,
    role: ApproverRole,
    approver: Employee,
    actor: AbstractBaseUser,
) -> BranchApprover:
    """Create or change a branch approver. Raises as `department_approver_save`."""
    _require_system_admin(company=company, actor=actor)
    require_same_company(
        company=company,
        assignment=assignment,
        branch=branch,
        role=role,
        approver=approver,
    )
    return _save_assignment(
        BranchApprover(company=company),
        existing=assignment,
        branch=branch,
        role=role,
        approver=approver,
    )


@transaction.atomic
def requester_exception_save(
    *,
    company: Company,
    assignment: RequesterException | None,
    requester: Employee,
    role: ApproverRole,
    approver: Employee,
    actor: AbstractBaseUser,
) -> RequesterException:
    """Create or change an exception: for `requester`, `approver` approves in `role`
    instead of the general rule. Raises as `department_approver_save`, and
    requester_exception_self (nobody approves their own documents)."""
    _require_system_admin(company=company, actor=actor)
    require_same_company(
        company=company,
        assignment=assignment,
        requester=requester,
        role=role,
        approver=approver,
    )
    if requester.pk == approver.pk:
        raise ApplicationError(
            f"{requester.name} cannot be the exception approver of their own documents.",
            extra={"code": "requester_exception_self", "field": "approver"},
        )
    return _save_assignment(
        RequesterException(company=company),
        existing=assignment,
        requester=requester,
        role=role,
        approver=approver,
    )


@transaction.atomic
def assignment_delete(*, assignment: Assignment, actor: AbstractBaseUser) -> None:
    """Delete one assignment or exception; deleting one already gone does nothing.

    Not retroactive: tasks already assigned stay with their approver (DOMAIN §2).
    """
    _require_system_admin(company=assignment.company, actor=actor)
    type(assignment).objects.filter(pk=assignment.pk).delete()


# --- approver roles -----------------------------------------------------------------------


def _clean_role_name(*, company: Company, name: str, exclude_pk: int | None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ApplicationError(
            "A role needs a name.", extra={"code": "approver_role_name_empty"}
        )
    if len(name) > ApproverRole._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ApplicationError(
            "The role name is too long.", extra={"code": "approver_role_name_long"}
        )
    # Case-insensitive: "Controller" and "controller" would look like one role in a step.
    clash = ApproverRole.objects.filter(company=company, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(
            f"A role called “{name}” exists already.",
            extra={"code": "approver_role_name_taken"},
        )
    return name


@transaction.atomic
def approver_role_create(
    *, company: Company, name: str, actor: AbstractBaseUser
) -> ApproverRole:
    """Add a role. Raises ApplicationError: not_system_admin, approver_role_name_empty,
    approver_role_name_long, approver_role_name_taken."""
    _require_system_admin(company=company, actor=actor)
    # Lock the company row: two "create Controller" requests run one after the other.
    Company.objects.select_for_update().filter(pk=company.pk).first()
    clean = _clean_role_name(company=company, name=name, exclude_pk=None)
    return ApproverRole.objects.create(company=company, name=clean)


@transaction.atomic
def approver_role_rename(
    *, role: ApproverRole, name: str, actor: AbstractBaseUser
) -> ApproverRole:
    """Rename a role (the default one too: it stays the default). Raises as create."""
    _require_system_admin(company=role.company, actor=actor)
    Company.objects.select_for_update().filter(pk=role.company_id).first()
    locked = ApproverRole.objects.select_for_update().filter(pk=role.pk).first()
    if locked is None:
        raise ApplicationError(
            "This role was deleted in the meantime.", extra={"code": "assignment_gone"}
        )
    locked.name = _clean_role_name(
        company=role.company, name=name, exclude_pk=locked.pk
    )
    locked.save(update_fields=["name", "updated_at"])
    return locked


# --- cost unit types ----------------------------------------------------------------------


@transaction.atomic
def cost_unit_type_set_routing_order(
    *, company: Company, ordered_type_ids: Sequence[int], actor: AbstractBaseUser
) -> list[CostUnitType]:
    """Make exactly these types route, in this order (the first is the top, position 1).

    Types left out stop routing; their combination values are kept (the resolver
    ignores them) so selecting the type again brings the rows back as they were.
    Raises ApplicationError: not_system_admin, cost_unit_type_unknown,
    cost_unit_type_repeated.
    """
    _require_system_admin(company=company, actor=actor)
    if len(set(ordered_type_ids)) != len(ordered_type_ids):
        raise ApplicationError(
            "A cost unit type can take only one place in the order.",
            extra={"code": "cost_unit_type_repeated"},
        )
    # Lock every type of the company: two reorderings must not interleave.
    types = {
        t.pk: t
        for t in CostUnitType.objects.select_for_update()
        .filter(company=company)
        .order_by("pk")
    }
    unknown = [pk for pk in ordered_type_ids if pk not in types]
    if unknown:
        raise ApplicationError(
            "A cost unit type in the order does not belong to this company.",
            extra={"code": "cost_unit_type_unknown"},
        )
    # Positions are unique per company and the constraint is not deferred: clear them
    # all before writing the new ones.
    CostUnitType.objects.filter(company=company).update(routing_position=None)
    for position, pk in enumerate(ordered_type_ids, start=1):
        CostUnitType.objects.filter(pk=pk).update(routing_position=position)
        types[pk].routing_position = position
    for pk, unit_type in types.items():
        if pk not in ordered_type_ids:
            unit_type.routing_position = None
    return [types[pk] for pk in ordered_type_ids]


@transaction.atomic
def cost_unit_type_update(
    *, cost_unit_type: CostUnitType, name: str, active: bool, actor: AbstractBaseUser
) -> CostUnitType:
    """Rename or (de)activate a type created in Signoff; synced ones belong to the ERP.

    Raises ApplicationError: not_system_admin, cost_unit_type_synced,
    cost_unit_type_name_empty, assignment_gone.
    """
    _require_system_admin(company=cost_unit_type.company, actor=actor)
    locked = (
        CostUnitType.objects.select_for_update().filter(pk=cost_unit_type.pk).first()
    )
    if locked is None:
        raise ApplicationError(
            "This cost unit type was deleted in the meantime.",
            extra={"code": "assignment_gone"},
        )
    if locked.erp_synced:
        raise ApplicationError(
            f"“{locked.name}” is synced from the ERP: change it there.",
            extra={"code": "cost_unit_type_synced"},
        )
    clean = " ".join(name.split())
    if not clean:
        raise ApplicationError(
            "A cost unit type needs a name.",
            extra={"code": "cost_unit_type_name_empty"},
        )
    locked.name, locked.active = clean, active
    locked.full_clean()
    locked.save(update_fields=["name", "active", "updated_at"])
    return locked
