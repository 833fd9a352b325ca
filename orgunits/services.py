"""Writes to org data that Signoff owns: substitutes, approver roles, local managers.

ERP-owned rows (units, employees' ERP fields) change only through the sync services; these
services change what people set inside Signoff (DOMAIN §2, §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    Company,
    DocumentType,
    Employee,
    Membership,
    Substitution,
)
from orgunits.selectors import approver_role_usage


@dataclass(frozen=True)
class SubstitutionResult:
    """The saved substitution, warnings to show (never blocking), rows it replaced."""

    substitution: Substitution
    warnings: tuple[str, ...] = ()
    replaced_ids: tuple[int, ...] = ()


# --- guards shared by the services -----------------------------------------------------


def _is_system_admin(*, company: Company, actor: AbstractBaseUser) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    return Membership.objects.filter(
        company=company, user_id=actor.pk, is_system_admin=True
    ).exists()


def _require_system_admin(*, company: Company, actor: AbstractBaseUser) -> None:
    if not _is_system_admin(company=company, actor=actor):
        raise ApplicationError(
            f"Only a system administrator of {company.name} can do this.",
            extra={"code": "not_system_admin"},
        )


def _require_self_or_admin(
    *, company: Company, principal: Employee, actor: AbstractBaseUser
) -> None:
    """Substitutes are self-service; administrators may set them for anyone (§5)."""
    if principal.user_id is not None and principal.user_id == actor.pk:
        return
    if _is_system_admin(company=company, actor=actor):
        return
    raise ApplicationError(
        "You can only set your own substitute; a system administrator can set "
        "substitutes for others.",
        extra={"code": "substitution_not_allowed"},
    )


def _lock_employees(ids: Sequence[int]) -> dict[int, Employee]:
    """Lock the employee rows in id order and return them as now committed.

    Every substitution write locks its principal and substitute first, and every overlap
    rule below only reads rows whose principal is one of those two, so two requests that
    could together break a rule (A→B and B→A at once) queue on a shared row instead of
    both passing their checks. Id order makes every request take the locks in the same
    order, which rules out deadlocks between them.
    """
    rows = Employee.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {row.pk: row for row in rows}


def _format_period(starts_at: datetime, ends_at: datetime | None) -> str:
    start = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
    if ends_at is None:
        return f"from {start} with no end date"
    end = timezone.localtime(ends_at).strftime("%Y-%m-%d %H:%M")
    return f"from {start} to {end}"


def _missing_rights(
    *, company: Company, principal: Employee, substitute: Employee
) -> list[str]:
    """Readable warnings for approver rights the principal holds and the substitute lacks."""
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            company=company,
            user_id__in=[u for u in (principal.user_id, substitute.user_id) if u],
        )
    }
    held = memberships.get(principal.user_id) if principal.user_id else None
    if held is None or not held.approvable_types:
        return []
    if substitute.user_id is None:
        return [
            f"{substitute.name} has no login, so they cannot act on any of "
            f"{principal.name}'s tasks."
        ]
    theirs = memberships.get(substitute.user_id)
    warnings = []
    for doc_type in held.approvable_types:
        if theirs is None or not theirs.may_approve(doc_type):
            label = str(DocumentType(doc_type).label).lower()
            warnings.append(
                f"{substitute.name} is not allowed to approve {label} documents, "
                f"which {principal.name} approves: those tasks will be blocked for "
                f"{substitute.name}."
            )
    return warnings


# --- substitutes -----------------------------------------------------------------------


@transaction.atomic
def substitution_set(
    *,
    company: Company,
    principal: Employee,
    substitute: Employee,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    actor: AbstractBaseUser,
    replace_current: bool = False,
) -> SubstitutionResult:
    """Make `substitute` stand in for `principal` (DOMAIN §5).

    "Active now" is `starts_at=None` (now) with no end; "active in a period" passes the
    dates, the end may stay open. Creates a Substitution row. With `replace_current`
    (self-service "set my substitute"), the principal's substitutions that overlap the new
    period are replaced first: one already running ends where the new one starts, the
    others are deleted. Raises ApplicationError with `extra["code"]`: substitution_not_allowed,
    substitution_self, substitution_other_company, substitution_substitute_inactive,
    substitution_end_not_after_start, substitution_ends_in_past, substitution_mutual,
    substitution_substitute_has_substitute, substitution_principal_has_substitute.
    Missing approver rights are returned as warnings, not raised.
    """
    now = timezone.now()
    starts_at = starts_at or now
    _require_self_or_admin(company=company, principal=principal, actor=actor)

    if principal.pk == substitute.pk:
        raise ApplicationError(
            "A person cannot be their own substitute.",
            extra={"code": "substitution_self"},
        )
    if principal.company_id != company.pk or substitute.company_id != company.pk:
        raise ApplicationError(
            f"{principal.name} and {substitute.name} must both work in {company.name}: "
            "a substitute is always a colleague in the same company.",
            extra={"code": "substitution_other_company"},
        )
    if ends_at is not None and ends_at <= starts_at:
        raise ApplicationError(
            "The end of the substitution must be after its start.",
            extra={"code": "substitution_end_not_after_start"},
        )
    if ends_at is not None and ends_at <= now:
        raise ApplicationError(
            "The substitution period has already ended; choose an end in the future.",
            extra={"code": "substitution_ends_in_past"},
        )

    locked = _lock_employees(sorted((principal.pk, substitute.pk)))
    # Re-read after the lock: the rules below must see what is committed now.
    principal, substitute = locked[principal.pk], locked[substitute.pk]
    if not substitute.active:
        raise ApplicationError(
            f"{substitute.name} is inactive and cannot be a substitute.",
            extra={"code": "substitution_substitute_inactive"},
        )

    overlapping = Substitution.objects.filter(company=company).overlapping(
        starts_at=starts_at, ends_at=ends_at
    )
    mutual = overlapping.filter(principal=substitute, substitute=principal).first()
    if mutual is not None:
        raise ApplicationError(
            f"{substitute.name} has {principal.name} as their own substitute "
            f"{_format_period(mutual.starts_at, mutual.ends_at)}; two people cannot "
            "substitute for each other in overlapping periods.",
            extra={"code": "substitution_mutual"},
        )
    theirs = (
        overlapping.filter(principal=substitute).select_related("substitute").first()
    )
    if theirs is not None:
        raise ApplicationError(
            f"{substitute.name} has a substitute of their own ({theirs.substitute.name}) "
            f"{_format_period(theirs.starts_at, theirs.ends_at)}; choose someone who "
            "is available in that period.",
            extra={"code": "substitution_substitute_has_substitute"},
        )

    current = list(overlapping.filter(principal=principal).select_related("substitute"))
    replaced_ids: list[int] = []
    if current and not replace_current:
        other = current[0]
        raise ApplicationError(
            f"{principal.name} already has {other.substitute.name} as substitute "
            f"{_format_period(other.starts_at, other.ends_at)}; end that substitution "
            "first or choose a period that does not overlap it.",
            extra={"code": "substitution_principal_has_substitute"},
        )
    for row in current:
        replaced_ids.append(row.pk)
        if row.starts_at < starts_at:
            row.ends_at = starts_at
            row.save(update_fields=["ends_at", "updated_at"])
        else:
            row.delete()

    substitution = Substitution(
        company=company,
        principal=principal,
        substitute=substitute,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    substitution.full_clean()
    substitution.save()
    warnings = _missing_rights(
        company=company, principal=principal, substitute=substitute
    )
    return SubstitutionResult(
        substitution=substitution,
        warnings=tuple(warnings),
        replaced_ids=tuple(replaced_ids),
    )


@transaction.atomic
def substitution_end(
    *,
    substitution: Substitution,
    actor: AbstractBaseUser,
    at: datetime | None = None,
) -> Substitution | None:
    """Switch a substitution off at `at` (now): sets `ends_at`, or deletes the row if it
    has not started by then and returns None. Ending one that already ended returns it
    unchanged. Raises ApplicationError (substitution_not_allowed) for other people's
    substitutions unless the actor is a system administrator.
    """
    moment = at or timezone.now()
    _require_self_or_admin(
        company=substitution.company, principal=substitution.principal, actor=actor
    )
    # Lock the principal like substitution_set does, so an end and a new substitution
    # for the same person are applied one after the other.
    _lock_employees([substitution.principal_id])
    row = Substitution.objects.select_for_update().filter(pk=substitution.pk).first()
    if row is None:
        return None
    if row.ends_at is not None and row.ends_at <= moment:
        return row
    if row.starts_at >= moment:
        row.delete()
        return None
    row.ends_at = moment
    row.save(update_fields=["ends_at", "updated_at"])
    return row


# --- approver roles --------------------------------------------------------------------


@transaction.atomic
def approver_role_delete(
    *, role: ApproverRole, actor: AbstractBaseUser
) -> dict[str, int]:
    """Delete the role and every row that selects by it (assignments, workflow rules).

    Returns the counts per kind that were deleted (as `approver_role_usage` showed them
    before). Not retroactive: open tasks keep their assignee (DOMAIN §2). Raises
    ApplicationError: not_system_admin, approver_role_default (the built-in default role
    stays), approver_role_in_use (a row protects the role from deletion).
    """
    _require_system_admin(company=role.company, actor=actor)
    locked = ApproverRole.objects.select_for_update().get(pk=role.pk)
    if locked.is_default:
        raise ApplicationError(
            f"“{locked.name}” is the default approver role and cannot be deleted.",
            extra={"code": "approver_role_default"},
        )
    counts = approver_role_usage(role=locked)
    try:
        locked.delete()
    except (ProtectedError, RestrictedError) as error:
        raise ApplicationError(
            f"“{locked.name}” is still used by rows that must be changed first.",
            extra={"code": "approver_role_in_use", "counts": counts},
        ) from error
    return counts


# --- employees -------------------------------------------------------------------------


@transaction.atomic
def employee_set_manager(
    *, employee: Employee, manager: Employee | None, actor: AbstractBaseUser
) -> Employee:
    """Set (or clear, with None) the employee's nearest manager locally.

    Marks the manager as set in Signoff. Raises ApplicationError: not_system_admin,
    employee_manager_self, employee_manager_other_company, employee_manager_inactive,
    employee_manager_cycle.
    """
    _require_system_admin(company=employee.company, actor=actor)
    if manager is not None:
        if manager.pk == employee.pk:
            raise ApplicationError(
                f"{employee.name} cannot be their own nearest manager.",
                extra={"code": "employee_manager_self"},
            )
        if manager.company_id != employee.company_id:
            raise ApplicationError(
                f"{manager.name} works in another company and cannot be "
                f"{employee.name}'s nearest manager.",
                extra={"code": "employee_manager_other_company"},
            )
    # Lock both ends of the new edge: two changes that would close a loop together
    # (A reports to B, B reports to A) share a row and run one after the other.
    ids = [employee.pk] if manager is None else [employee.pk, manager.pk]
    locked = _lock_employees(sorted(ids))
    employee = locked[employee.pk]
    if manager is not None:
        manager = locked[manager.pk]
        if not manager.active:
            raise ApplicationError(
                f"{manager.name} is inactive and cannot be a nearest manager.",
                extra={"code": "employee_manager_inactive"},
            )
        reports_to = dict(
            Employee.objects.filter(company_id=employee.company_id).values_list(
                "pk", "manager_id"
            )
        )
        # Walk up from the new manager; reaching the employee means a loop. `seen`
        # stops the walk on a loop that already exists in the synced data.
        step: int | None = manager.pk
        seen: set[int] = set()
        while step is not None and step not in seen:
            if step == employee.pk:
                raise ApplicationError(
                    f"{manager.name} already reports to {employee.name} (directly or "
                    "through others), so this would make a loop of managers.",
                    extra={"code": "employee_manager_cycle"},
                )
            seen.add(step)
            step = reports_to.get(step)
    employee.manager = manager
    employee.manager_source = Employee.ManagerSource.LOCAL
    employee.save(update_fields=["manager", "manager_source", "updated_at"])
    return employee
