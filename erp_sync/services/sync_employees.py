"""Employee sync: upsert employees and link them to (inactive, uninvited) logins.

See `erp_sync.services.sync` for the rules every sync follows.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from erp_sync.services.sync_rows import EmployeeRow, OrgRef
from erp_sync.services.upsert import (
    KEEP,
    WRITE_BATCH,
    Desired,
    Keep,
    RowErrors,
    SyncResult,
    check_unique,
    chunks,
    load_by,
    lock_company_for_sync,
    name_or_keep,
    present,
    upsert,
)
from orgunits.models import Branch, Company, Department, Employee

User = get_user_model()
_username_validator = UnicodeUsernameValidator()


def employees_upsert_from_erp(
    *, company: Company, rows: Sequence[EmployeeRow]
) -> SyncResult:
    """Upsert employees; link each one with a login or e-mail to a Django user.

    The username is the lower-cased login, else the lower-cased e-mail. An existing user
    with that username is linked as it is (its password, flags and memberships are never
    touched); otherwise a user is created inactive with an unusable password ("inactive
    until invited"). No membership or role is granted. Unknown departments and branches
    are created minimal. Raises ValidationError: duplicate employee numbers, a username
    Django cannot take, two employees claiming one login, or a login already linked to
    another employee of the company.
    """
    errors = RowErrors()
    check_unique(
        ((f"[{i}].employeeNumber", row.number) for i, row in enumerate(rows)),
        errors,
        "employeeNumber",
    )
    wanted_usernames: dict[int, str] = {}
    sources: dict[int, str] = {}
    for i, row in enumerate(rows):
        found = _username_for(row)
        if found is None:
            continue
        username, sources[i] = found
        path = f"[{i}].{sources[i]}"
        try:
            _username_validator(username)
        except ValidationError:
            errors.add(
                path,
                f"“{username}” cannot be used as a login name (letters, digits and "
                "@ . + - _ only, at most 150 characters).",
                code="invalid_login",
            )
            continue
        if len(username) > 150:
            errors.add(
                path, "A login name has at most 150 characters.", "invalid_login"
            )
            continue
        wanted_usernames[i] = username
    check_unique(
        ((f"[{i}].{sources[i]}", username) for i, username in wanted_usernames.items()),
        errors,
        "login",
    )
    errors.raise_if_any()

    result = SyncResult()
    now = timezone.now()
    with transaction.atomic(durable=True):
        lock_company_for_sync(company)
        users = _existing_users(set(wanted_usernames.values()))
        _check_links(
            company=company,
            rows=rows,
            wanted=wanted_usernames,
            sources=sources,
            users=users,
        )
        users.update(
            _create_users(
                rows=rows,
                wanted={i: u for i, u in wanted_usernames.items() if u not in users},
            )
        )
        departments = _ensure_org_refs(
            model=Department,
            company=company,
            refs=[row.department for row in rows if isinstance(row.department, OrgRef)],
            now=now,
        )
        branches = _ensure_org_refs(
            model=Branch,
            company=company,
            refs=[row.branch for row in rows if isinstance(row.branch, OrgRef)],
            now=now,
        )
        existing = {
            employee.number: employee
            for employee in load_by(
                Employee.objects.filter(company=company),
                "number",
                [r.number for r in rows],
            )
        }
        _release_moving_links(
            rows=rows, existing=existing, wanted=wanted_usernames, users=users
        )
        desired = []
        for i, row in enumerate(rows):
            username = wanted_usernames.get(i)
            desired.append(
                Desired(
                    key=row.number,
                    values=present(
                        name=name_or_keep(row.name),
                        email=row.email,
                        erp_login=row.login,
                        erp_internal_id=row.erp_internal_id,
                        erp_user_id=row.erp_user_id,
                        active=row.active,
                        department_id=_ref_id(row.department, departments),
                        branch_id=_ref_id(row.branch, branches),
                        user_id=KEEP if username is None else users[username].pk,
                    ),
                    create_defaults={"number": row.number, "name": row.number},
                )
            )
        upsert(
            Employee,
            existing=existing,
            desired=desired,
            base={"company": company},
            now=now,
            result=result,
        )
    return result


def _username_for(row: EmployeeRow) -> tuple[str, str] | None:
    """(username, the DTO field it came from) for a row with a login or an e-mail."""
    if isinstance(row.login, str) and row.login:
        return row.login.lower(), "employeeLogin"
    if isinstance(row.email, str) and row.email:
        return row.email.lower(), "contact.email"
    return None


def _ref_id(
    ref: OrgRef | Keep | None, units: dict[str, Department | Branch]
) -> int | Keep | None:
    if ref is KEEP or ref is None:
        return ref
    return units[ref.code].pk


def _existing_users(usernames: set[str]) -> dict[str, AbstractBaseUser]:
    """Existing users by lower-cased username (an exact-case match wins)."""
    found: dict[str, AbstractBaseUser] = {}
    field = User.USERNAME_FIELD
    for chunk in chunks(sorted(usernames)):
        for user in (
            User.objects.annotate(username_lower=Lower(field))
            .filter(username_lower__in=chunk)
            .order_by("pk")
        ):
            name = getattr(user, field)
            lowered = name.lower()
            if lowered not in found or name == lowered:
                found[lowered] = user
    return found


def _check_links(
    *,
    company: Company,
    rows: Sequence[EmployeeRow],
    wanted: dict[int, str],
    sources: dict[int, str],
    users: dict[str, AbstractBaseUser],
) -> None:
    """A user is linked to at most one employee per company: refuse a login that an
    employee outside this change still holds."""
    if not users:
        return
    moving_away: dict[str, str | None] = {
        row.number: wanted.get(i) for i, row in enumerate(rows)
    }
    holders: dict[int, list[str]] = {}
    for number, user_id in Employee.objects.filter(
        company=company, user_id__in=[u.pk for u in users.values()]
    ).values_list("number", "user_id"):
        holders.setdefault(user_id, []).append(number)
    errors = RowErrors()
    for i, username in wanted.items():
        user = users.get(username)
        if user is None:
            continue
        for number in holders.get(user.pk, []):
            if number == rows[i].number:
                continue
            # The holder is in this batch and takes another login: the link moves.
            if moving_away.get(number) not in (None, username):
                continue
            errors.add(
                f"[{i}].{sources[i]}",
                f"The login “{username}” is already linked to employee {number} of "
                "this company.",
                code="login_taken",
            )
    errors.raise_if_any()


def _create_users(
    *, rows: Sequence[EmployeeRow], wanted: dict[int, str]
) -> dict[str, AbstractBaseUser]:
    if not wanted:
        return {}
    new_users = []
    for i, username in wanted.items():
        row = rows[i]
        email = row.email if isinstance(row.email, str) else ""
        if not email and "@" in username:
            email = username
        user = User(
            **{User.USERNAME_FIELD: username},
            email=email,
            first_name=row.first_name[:150],
            last_name=row.last_name[:150],
            is_active=False,
        )
        # What set_unusable_password() stores ("!" and 40 random characters), from
        # one urandom call instead of 40 random.choice calls (those were a large share
        # of a 5 000-employee sync's CPU time).
        user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
        new_users.append(user)
    # Another company's sync may create the same login at the same moment: skip the
    # conflict and read back whichever row won.
    User.objects.bulk_create(new_users, batch_size=WRITE_BATCH, ignore_conflicts=True)
    return _existing_users(set(wanted.values()))


def _release_moving_links(
    *,
    rows: Sequence[EmployeeRow],
    existing: dict[str, Employee],
    wanted: dict[int, str],
    users: dict[str, AbstractBaseUser],
) -> None:
    """Clear the links that change before writing the new ones, so two employees
    swapping logins within one batch never trip the one-employee-per-user constraint
    halfway through the update."""
    moving = []
    for i, username in wanted.items():
        employee = existing.get(rows[i].number)
        if (
            employee is not None
            and employee.user_id is not None
            and employee.user_id != users[username].pk
        ):
            moving.append(employee.pk)
    for chunk in chunks(moving):
        Employee.objects.filter(pk__in=chunk).update(user=None)


def _ensure_org_refs(
    *,
    model: type[Department] | type[Branch],
    company: Company,
    refs: Sequence[OrgRef],
    now: datetime,
) -> dict[str, Department | Branch]:
    """The departments/branches named by code, minimal ones created for unknown codes."""
    names: dict[str, str] = {}
    for ref in refs:
        if not names.get(ref.code):
            names[ref.code] = ref.name
    existing = {
        unit.code: unit
        for unit in load_by(model.objects.filter(company=company), "code", names)
    }
    return upsert(
        model,
        existing=existing,
        desired=[
            Desired(
                key=code,
                values={},
                create_defaults={"code": code, "name": (name or code)[:200]},
            )
            for code, name in names.items()
            if code not in existing
        ],
        base={"company": company},
        now=now,
        result=None,
    )
