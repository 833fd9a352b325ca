"""Facts in and out: a hypothetical document (form or JSON data) as routing facts, and
facts and plans as JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

from orgunits.models import DocumentType
from orgunits.resolver import OrgFacts
from workflows.engine import Plan, RoutingFacts, RoutingLine

#: More lines than this in one hypothetical document is a mistake, not a simulation.
MAX_LINES = 500


def plan_to_json(result: Plan) -> dict[str, Any]:
    """The plan as JSON-safe data, exactly as live routing stores it on a process.

    Live routing saves `dataclasses.asdict(plan)` through a JSONField with Django's
    encoder; a round trip through the same encoder gives the same lists, strings and
    numbers here, so the two compare equal.
    """
    encoded = json.dumps(dataclasses.asdict(result), cls=DjangoJSONEncoder)
    decoded: dict[str, Any] = json.loads(encoded)
    return decoded


def facts_to_json(facts: RoutingFacts) -> dict[str, Any]:
    """Facts in the input shape `facts_from_data` reads back (dates as ISO strings)."""
    return {
        "document_type": facts.document_type,
        "amount": str(facts.amount),
        "currency": facts.currency,
        "requester": facts.requester_number or "",
        "initial_approver": facts.initial_approver_number or "",
        "received_on": facts.received_on.isoformat(),
        "due_date": facts.due_date.isoformat() if facts.due_date else None,
        "today": facts.today.isoformat(),
        **_org_to_json(facts.header),
        "lines": [
            {"line_number": line.line_number, "amount": str(line.amount)}
            | _org_to_json(line.org)
            for line in facts.lines
        ],
    }


def _org_to_json(org: OrgFacts) -> dict[str, Any]:
    return {
        "segments": {str(k): v for k, v in sorted(org.segment_values.items())},
        "department": org.department_code or "",
        "project": org.project_code or "",
        "task": org.task_code or "",
        "branch": org.branch_code or "",
    }


def facts_from_data(
    data: Mapping[str, Any],
    *,
    company_id: int,
    today: date,
    document_type: str | None = None,
    default_currency: str = "",
) -> RoutingFacts:
    """A hypothetical document (form or JSON data) as routing facts.

    Keys: `document_type` (or the workflow's, passed in), `amount`, `currency`,
    `requester`, `initial_approver` (employee numbers), `department`, `project`,
    `task`, `branch`, `segments` ({segment id: cost unit code}), `received_on` or
    `received_days_ago`, `due_date` or `due_in_days`, `today`, and `lines`: a list of
    {`amount`, `segments`, `department`, `project`, `task`, `branch`,
    `line_number`}. Codes are taken as given: an unknown one is something the trace
    shows, not an input error. Raises ValidationError keyed by path
    (`lines[2].amount`) with every problem at once.
    """
    reader = _Reader(data)
    day = reader.date("today", required=False) or today
    doc_type = reader.text("document_type") or (document_type or "")
    if doc_type not in DocumentType.values:
        reader.error(
            "document_type",
            _("Choose a document type: %(types)s.")
            % {"types": ", ".join(DocumentType.values)},
        )
    elif document_type and doc_type != document_type:
        reader.error(
            "document_type",
            _("The workflow routes %(type)s documents.") % {"type": document_type},
        )
    amount = reader.amount("amount", required=True)
    currency = (reader.text("currency") or default_currency).upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        reader.error(
            "currency", _("Give a three-letter currency code, e.g. NOK or EUR.")
        )
    received_on = reader.date("received_on", required=False)
    if received_on is None:
        ago = reader.integer("received_days_ago", required=False)
        received_on = day - timedelta(days=ago or 0)
    due_date = reader.date("due_date", required=False)
    due_in = reader.integer("due_in_days", required=False)
    if due_date is None and due_in is not None:
        due_date = day + timedelta(days=due_in)
    requester = reader.text("requester") or None
    header = _org(reader, requester=requester)

    lines: list[RoutingLine] = []
    raw_lines = data.get("lines") or []
    if not isinstance(raw_lines, list):
        reader.error("lines", _("Give the lines as a list."))
        raw_lines = []
    if len(raw_lines) > MAX_LINES:
        reader.error(
            "lines", _("At most %(n)d lines can be simulated.") % {"n": MAX_LINES}
        )
        raw_lines = []
    seen_numbers: set[int] = set()
    for index, raw in enumerate(raw_lines):
        path = f"lines[{index}]"
        if not isinstance(raw, Mapping):
            reader.error(path, _("Each line must be an object."))
            continue
        line_reader = _Reader(raw, path=path, errors=reader.errors)
        number = line_reader.integer("line_number", required=False) or index + 1
        if number in seen_numbers:
            line_reader.error("line_number", _("Line numbers must be unique."))
        seen_numbers.add(number)
        line_amount = line_reader.amount("amount", required=True)
        lines.append(
            RoutingLine(
                line_number=number,
                amount=line_amount or Decimal(0),
                org=_org(line_reader),
            )
        )
    if reader.errors:
        raise ValidationError(dict(reader.errors))
    return RoutingFacts(
        company_id=company_id,
        document_type=doc_type,
        amount=amount or Decimal(0),
        currency=currency,
        requester_number=requester,
        initial_approver_number=reader.text("initial_approver") or None,
        received_on=received_on,
        due_date=due_date,
        today=day,
        header=header,
        lines=tuple(lines),
    )


def _org(reader: _Reader, *, requester: str | None = None) -> OrgFacts:
    return OrgFacts(
        requester_number=requester,
        segment_values=reader.segments("segments"),
        department_code=reader.text("department") or None,
        project_code=reader.text("project") or None,
        task_code=reader.text("task") or None,
        branch_code=reader.text("branch") or None,
    )


class _Reader:
    """Reads typed values from a mapping, collecting errors by path instead of raising."""

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        path: str = "",
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        self.data = data
        self.path = path
        self.errors: dict[str, list[str]] = {} if errors is None else errors

    def error(self, key: str, message: str) -> None:
        where = f"{self.path}.{key}" if self.path else key
        self.errors.setdefault(where, []).append(str(message))

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.error(key, _("Give a text value."))
            return ""
        return str(value).strip()

    def amount(self, key: str, *, required: bool) -> Decimal | None:
        value = self.data.get(key)
        if value in (None, ""):
            if required:
                self.error(key, _("Give an amount, e.g. 12500.00."))
            return None
        if isinstance(value, bool) or not isinstance(
            value, str | int | float | Decimal
        ):
            self.error(key, _("Give an amount, e.g. 12500.00."))
            return None
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.error(key, _("“%(value)s” is not an amount.") % {"value": value})
            return None
        if not amount.is_finite():
            self.error(key, _("“%(value)s” is not an amount.") % {"value": value})
            return None
        return amount.quantize(Decimal("0.01"))

    def integer(self, key: str, *, required: bool) -> int | None:
        value = self.data.get(key)
        if value in (None, ""):
            if required:
                self.error(key, _("Give a whole number."))
            return None
        if isinstance(value, bool):
            self.error(key, _("Give a whole number."))
            return None
        try:
            return int(str(value).strip())
        except ValueError:
            self.error(key, _("“%(value)s” is not a whole number.") % {"value": value})
            return None

    def date(self, key: str, *, required: bool) -> date | None:
        value = self.data.get(key)
        if value in (None, ""):
            if required:
                self.error(key, _("Give a date as YYYY-MM-DD."))
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.error(
                key,
                _("“%(value)s” is not a date; write it as YYYY-MM-DD.")
                % {"value": value},
            )
            return None

    def segments(self, key: str) -> dict[int, str]:
        value = self.data.get(key) or {}
        if not isinstance(value, Mapping):
            self.error(key, _("Give the cost units as {segment id: code}."))
            return {}
        segments: dict[int, str] = {}
        for segment, code in value.items():
            if not str(segment).strip().isdigit():
                self.error(
                    key,
                    _("“%(segment)s” is not a segment id (a number).")
                    % {"segment": segment},
                )
                continue
            if code in (None, ""):
                continue
            segments[int(str(segment).strip())] = str(code).strip()
        return segments
