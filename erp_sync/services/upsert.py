"""Bulk upsert machinery shared by the master-data sync services.

A sync batch may hold tens of thousands of rows, so nothing here runs a query per row:
existing rows are loaded for the batch's keys in chunks, then written with one
bulk_create and one bulk_update per kind (in batches the database can take).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Final, Generic, Literal, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from orgunits.models import Company

M = TypeVar("M", bound=models.Model)
K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

#: Keys per `IN (...)` lookup: far below SQLite's and PostgreSQL's parameter limits.
IN_CHUNK: Final = 5000
#: Rows per INSERT / UPDATE statement.
WRITE_BATCH: Final = 1000


class _Keep(Enum):
    KEEP = "keep"


#: A row value the DTO did not carry: the stored value stays as it is.
KEEP: Final = _Keep.KEEP
Keep = Literal[_Keep.KEEP]


@dataclass
class SyncResult:
    """Counts of one sync request (the API's response) plus what was deactivated.

    `deactivated_pks` maps a model label to the primary keys this batch switched from
    active to inactive, for callers that must react (e.g. flag open tasks).
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    deactivated_pks: dict[str, list[int]] = field(default_factory=dict)

    def as_counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
        }


class RowErrors:
    """Collects `path → message` errors; raises them together as one ValidationError."""

    def __init__(self) -> None:
        self._errors: dict[str, list[ValidationError]] = {}

    def add(self, path: str, message: str, code: str = "invalid") -> None:
        self._errors.setdefault(path, []).append(ValidationError(message, code=code))

    def raise_if_any(self) -> None:
        if self._errors:
            raise ValidationError(self._errors)


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_by(
    queryset: models.QuerySet[M], field_name: str, keys: Iterable[Hashable]
) -> list[M]:
    """Rows whose `field_name` is one of `keys`, one query per IN_CHUNK keys."""
    wanted = sorted(set(keys), key=str)
    found: list[M] = []
    for chunk in chunks(wanted):
        found.extend(queryset.filter(**{f"{field_name}__in": chunk}))
    return found


def check_unique(
    keys: Iterable[tuple[str, Hashable]], errors: RowErrors, label: str
) -> None:
    """Report a key repeated within one request at every repetition after the first."""
    first_path: dict[Hashable, str] = {}
    for path, key in keys:
        if key in first_path:
            errors.add(
                path,
                f"Duplicate {label} {key!s}: it is already given at {first_path[key]}.",
                code="duplicate",
            )
        else:
            first_path[key] = path


@dataclass
class Desired(Generic[K]):
    """One row as the ERP wants it: values to set, and defaults used only on create."""

    key: K
    values: Mapping[str, object]
    create_defaults: Mapping[str, object] = field(default_factory=dict)


def upsert(
    model: type[M],
    *,
    existing: Mapping[K, M],
    desired: Sequence[Desired[K]],
    base: Mapping[str, object],
    now: datetime,
    result: SyncResult | None,
    before_update: Callable[[Sequence[M]], None] | None = None,
) -> dict[K, M]:
    """Create or update `desired` rows of `model`; returns every row by key.

    Values are attribute names (`department_id`, not `department`) so comparisons never
    load a related row. A row whose values already match is left untouched (no write,
    `updated_at` kept), which makes re-sending a batch a no-op. With `result` None the
    rows are references (created on demand, not counted).
    """
    label = model._meta.label
    rows: dict[K, M] = dict(existing)
    to_create: list[M] = []
    to_update: list[M] = []
    update_fields: set[str] = set()
    for item in desired:
        values = {**item.values, "erp_synced": True}
        obj = rows.get(item.key)
        if obj is None:
            obj = model(**{**base, **item.create_defaults, **values})
            to_create.append(obj)
            rows[item.key] = obj
            if result is not None:
                result.created += 1
            continue
        changed = {
            name: value for name, value in values.items() if getattr(obj, name) != value
        }
        if not changed:
            if result is not None:
                result.unchanged += 1
            continue
        was_active = getattr(obj, "active", True)
        for name, value in changed.items():
            setattr(obj, name, value)
        obj.updated_at = now  # bulk_update does not apply auto_now
        update_fields.update(changed)
        to_update.append(obj)
        if result is None:
            continue
        if was_active and not getattr(obj, "active", True):
            result.deactivated += 1
            result.deactivated_pks.setdefault(label, []).append(obj.pk)
        else:
            result.updated += 1
    if to_update:
        if before_update is not None:
            before_update(to_update)
        model.objects.bulk_update(
            to_update, sorted(update_fields | {"updated_at"}), batch_size=WRITE_BATCH
        )
    if to_create:
        model.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
    return rows


def present(**values: object) -> dict[str, object]:
    """The values a DTO carried (KEEP ones are left out)."""
    return {name: value for name, value in values.items() if value is not KEEP}


def name_or_keep(value: str | Keep) -> str | Keep:
    """A blank name from the ERP means "no name given": keep what is stored."""
    if value is KEEP or not value:
        return KEEP
    return value


def lock_company_for_sync(company: Company) -> None:
    """Serialise syncs of one company.

    NO KEY UPDATE conflicts with itself but not with the KEY SHARE lock that inserts
    referencing the company take, so documents keep flowing while a sync runs. SQLite
    ignores it; its IMMEDIATE transactions serialise writers anyway.
    """
    Company.objects.select_for_update(no_key=True).filter(pk=company.pk).first()
