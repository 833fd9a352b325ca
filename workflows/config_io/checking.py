"""Reading typed values with paths, and the company rows a file may name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from orgunits.models import (
    ApproverRole,
    Branch,
    Company,
    CostUnit,
    CostUnitType,
    Department,
    Employee,
    Project,
    ProjectTask,
)
from workflows.models import Limit


class Check:
    """Collects "path: message" problems while reading typed values."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def mapping(
        self,
        value: object,
        path: str,
        *,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(path, "expected a mapping (key: value)")
            return None
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                self.fail(
                    f"{path}.{key}",
                    f"unknown key; expected one of {', '.join(sorted(allowed))}",
                )
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}", "is required")
        return dict(value)

    def items(self, value: object, path: str) -> list[tuple[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "expected a list")
            return []
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]

    def text(self, value: object, path: str, *, what: str = "text") -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(path, f"expected {what}")
            return None
        text = str(value).strip()
        if not text:
            self.fail(path, "must not be empty")
            return None
        return text

    def flag(self, value: object, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(path, "expected true or false")
            return default
        return value

    def number(self, value: object, path: str, *, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(path, f"expected a whole number of at least {minimum}")
            return None
        return value

    def moment(self, value: object, path: str) -> datetime | None:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(path, f"{value!r} is not a date and time (ISO 8601)")
                return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    def lookup(
        self,
        table: Mapping[str, Any],
        value: object,
        path: str,
        what: str,
        *,
        numeric: bool = False,
    ) -> Any:
        """The row for a code/name, or None with an error (a hint for YAML numbers)."""
        key = self.text(value, path, what=f"a {what}")
        if key is None:
            return None
        found = table.get(key)
        if found is None:
            hint = (
                ' (write codes in quotes, e.g. "01": YAML reads 01 as the number 1)'
                if isinstance(value, int) and not numeric
                else ""
            )
            self.fail(path, f'unknown {what} "{key}"{hint}')
        return found


class Known:
    """The company's rows that a file may refer to, read once, by natural key."""

    def __init__(self, company: Company, data: Mapping[str, Any]) -> None:
        self.company = company
        self.roles = {r.name: r for r in ApproverRole.objects.filter(company=company)}
        self.employees = {e.number: e for e in Employee.objects.filter(company=company)}
        self.types = {
            str(t.segment_id): t for t in CostUnitType.objects.filter(company=company)
        }
        self.units = {
            (str(u.type.segment_id), u.code): u
            for u in CostUnit.objects.filter(company=company).select_related("type")
        }
        self.departments = {
            d.code: d for d in Department.objects.filter(company=company)
        }
        self.projects = {p.code: p for p in Project.objects.filter(company=company)}
        self.tasks = {
            (t.project.code, t.code): t
            for t in ProjectTask.objects.filter(company=company).select_related(
                "project"
            )
        }
        self.branches = {b.code: b for b in Branch.objects.filter(company=company)}
        self.limits = {
            limit.name: limit
            for limit in Limit.objects.filter(company=company).prefetch_related(
                "amounts"
            )
        }
        usernames = [
            str(m.get("username"))
            for m in (data.get("memberships") or [])
            if isinstance(m, Mapping)
        ]
        user_model = get_user_model()
        self.users = {
            u.get_username(): u
            for u in user_model._default_manager.filter(
                **{f"{user_model.USERNAME_FIELD}__in": usernames}
            )
        }
        # Names the file itself brings; they exist once the file is written.
        self.file_roles: set[str] = set()
        self.file_limits: set[str] = set()

    def has_role(self, name: str) -> bool:
        return name in self.roles or name in self.file_roles

    def has_limit(self, name: str) -> bool:
        return name in self.limits or name in self.file_limits


# Parsed entries: plain values, checked; written in phase two.


def role_name(value: object, path: str, known: Known, check: Check) -> str | None:
    name = check.text(value, path, what="a role name")
    if name is not None and not known.has_role(name):
        check.fail(path, f'unknown role "{name}"')
        return None
    return name
