"""The rows a master-data sync service takes: one per DTO, in Visma's terms.

A field left at `KEEP` was not in the DTO and stays as stored; `None` (where allowed)
clears the stored value. The API layer builds these from validated DTOs.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from erp_sync.services.upsert import KEEP, Keep


@dataclass(frozen=True)
class SegmentValueRow:
    code: str
    name: str | Keep = KEEP
    active: bool | Keep = KEEP
    erp_internal_id: str | Keep = KEEP


@dataclass(frozen=True)
class SegmentRow:
    """A DtoSegment: a cost unit type and (some of) its values."""

    segment_id: int
    name: str | Keep = KEEP
    active: bool | Keep = KEEP
    erp_internal_id: str | Keep = KEEP
    values: tuple[SegmentValueRow, ...] = ()


@dataclass(frozen=True)
class SubaccountSegmentRef:
    segment_id: int
    code: str
    segment_name: str = ""
    value_name: str = ""


@dataclass(frozen=True)
class SubaccountRow:
    number: str
    description: str | Keep = KEEP
    active: bool | Keep = KEEP
    erp_internal_id: str | Keep = KEEP
    segments: tuple[SubaccountSegmentRef, ...] | Keep = KEEP


@dataclass(frozen=True)
class UnitRow:
    """A department or a branch."""

    code: str
    name: str | Keep = KEEP
    active: bool | Keep = KEEP
    erp_internal_id: str | Keep = KEEP


@dataclass(frozen=True)
class PersonRef:
    """An employee named inside another DTO (a project manager)."""

    number: str
    name: str = ""
    email: str = ""
    login: str = ""
    erp_internal_id: str = ""
    erp_user_id: UUID | None = None
    active: bool = True


@dataclass(frozen=True)
class ProjectTaskRow:
    code: str
    name: str | Keep = KEEP
    active: bool | Keep = KEEP
    erp_internal_id: str | Keep = KEEP


@dataclass(frozen=True)
class ProjectRow:
    code: str
    name: str | Keep = KEEP
    active: bool | Keep = KEEP
    erp_internal_id: str | Keep = KEEP
    manager: PersonRef | Keep | None = KEEP
    tasks: tuple[ProjectTaskRow, ...] | Keep = KEEP


@dataclass(frozen=True)
class OrgRef:
    """A department or branch named inside an EmployeeDto."""

    code: str
    name: str = ""


@dataclass(frozen=True)
class EmployeeRow:
    number: str
    name: str | Keep = KEEP
    email: str | Keep = KEEP
    login: str | Keep = KEEP
    erp_internal_id: str | Keep = KEEP
    erp_user_id: UUID | Keep | None = KEEP
    active: bool | Keep = KEEP
    department: OrgRef | Keep | None = KEEP
    branch: OrgRef | Keep | None = KEEP
    first_name: str = ""
    last_name: str = ""
