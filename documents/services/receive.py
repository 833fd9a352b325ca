"""Receiving a document from the ERP, first time or resubmitted (DOMAIN §4)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from documents.choices import DocumentStatus
from documents.models import Document, Line
from documents.services.calendar import document_due_date_default
from documents.services.common import HistoryWriter, enqueue_on_commit
from documents.tasks import route_document as route_document_task
from documents.transitions import ensure_transition
from orgunits.models import Company, Employee


@dataclass(frozen=True)
class LineInput:
    """One line as the ERP app normalised it."""

    line_number: int
    amount: Decimal
    description: str = ""
    quantity: Decimal | None = None
    account: str = ""
    subaccount_number: str = ""
    segment_values: Mapping[str, str] = field(default_factory=dict)
    department_code: str = ""
    project_code: str = ""
    task_code: str = ""
    branch_code: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


#: Header fields a resubmission replaces.
_HEADER_FIELDS = (
    "net_amount",
    "vat_amount",
    "gross_amount",
    "currency",
    "requester",
    "requester_number",
    "initial_approver_number",
    "sender_number",
    "supplier_number",
    "supplier_name",
    "description",
    "document_date",
    "due_date",
    "branch_code",
    "department_code",
    "raw_payload",
    "received_at",
)


@transaction.atomic
def document_receive(
    *,
    company: Company,
    document_type: str,
    erp_document_type: str,
    erp_reference: str,
    gross_amount: Decimal,
    currency: str,
    lines: Sequence[LineInput] = (),
    net_amount: Decimal | None = None,
    vat_amount: Decimal | None = None,
    requester_number: str = "",
    initial_approver_number: str = "",
    sender_number: str = "",
    supplier_number: str = "",
    supplier_name: str = "",
    description: str = "",
    document_date: date | None = None,
    due_date: date | None = None,
    branch_code: str = "",
    department_code: str = "",
    raw_payload: Mapping[str, Any] | None = None,
    actor_label: str = "ERP",
) -> Document:
    """Store a submitted document and queue its routing.

    A rejected or cancelled document sent again is reused: header and lines are
    replaced, and routing starts a new process. Raises ApplicationError with code
    "open_process" while a process is open (or routing pending), "finished" for an
    approved one, and ValidationError for bad input.
    """
    _check_line_numbers(lines)
    header: dict[str, Any] = {
        "net_amount": net_amount,
        "vat_amount": vat_amount,
        "gross_amount": gross_amount,
        "currency": currency,
        "requester": _employee(company, requester_number),
        "requester_number": requester_number,
        "initial_approver_number": initial_approver_number,
        "sender_number": sender_number,
        "supplier_number": supplier_number,
        "supplier_name": supplier_name,
        "description": description,
        "document_date": document_date,
        # The ERP's due date wins; without one, the company's default (VISMA_RULES
        # §2 r15), counted from the day of receipt.
        "due_date": (
            due_date
            if due_date is not None
            else document_due_date_default(
                company=company, received_on=timezone.localdate()
            )
        ),
        "branch_code": branch_code,
        "department_code": department_code,
        "raw_payload": dict(raw_payload or {}),
        "received_at": timezone.now(),
    }
    key = {
        "company": company,
        "document_type": document_type,
        "erp_document_type": erp_document_type,
        "erp_reference": erp_reference,
    }
    # Locks the existing row, if any: two submissions of one document serialise here.
    document = Document.objects.select_for_update().filter(**key).first()
    created = document is None
    if document is None:
        document = _create(key=key, header=header)
        action = "documents.document.receive"
    else:
        _refuse_if_open(document)
        ensure_transition("document", document.status, DocumentStatus.RECEIVED)
        for name, value in header.items():
            setattr(document, name, value)
        document.status = DocumentStatus.RECEIVED
        document.blocked_reason = ""
        document.version += 1
        _validate(document)
        document.save(
            update_fields=[
                *_HEADER_FIELDS,
                "status",
                "blocked_reason",
                "version",
                "updated_at",
            ]
        )
        action = "documents.document.resubmit"
    _lines_replace(document, lines, created=created)
    HistoryWriter(document, actor_label=actor_label).record(
        action,
        data={
            "erp_document_type": erp_document_type,
            "erp_reference": erp_reference,
            "gross_amount": gross_amount,
            "currency": currency,
            "lines": len(lines),
        },
    )
    # After commit only: the worker must find the committed document.
    enqueue_on_commit(route_document_task, document.pk)
    return document


def _employee(company: Company, number: str) -> Employee | None:
    if not number:
        return None
    return Employee.objects.filter(company=company, number=number).first()


def _check_line_numbers(lines: Sequence[LineInput]) -> None:
    numbers = [line.line_number for line in lines]
    if len(numbers) != len(set(numbers)):
        raise ValidationError({"lines": "Line numbers must be unique."})


def _refuse_if_open(document: Document) -> None:
    if document.status in Document.OPEN_STATUSES:
        raise ApplicationError(
            "This document is already in approval; cancel it before sending it again.",
            {
                "code": "open_process",
                "document_id": str(document.public_id),
                "status": document.status,
            },
        )
    if document.status == DocumentStatus.APPROVED:
        raise ApplicationError(
            "This document is already approved and cannot be sent again.",
            {
                "code": "finished",
                "document_id": str(document.public_id),
                "status": document.status,
            },
        )


#: The `document_currency_iso` check constraint, checked here in Python.
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def _validate(document: Document) -> None:
    """Field validation (types, lengths, the status and type choices) and the
    currency's format, as ValidationError.

    The check constraints are not validated by `validate_constraints()`: it runs one
    query in its own savepoint per constraint (12 round trips of a 31-statement
    submission), and they say nothing the fields' choices, this currency check and
    our own code (status, version) do not. The database still enforces them. The ERP
    key's uniqueness is left to the database too: it was looked up under lock just
    before, and under a race only the INSERT can decide (see `_create`).
    """
    # The company and the requester are instances read a moment ago; checking that
    # their rows exist would be one more query each.
    document.full_clean(
        exclude=["company", "requester"],
        validate_unique=False,
        validate_constraints=False,
    )
    if not _CURRENCY_CODE.fullmatch(document.currency or ""):
        raise ValidationError(
            {
                "currency": ValidationError(
                    "A currency is a three-letter ISO 4217 code, e.g. EUR.",
                    code="invalid",
                )
            }
        )


def _create(*, key: Mapping[str, Any], header: Mapping[str, Any]) -> Document:
    document = Document(**key, **header, status=DocumentStatus.RECEIVED)
    _validate(document)
    try:
        # A savepoint, so the losing side of a race can still answer cleanly.
        with transaction.atomic():
            document.save()
    except IntegrityError as error:
        raise ApplicationError(
            "This document was submitted by another request at the same moment.",
            {"code": "open_process"},
        ) from error
    return document


def _lines_replace(
    document: Document, lines: Sequence[LineInput], *, created: bool
) -> None:
    """Make the stored lines exactly the given ones, matched by line number."""
    existing = (
        {} if created else {line.line_number: line for line in document.lines.all()}
    )
    wanted = {line.line_number for line in lines}
    stale = [n for n in existing if n not in wanted]
    if stale:
        Line.objects.filter(document=document, line_number__in=stale).delete()
    to_create: list[Line] = []
    to_update: list[Line] = []
    now = timezone.now()
    for data in lines:
        line = existing.get(data.line_number) or Line(
            company_id=document.company_id,
            document=document,
            line_number=data.line_number,
        )
        line.description = data.description
        line.quantity = data.quantity
        line.amount = data.amount
        line.account = data.account
        line.subaccount_number = data.subaccount_number
        line.segment_values = {str(k): str(v) for k, v in data.segment_values.items()}
        line.department_code = data.department_code
        line.project_code = data.project_code
        line.task_code = data.task_code
        line.branch_code = data.branch_code
        line.extra = dict(data.extra)
        # What the ERP sends is the new original; earlier edits belonged to the
        # earlier process.
        line.edited = False
        line.updated_at = now
        # The document and its company were checked once above; validating those
        # foreign keys here would run one existence query per line.
        line.full_clean(
            exclude=["document", "company"],
            validate_unique=False,
            validate_constraints=False,
        )
        (to_update if line.pk else to_create).append(line)
    Line.objects.bulk_create(to_create)
    if to_update:
        Line.objects.bulk_update(
            to_update,
            [
                "description",
                "quantity",
                "amount",
                "account",
                "subaccount_number",
                "segment_values",
                "department_code",
                "project_code",
                "task_code",
                "branch_code",
                "extra",
                "edited",
                "updated_at",
            ],
        )
