"""Editing a document during approval: header fields and the approver's own lines.

An approver whose active step allows editing changes basic header fields and the
lines routed to them (all lines when the task names none); a system administrator
edits any line (VISMA_RULES §1.8, §2 r17). Every changed field is one history row with
before and after, changed lines are marked edited, and the document gets a new
version, so pages opened before the edit are refused (RELIABILITY 13).

Routing-relevant edits (segment values, department, project, task and branch codes,
line amounts, the due date) re-plan the later steps of a running process and may
send it back for re-approval: see `documents.services.recalculation`. An edit in the
first step never causes re-approval, since nobody approved before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from core.exceptions import InvalidTransition
from documents.choices import (
    DocumentStatus,
    ProcessStatus,
    StepRunStatus,
    TaskKind,
    TaskStatus,
)
from documents.models import Document, Line, Process, StepRun, Task
from documents.services.common import (
    HistoryWriter,
    document_lock,
    document_save,
    employee_label,
    open_process_lock,
    version_check,
)
from documents.services.decisions import on_behalf_of_for
from documents.services.recalculation import process_recalculate
from documents.transitions import (
    ADMIN_EDIT,
    EDIT,
    available_actions,
    available_document_actions,
)
from orgunits.models import Employee

#: A field's value as stored and as written to history (JSON-encodable).
Value = str | date | Decimal | dict[str, str] | None

#: Header fields an approver may edit; the routing-relevant ones re-plan later steps
#: (the due date drives "days until due" step conditions).
HEADER_FIELDS = (
    "description",
    "document_date",
    "due_date",
    "department_code",
    "branch_code",
)
ROUTING_HEADER_FIELDS = frozenset({"due_date", "department_code", "branch_code"})
LINE_FIELDS = (
    "description",
    "quantity",
    "amount",
    "account",
    "segment_values",
    "department_code",
    "project_code",
    "task_code",
    "branch_code",
)
ROUTING_LINE_FIELDS = frozenset(
    {
        "amount",
        "segment_values",
        "department_code",
        "project_code",
        "task_code",
        "branch_code",
    }
)


@dataclass(frozen=True)
class FieldChange:
    line_number: int | None  # None: a header field
    field: str
    before: Value
    after: Value

    @property
    def routing(self) -> bool:
        if self.line_number is None:
            return self.field in ROUTING_HEADER_FIELDS
        return self.field in ROUTING_LINE_FIELDS


# --- input ---------------------------------------------------------------------------


def _segments(raw: object, key: str) -> dict[str, str]:
    """Segment id → value code; an empty value removes the segment."""
    if not isinstance(raw, Mapping):
        raise ValidationError({key: "Segment values must map segment ids to codes."})
    cleaned: dict[str, str] = {}
    for segment, value in raw.items():
        if not str(segment).isdigit():
            raise ValidationError({key: f"{segment!r} is not a segment id."})
        text = "" if value is None else str(value).strip()
        if len(text) > 30:
            raise ValidationError({key: "A segment value has at most 30 characters."})
        if text:
            cleaned[str(int(str(segment)))] = text
    return dict(sorted(cleaned.items()))


def _value(model: type[models.Model], name: str, raw: object, key: str) -> Value:
    """`raw` converted and validated by the model field itself."""
    if name == "segment_values":
        return _segments(raw, key)
    field = model._meta.get_field(name)
    if isinstance(field, models.CharField | models.TextField):
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            raise ValidationError({key: "Enter text."})
        raw = raw.strip()
    try:
        # Field.clean: to_python, then null/blank, length and digit validators.
        value: Value = field.clean(raw, None)
    except ValidationError as error:
        raise ValidationError({key: error.messages}) from error
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
        # As stored: "90" is 90.00, so history and the ERP see the stored value.
        value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def _clean_header(header: Mapping[str, object]) -> dict[str, Value]:
    unknown = sorted(set(header) - set(HEADER_FIELDS))
    if unknown:
        raise ValidationError(
            {"header": f"These fields cannot be edited: {', '.join(unknown)}."}
        )
    return {
        name: _value(Document, name, raw, f"header.{name}")
        for name, raw in header.items()
    }


def _clean_lines(
    lines: Mapping[int, Mapping[str, object]],
) -> dict[int, dict[str, Value]]:
    cleaned: dict[int, dict[str, Value]] = {}
    for number, values in lines.items():
        unknown = sorted(set(values) - set(LINE_FIELDS))
        if unknown:
            raise ValidationError(
                {
                    "lines": f"Line {number}: these fields cannot be edited: "
                    f"{', '.join(unknown)}."
                }
            )
        cleaned[int(number)] = {
            name: _value(Line, name, raw, f"lines.{number}.{name}")
            for name, raw in values.items()
        }
    return cleaned


# --- who may edit what -----------------------------------------------------------------


def _editing_tasks(
    *, document: Document, employee: Employee, user: AbstractBaseUser
) -> list[Task]:
    """The person's (or their principal's) tasks that offer EDIT right now."""
    tasks = list(
        Task.objects.filter(
            document=document, status=TaskStatus.ACTIVE, kind=TaskKind.APPROVAL
        )
        .select_related("step_run", "assignee")
        .order_by("pk")
    )
    editing = []
    for task in tasks:
        task.document = document
        if EDIT in available_actions(task=task, employee=employee, user=user):
            editing.append(task)
    return editing


def _lines_text(numbers: set[int]) -> str:
    ordered = ", ".join(str(n) for n in sorted(numbers))
    return f"line {ordered}" if len(numbers) == 1 else f"lines {ordered}"


# --- the service ---------------------------------------------------------------------


@transaction.atomic
def document_edit(
    *,
    document_id: int,
    employee: Employee,
    user: AbstractBaseUser,
    expected_version: int,
    header: Mapping[str, object] | None = None,
    lines: Mapping[int, Mapping[str, object]] | None = None,
    as_admin: bool = False,
) -> Document:
    """Edit header fields and lines; returns the document (a new version if changed).

    Fields equal to the stored value are no change: without any change nothing is
    written. Raises StaleVersion for an outdated page; InvalidTransition when the
    person may not edit now (no active task whose step allows editing, or, with
    `as_admin`, not a system administrator of an unfinished document);
    ValidationError for unknown fields, bad values, missing lines or lines not
    routed to the approver.
    """
    header_values = _clean_header(header or {})
    line_values = _clean_lines(lines or {})
    document = document_lock(document_id)
    # After the lock: an edit or decision running now has committed by then.
    version_check(document, expected_version)
    needed = ADMIN_EDIT if as_admin else EDIT
    if needed not in available_document_actions(
        document=document, employee=employee, user=user
    ):
        raise InvalidTransition(
            "You cannot edit this document now.",
            {"code": "action_not_available", "action": needed},
        )
    process = open_process_lock(document)
    editing = (
        []
        if as_admin
        else _editing_tasks(document=document, employee=employee, user=user)
    )
    allowed = _allowed_lines(editing, as_admin=as_admin)
    existing = {
        line.line_number: line for line in Line.objects.filter(document=document)
    }
    missing = set(line_values) - set(existing)
    if missing:
        raise ValidationError({"lines": f"There is no {_lines_text(missing)}."})
    if allowed is not None and set(line_values) - allowed:
        outside = set(line_values) - allowed
        raise ValidationError(
            {"lines": f"You can only edit your own lines, not {_lines_text(outside)}."}
        )

    changes = _apply(document, header_values, existing, line_values)
    if not changes:
        return document
    edit_step = editing[0].step_run if editing else _active_step(process)
    history = HistoryWriter(
        document,
        actor_label=employee_label(employee),
        actor_user=user,
        on_behalf_of_label=(
            employee_label(on_behalf_of_for(editing[0], employee)) if editing else ""
        ),
    )
    _record(history, process, changes, step=edit_step)
    if (
        any(change.routing for change in changes)
        and process is not None
        and process.status == ProcessStatus.RUNNING
        and document.status == DocumentStatus.IN_PROGRESS
    ):
        process_recalculate(
            document=document,
            process=process,
            history=history,
            editor=employee.name,
            edit_step=edit_step,
            today=timezone.localdate(),
        )
    header_fields = sorted({c.field for c in changes if c.line_number is None})
    # The new version makes every page built before the edit stale (RELIABILITY 13).
    document_save(document, *header_fields, "status", "blocked_reason")
    return document


def _allowed_lines(editing: list[Task], *, as_admin: bool) -> set[int] | None:
    """Line numbers the editor may change; None means every line."""
    if as_admin or any(not task.line_numbers for task in editing):
        return None
    return {int(n) for task in editing for n in task.line_numbers}


def _active_step(process: Process | None) -> StepRun | None:
    if process is None:
        return None
    return (
        StepRun.objects.filter(process=process, status=StepRunStatus.ACTIVE)
        .order_by("position")
        .first()
    )


def _apply(
    document: Document,
    header: Mapping[str, Value],
    existing: Mapping[int, Line],
    lines: Mapping[int, Mapping[str, Value]],
) -> list[FieldChange]:
    """Set the new values on the rows, save changed lines; the changes, in order."""
    changes: list[FieldChange] = []
    for name, value in header.items():
        before = getattr(document, name)
        if before != value:
            setattr(document, name, value)
            changes.append(FieldChange(None, name, before, value))
    changed_lines: list[Line] = []
    now = timezone.now()
    for number in sorted(lines):
        line = existing[number]
        line_changed = False
        for name, value in lines[number].items():
            before = getattr(line, name)
            if name == "segment_values":
                before = {str(k): str(v) for k, v in (before or {}).items()}
            if before != value:
                setattr(line, name, value)
                changes.append(FieldChange(number, name, before, value))
                line_changed = True
        if line_changed:
            # Marked for the ERP: the outcome push says which lines were edited.
            line.edited = True
            line.updated_at = now
            changed_lines.append(line)
    if changed_lines:
        Line.objects.bulk_update(changed_lines, [*LINE_FIELDS, "edited", "updated_at"])
    return changes


def _record(
    history: HistoryWriter,
    process: Process | None,
    changes: list[FieldChange],
    *,
    step: StepRun | None,
) -> None:
    """One history row per changed field, with before and after."""
    position = step.position if step is not None else None
    history.record_many(
        "documents.document.edit",
        process=process,
        items=(
            {"field": c.field, "before": c.before, "after": c.after, "step": position}
            for c in changes
            if c.line_number is None
        ),
    )
    history.record_many(
        "documents.line.edit",
        process=process,
        items=(
            {
                "line": c.line_number,
                "field": c.field,
                "before": c.before,
                "after": c.after,
                "step": position,
            }
            for c in changes
            if c.line_number is not None
        ),
    )
