"""Visma.net DTOs → sync rows: the read shape, and the write shape unwrapped.

Visma's read DTOs hold plain scalars; its write DTOs wrap every scalar as
`{"value": x}`. `unwrap_values` turns the second into the first, so one set of
serializers validates both. Unknown fields are ignored by the serializers. A field the
DTO does not carry maps to `KEEP` (the stored value stays); `null` clears where that
makes sense (a department, a project manager).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from erp_sync.services.sync_rows import (
    EmployeeRow,
    OrgRef,
    PersonRef,
    ProjectRow,
    ProjectTaskRow,
    SegmentRow,
    SegmentValueRow,
    SubaccountRow,
    SubaccountSegmentRef,
    UnitRow,
)
from erp_sync.services.upsert import KEEP, Keep

ACTIVE_STATUS = "active"


def unwrap_values(data: Any) -> Any:
    """Replace every `{"value": x}` (Visma's write-shape scalar) by `x`, recursively.

    Depth is bounded by the parser (MAX_DEPTH), so recursion is safe here.
    """
    if isinstance(data, dict):
        if len(data) == 1 and "value" in data:
            return unwrap_values(data["value"])
        return {key: unwrap_values(value) for key, value in data.items()}
    if isinstance(data, list):
        return [unwrap_values(item) for item in data]
    return data


# --- fields -----------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 64}],
        "nullable": True,
        "description": "An ERP internal id (int or string), kept for reference.",
    }
)
class ErpIdField(serializers.CharField):
    """An ERP internal id: Visma sends int32s, other ERPs strings; stored as text."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


def text(max_length: int, **kwargs: Any) -> serializers.CharField:
    """An optional text field; NUL and lone surrogates are refused by CharField."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("allow_null", True)
    return serializers.CharField(max_length=max_length, **kwargs)


def flag(**kwargs: Any) -> serializers.BooleanField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return serializers.BooleanField(**kwargs)


_REF_KEYS = ("number", "id", "departmentId", "code")
#: Built once: a field per call cost more than the rest of a 5 000-row sync's checks.
#: They keep no per-call state (no parent, no bound name), so sharing them is safe.
_CODE_FIELD = serializers.CharField(max_length=30)
_NAME_FIELD = serializers.CharField(allow_blank=True)
_REF_NAME_KEYS = ("name", "description")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "maxLength": 30},
            {
                "type": "object",
                "properties": {
                    "number": {"type": "string", "maxLength": 30},
                    "id": {"type": "string", "maxLength": 30},
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
        ],
        "nullable": True,
        "description": 'A code (`"SALES"`) or a lookup object (`{"number", "name"}`).',
    }
)
class CodeRefField(serializers.Field):
    """A department or branch reference: `"SALES"` or `{"number": "1", "name": ...}`."""

    default_error_messages = {
        "invalid": "Expected a code or an object with `number` or `id`.",
        "max_length": "A code has at most 30 characters.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> OrgRef | None:
        name = ""
        if isinstance(data, Mapping):
            code = next((data[k] for k in _REF_KEYS if data.get(k) is not None), None)
            name = next(
                (str(data[k]) for k in _REF_NAME_KEYS if isinstance(data.get(k), str)),
                "",
            )
            if code is None:
                return None
            data = code
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        code_text = _CODE_FIELD.run_validation(str(data))
        if not code_text:
            return None
        name = _NAME_FIELD.run_validation(name)
        return OrgRef(code=code_text, name=name[:200])

    def to_representation(self, value: OrgRef) -> str:
        return value.code


# --- DTO → rows -------------------------------------------------------------------------


def _given(data: Mapping[str, Any], key: str) -> Any:
    """The validated value, KEEP when the DTO did not carry the field."""
    return data.get(key, KEEP)


def _text_or_keep(data: Mapping[str, Any], key: str) -> str | Keep:
    if key not in data:
        return KEEP
    return data[key] or ""


def _flag_or_keep(data: Mapping[str, Any], key: str) -> bool | Keep:
    value = data.get(key)
    return KEEP if value is None else bool(value)


def _id_or_keep(data: Mapping[str, Any], key: str) -> str | Keep:
    if key not in data:
        return KEEP
    return "" if data[key] is None else str(data[key])


def _status_active(data: Mapping[str, Any]) -> bool | Keep:
    """`active` if given, else Visma's `status == "Active"`, else KEEP."""
    explicit = _flag_or_keep(data, "active")
    if explicit is not KEEP:
        return explicit
    status = data.get("status")
    if status is None:
        return KEEP
    return status.strip().lower() == ACTIVE_STATUS


def segment_rows(items: Sequence[Mapping[str, Any]]) -> list[SegmentRow]:
    return [
        SegmentRow(
            segment_id=item["segmentId"],
            name=_text_or_keep(item, "description"),
            active=_flag_or_keep(item, "active"),
            erp_internal_id=_id_or_keep(item, "publicId"),
            values=tuple(
                SegmentValueRow(
                    code=value["valueId"],
                    name=_text_or_keep(value, "description"),
                    active=_flag_or_keep(value, "active"),
                    erp_internal_id=_id_or_keep(value, "publicId"),
                )
                for value in item.get("segmentValues") or ()
            ),
        )
        for item in items
    ]


def subaccount_rows(items: Sequence[Mapping[str, Any]]) -> list[SubaccountRow]:
    rows = []
    for item in items:
        segments: tuple[SubaccountSegmentRef, ...] | Keep = KEEP
        if item.get("segments") is not None:
            segments = tuple(
                SubaccountSegmentRef(
                    segment_id=seg["segmentId"],
                    code=seg["segmentValue"],
                    segment_name=seg.get("segmentDescription") or "",
                    value_name=seg.get("segmentValueDescription") or "",
                )
                for seg in sorted(item["segments"], key=lambda s: s["segmentId"])
            )
        rows.append(
            SubaccountRow(
                number=item["subaccountNumber"],
                description=_text_or_keep(item, "description"),
                active=_flag_or_keep(item, "active"),
                erp_internal_id=_id_or_keep(item, "subaccountId"),
                segments=segments,
            )
        )
    return rows


def derived_subaccount_number(segments: Sequence[Mapping[str, Any]]) -> str:
    """Visma joins the segment values with "-" in segment order (the write shape may
    omit the number)."""
    ordered = sorted(segments, key=lambda s: s["segmentId"])
    return "-".join(str(seg["segmentValue"]) for seg in ordered)


def department_rows(items: Sequence[Mapping[str, Any]]) -> list[UnitRow]:
    return [
        UnitRow(
            code=item["departmentId"],
            name=_text_or_keep(item, "description"),
            active=_flag_or_keep(item, "active"),
            erp_internal_id=_id_or_keep(item, "publicId"),
        )
        for item in items
    ]


def branch_rows(items: Sequence[Mapping[str, Any]]) -> list[UnitRow]:
    rows = []
    for item in items:
        active = _flag_or_keep(item, "active")
        if active is KEEP:
            active = _flag_or_keep(item, "isActive")
        rows.append(
            UnitRow(
                code=item["number"],
                name=_text_or_keep(item, "name"),
                active=active,
                erp_internal_id=_id_or_keep(item, "branchId"),
            )
        )
    return rows


def _person_ref(data: Mapping[str, Any]) -> PersonRef:
    contact = data.get("contact") or {}
    status = data.get("status")
    return PersonRef(
        number=data["employeeNumber"],
        name=data.get("employeeName") or _contact_name(contact) or "",
        email=contact.get("email") or "",
        login=data.get("employeeLogin") or "",
        erp_internal_id=str(data.get("employeeId") or ""),
        erp_user_id=data.get("employeeUserId"),
        active=True if status is None else status.strip().lower() == ACTIVE_STATUS,
    )


def _contact_name(contact: Mapping[str, Any]) -> str:
    parts = [contact.get("firstName"), contact.get("lastName")]
    return " ".join(p for p in parts if p)[:200]


def project_rows(items: Sequence[Mapping[str, Any]]) -> list[ProjectRow]:
    rows = []
    for item in items:
        active = _status_active(item)
        if item.get("hold"):
            # A project on hold is still being planned: nothing may be routed to it.
            active = False
        manager: PersonRef | Keep | None = KEEP
        if "projectManager" in item:
            manager = (
                None
                if item["projectManager"] is None
                else _person_ref(item["projectManager"])
            )
        tasks: tuple[ProjectTaskRow, ...] | Keep = KEEP
        if item.get("tasks") is not None:
            tasks = tuple(
                ProjectTaskRow(
                    code=task["taskId"],
                    name=_text_or_keep(task, "description"),
                    active=_status_active(task),
                    erp_internal_id=_id_or_keep(task, "internalId"),
                )
                for task in item["tasks"]
            )
        rows.append(
            ProjectRow(
                code=item["projectID"],
                name=_text_or_keep(item, "description"),
                active=active,
                erp_internal_id=_id_or_keep(item, "internalID"),
                manager=manager,
                tasks=tasks,
            )
        )
    return rows


def employee_rows(items: Sequence[Mapping[str, Any]]) -> list[EmployeeRow]:
    rows = []
    for item in items:
        contact = item.get("contact")
        email: str | Keep = KEEP
        if isinstance(contact, Mapping) and "email" in contact:
            email = contact["email"] or ""
        name = _text_or_keep(item, "employeeName")
        if (name is KEEP or not name) and isinstance(contact, Mapping):
            name = _contact_name(contact) or name
        rows.append(
            EmployeeRow(
                number=item["employeeNumber"],
                name=name,
                email=email,
                login=_text_or_keep(item, "employeeLogin"),
                erp_internal_id=_id_or_keep(item, "employeeId"),
                erp_user_id=_given(item, "employeeUserId"),
                active=_status_active(item),
                department=_given(item, "department"),
                branch=_given(item, "branch"),
                first_name=(contact or {}).get("firstName") or "",
                last_name=(contact or {}).get("lastName") or "",
            )
        )
    return rows
