"""Visma document DTOs → `DocumentSubmission` (ERP_PAYLOADS §2–§4, §12a).

The three inbound shapes — `SupplierInvoiceDto` with `invoiceLines`, `ExpenseClaimDto`
with `details`, `TimeCardDto` with `summary` — in Visma's read shape, or its write shape
once `dto.unwrap_values` has removed the `{"value": x}` wrappers (lookups then come as
plain ids: `supplierNumber`, `accountNumber`, `projectId`, subaccounts as
`[{segmentId, segmentValue}]`). Every serializer lists its fields explicitly: anything
else in the body (status, approvalStatus, ids, decisions, company…) is ignored, never
applied; the raw body is kept on the document.

Validation, each error with its JSON path:
- amounts are JSON numbers (never strings or booleans) with at most 2 decimals and at
  most 16 integer digits; quantities at most 4 decimals, unit prices 6;
- negative amounts only on credit notes (`documentType` `CreditAdj` or `DebitAdj`);
- the lines sum to the document's line total to the cent (`detailTotal`, `claimTotal`;
  for time cards `totalTimeSpent`, in minutes);
- currency: three upper-case letters, required (time cards carry none: their amounts
  are hours, recorded with the company's currency);
- dates: `2025-03-03T00:00:00`, RFC 3339 (`…Z`, `…+01:00`, fractions) or `2025-03-03`;
  the calendar date as written is kept;
- line numbers unique (numbered 1…n when no line carries one), 1 to `MAX_LINES` lines;
- text within the stored lengths; NUL characters and lone surrogates refused;
- time cards: whole minutes, at most 1440 per day, also summed over all lines of a day;
  a line's `timeSpent` equals the sum of its days;
- an expense claim with a receipt on hold (`status: "Hold"` or `hold: true` on a
  detail) is refused (VISMA_RULES §3 r19).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from documents.services import LineInput
from erp_sync.api import dto
from erp_sync.api.document_fields import (
    ErpDateField,
    SubaccountField,
    currency_field,
    line_number,
    minutes,
    money_field,
    price_field,
    quantity_field,
    ref,
    reference,
)
from erp_sync.services.documents import DocumentSubmission
from erp_sync.services.sync_rows import OrgRef
from orgunits.models import DocumentType

#: Lines per document; a larger document is refused (400) before its lines are read.
MAX_LINES = 5000
#: Supplier-invoice `documentType`s that go to approval (payments and voids do not).
SUPPLIER_INVOICE_TYPES = ("Invoice", "CreditAdj", "DebitAdj", "Prepayment")
#: The credit notes: the only documents whose amounts may be negative.
CREDIT_NOTE_TYPES = frozenset({"CreditAdj", "DebitAdj"})
#: The ERP document types recorded for the DTOs that have none of their own.
EXPENSE_CLAIM_ERP_TYPE = "ExpenseClaim"
TIME_CARD_ERP_TYPE = "TimeCard"
MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)
_HOURS = Decimal(60)
_CENT = Decimal("0.01")


# --- helpers -------------------------------------------------------------------------


def _code(*refs: OrgRef | None) -> str:
    """The first given reference's code (read-shape name, then its write-shape alias)."""
    return next((r.code for r in refs if r is not None), "")


def _name(*refs: OrgRef | None) -> str:
    return next((r.name for r in refs if r is not None and r.name), "")


def _first(attrs: Mapping[str, Any], *keys: str) -> Any:
    return next((attrs[k] for k in keys if attrs.get(k) is not None), None)


def _text(attrs: Mapping[str, Any], key: str) -> str:
    return attrs.get(key) or ""


# --- shared validation -----------------------------------------------------------------


def _number_lines(lines: Sequence[dict[str, Any]], key: str, list_name: str) -> None:
    """Give every line a `line_number`: its own, unique, or 1…n when none has one."""
    given = [line.get(key) for line in lines]
    if all(number is None for number in given):
        for index, line in enumerate(lines):
            line["line_number"] = index + 1
        return
    errors: dict[int, dict[str, list[str]]] = {}
    seen: dict[int, int] = {}
    for index, number in enumerate(given):
        if number is None:
            errors[index] = {key: ["Give every line a number, or none of them."]}
            continue
        as_int = int(number)
        if as_int in seen:
            errors[index] = {
                key: [f"Line number {as_int} is also used by line [{seen[as_int]}]."]
            }
            continue
        seen[as_int] = index
        lines[index]["line_number"] = as_int
    if errors:
        raise serializers.ValidationError({list_name: errors}, code="invalid")


def _refuse_negative(
    attrs: Mapping[str, Any],
    header_fields: Sequence[str],
    lines: Sequence[Mapping[str, Any]],
    list_name: str,
    line_field: str,
    why: str,
) -> None:
    errors: dict[str, Any] = {}
    for name in header_fields:
        value = attrs.get(name)
        if value is not None and value < 0:
            errors[name] = [why]
    line_errors = {
        index: {line_field: [why]}
        for index, line in enumerate(lines)
        if line["amount"] < 0
    }
    if line_errors:
        errors[list_name] = line_errors
    if errors:
        raise serializers.ValidationError(errors, code="negative")


def _check_total(
    lines: Sequence[Mapping[str, Any]], total: Decimal | None, total_field: str
) -> Decimal:
    """The lines' sum; ValidationError at `total_field` unless it matches to the cent."""
    line_sum = sum((line["amount"] for line in lines), Decimal("0.00"))
    if total is not None and line_sum != total:
        raise serializers.ValidationError(
            {
                total_field: [
                    f"The lines sum to {line_sum}, not {total}; the totals must agree "
                    "to the cent."
                ]
            },
            code="total_mismatch",
        )
    return line_sum


def _line_amount_from_price(
    attrs: Mapping[str, Any], amount_field: str, price_fields: Sequence[str]
) -> Decimal:
    """A line's amount when only quantity × unit price is given (write shape)."""
    price = _first(attrs, *price_fields)
    count = attrs.get("quantity")
    if price is None or count is None:
        raise serializers.ValidationError(
            {amount_field: ["Give the line amount (or quantity and unit cost)."]},
            code="required",
        )
    product = price * count
    if product.quantize(_CENT) != product:
        raise serializers.ValidationError(
            {
                amount_field: [
                    "Quantity × unit cost is not a whole number of cents; give the "
                    "line amount."
                ]
            },
            code="max_decimal_places",
        )
    return product.quantize(_CENT)


def _lines_field(child: serializers.Serializer) -> serializers.ListSerializer:
    return serializers.ListSerializer(
        child=child, allow_empty=False, max_length=MAX_LINES
    )


# --- supplier invoice ------------------------------------------------------------------


@extend_schema_serializer(component_name="SupplierInvoiceLineDto")
class SupplierInvoiceLineSerializer(serializers.Serializer):
    lineNumber = line_number()
    operation = serializers.ChoiceField(
        choices=["Insert", "Update"],
        required=False,
        allow_null=True,
        help_text="Write shape only; `Delete` makes no sense in a submission.",
    )
    transactionDescription = dto.text(1000)
    inventoryNumber = dto.text(30)
    quantity = quantity_field()
    uom = dto.text(10)
    unitCost = price_field()
    unitCostInCurrency = price_field()
    cost = money_field()
    costInCurrency = money_field(
        help_text="The line amount in the document's currency."
    )
    account = ref()
    accountNumber = ref(help_text="Write-shape alias of account.")
    subaccount = SubaccountField()
    vatCode = ref()
    vatCodeId = ref(help_text="Write-shape alias of vatCode.")
    branchNumber = ref()
    branch = ref(help_text="Alias of branchNumber.")
    project = ref()
    projectId = ref(help_text="Write-shape alias of project.")
    projectTask = ref()
    projectTaskId = ref(help_text="Write-shape alias of projectTask.")
    poNumber = dto.text(30)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        value = _first(attrs, "costInCurrency", "cost")
        if value is None:
            value = _line_amount_from_price(
                attrs, "costInCurrency", ("unitCostInCurrency", "unitCost")
            )
        return {**attrs, "amount": value}


@extend_schema_serializer(component_name="SupplierInvoiceDto")
class SupplierInvoiceSerializer(serializers.Serializer):
    documentType = serializers.ChoiceField(
        choices=SUPPLIER_INVOICE_TYPES,
        help_text="`CreditAdj`/`DebitAdj` are credit notes: amounts may be negative.",
    )
    referenceNumber = reference()
    supplier = ref(help_text="`{number, name}`; the write shape's `supplierNumber`.")
    supplierNumber = ref()
    supplierReference = dto.text(60)
    date = ErpDateField()
    dueDate = ErpDateField()
    description = dto.text(4000)
    currencyId = currency_field()
    amount = money_field(required=True, allow_null=False, help_text="Gross total.")
    detailTotal = money_field(help_text="Sum of the lines; checked to the cent.")
    vatTotal = money_field()
    vatAmount = money_field(help_text="Used as the VAT when vatTotal is absent.")
    branchNumber = ref()
    branch = ref(help_text="Alias of branchNumber.")
    initialApprover = ref(help_text="Employee number of the initial approver.")
    sender = ref(help_text='Employee number of whoever clicked "Send for approval".')
    invoiceLines = _lines_field(SupplierInvoiceLineSerializer())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        lines = attrs["invoiceLines"]
        _number_lines(lines, "lineNumber", "invoiceLines")
        if attrs["documentType"] not in CREDIT_NOTE_TYPES:
            _refuse_negative(
                attrs,
                ("amount", "detailTotal", "vatTotal", "vatAmount"),
                lines,
                "invoiceLines",
                "costInCurrency",
                "Negative amounts are allowed only on credit notes "
                "(documentType CreditAdj or DebitAdj).",
            )
        attrs["line_total"] = _check_total(
            lines, attrs.get("detailTotal"), "detailTotal"
        )
        return attrs


def supplier_invoice_submission(data: Mapping[str, Any]) -> DocumentSubmission:
    sender = _code(data.get("sender"))
    return DocumentSubmission(
        document_type=DocumentType.PURCHASE_INVOICE,
        erp_document_type=data["documentType"],
        erp_reference=data["referenceNumber"],
        gross_amount=data["amount"],
        net_amount=_first(data, "detailTotal", "line_total"),
        vat_amount=_first(data, "vatTotal", "vatAmount"),
        currency=data["currencyId"],
        # A supplier invoice names no requester; whoever sent it for approval is the
        # one who must not approve it (ERP_PAYLOADS §12a).
        requester_number=sender,
        initial_approver_number=_code(data.get("initialApprover")),
        sender_number=sender,
        supplier_number=_code(data.get("supplier"), data.get("supplierNumber")),
        supplier_name=_name(data.get("supplier"), data.get("supplierNumber")),
        description=_text(data, "description"),
        document_date=data.get("date"),
        due_date=data.get("dueDate"),
        branch_code=_code(data.get("branchNumber"), data.get("branch")),
        lines=tuple(
            LineInput(
                line_number=line["line_number"],
                amount=line["amount"],
                description=_text(line, "transactionDescription"),
                quantity=line.get("quantity"),
                account=_code(line.get("account"), line.get("accountNumber")),
                subaccount_number=line["subaccount"].number
                if line.get("subaccount")
                else "",
                segment_values=line["subaccount"].segments
                if line.get("subaccount")
                else {},
                project_code=_code(line.get("project"), line.get("projectId")),
                task_code=_code(line.get("projectTask"), line.get("projectTaskId")),
                branch_code=_code(line.get("branchNumber"), line.get("branch")),
                extra=_extra(
                    line,
                    vatCode=_code(line.get("vatCode"), line.get("vatCodeId")),
                    inventoryNumber=line.get("inventoryNumber"),
                    poNumber=line.get("poNumber"),
                    uom=line.get("uom"),
                    unitCost=_first(line, "unitCostInCurrency", "unitCost"),
                ),
            )
            for line in data["invoiceLines"]
        ),
    )


def _extra(line: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """A line's extra facts, without the empty ones (Decimals as exact strings)."""
    return {
        key: str(value) if isinstance(value, Decimal) else value
        for key, value in values.items()
        if value not in (None, "")
    }


# --- expense claim ---------------------------------------------------------------------


@extend_schema_serializer(component_name="ExpenseClaimDetailDto")
class ExpenseClaimDetailSerializer(serializers.Serializer):
    claimDetailId = line_number(help_text="The line number.")
    date = ErpDateField()
    expenseItem = ref()
    description = dto.text(1000)
    quantity = quantity_field()
    uom = dto.text(10)
    unitCost = price_field()
    totalAmount = money_field()
    employeePart = money_field()
    claimAmount = money_field(help_text="Amount claimed, in the receipt's currency.")
    amountInClaimCurr = money_field(
        help_text="Amount claimed, in the claim's currency."
    )
    currency = currency_field(
        required=False, allow_null=True, help_text="The receipt's currency."
    )
    invoiceable = dto.flag()
    expenseAccount = ref()
    expenseAccountNumber = ref(help_text="Write-shape alias of expenseAccount.")
    expenseSubaccount = SubaccountField()
    branch = ref()
    project = ref()
    projectId = ref(help_text="Write-shape alias of project.")
    projectTask = ref()
    projectTaskId = ref(help_text="Write-shape alias of projectTask.")
    taxCategory = ref()
    approver = ref(help_text="Suggested approver's employee number.")
    status = dto.text(30, help_text='The receipt\'s status; "Hold" is refused.')
    hold = dto.flag(help_text="The receipt is on hold: refused.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("hold") or (attrs.get("status") or "").strip().lower() == "hold":
            raise serializers.ValidationError(
                {
                    "status": [
                        "This receipt is on hold; an expense claim with a receipt on "
                        "hold cannot be sent for approval."
                    ]
                },
                code="receipt_on_hold",
            )
        value = attrs.get("amountInClaimCurr")
        if value is None:
            value = attrs.get("claimAmount")
        if value is None:
            value = _line_amount_from_price(attrs, "amountInClaimCurr", ("unitCost",))
        return {**attrs, "amount": value}


@extend_schema_serializer(component_name="ExpenseClaimDto")
class ExpenseClaimSerializer(serializers.Serializer):
    refNbr = reference()
    date = ErpDateField()
    description = dto.text(4000)
    claimedBy = ref(
        required=True, allow_null=False, help_text="The employee who claims."
    )
    department = ref()
    departmentId = ref(help_text="Write-shape alias of department.")
    currency = currency_field(required=False, allow_null=True)
    currencyId = currency_field(
        required=False, allow_null=True, help_text="Alias of currency."
    )
    claimTotal = money_field(required=True, allow_null=False)
    vatTaxableTotal = money_field()
    vatExemptTotal = money_field()
    initialApprover = ref(help_text="Employee number of the initial approver.")
    sender = ref(help_text='Employee number of whoever clicked "Send for approval".')
    details = _lines_field(ExpenseClaimDetailSerializer())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        claim_currency = _first(attrs, "currency", "currencyId")
        if claim_currency is None:
            raise serializers.ValidationError(
                {"currency": ["The claim's currency is required."]}, code="required"
            )
        attrs["claim_currency"] = claim_currency
        lines = attrs["details"]
        errors = {
            index: {
                "amountInClaimCurr": [
                    f"The receipt is in {line['currency']}: give the amount in "
                    f"{claim_currency} (amountInClaimCurr)."
                ]
            }
            for index, line in enumerate(lines)
            if line.get("currency")
            and line["currency"] != claim_currency
            and line.get("amountInClaimCurr") is None
        }
        if errors:
            raise serializers.ValidationError({"details": errors}, code="required")
        _number_lines(lines, "claimDetailId", "details")
        _refuse_negative(
            attrs,
            ("claimTotal", "vatTaxableTotal", "vatExemptTotal"),
            lines,
            "details",
            "amountInClaimCurr",
            "Negative amounts are not allowed on an expense claim.",
        )
        _check_total(lines, attrs["claimTotal"], "claimTotal")
        return attrs


def expense_claim_submission(data: Mapping[str, Any]) -> DocumentSubmission:
    department = _code(data.get("department"), data.get("departmentId"))
    net = data.get("vatTaxableTotal")
    if net is not None:
        net += data.get("vatExemptTotal") or Decimal("0.00")
    return DocumentSubmission(
        document_type=DocumentType.EXPENSE_CLAIM,
        erp_document_type=EXPENSE_CLAIM_ERP_TYPE,
        erp_reference=data["refNbr"],
        gross_amount=data["claimTotal"],
        net_amount=net,
        currency=data["claim_currency"],
        requester_number=_code(data.get("claimedBy")),
        initial_approver_number=_code(data.get("initialApprover")),
        sender_number=_code(data.get("sender")),
        description=_text(data, "description"),
        document_date=data.get("date"),
        department_code=department,
        lines=tuple(
            LineInput(
                line_number=line["line_number"],
                amount=line["amount"],
                description=_text(line, "description"),
                quantity=line.get("quantity"),
                account=_code(
                    line.get("expenseAccount"), line.get("expenseAccountNumber")
                ),
                subaccount_number=line["expenseSubaccount"].number
                if line.get("expenseSubaccount")
                else "",
                segment_values=line["expenseSubaccount"].segments
                if line.get("expenseSubaccount")
                else {},
                department_code=department,
                project_code=_code(line.get("project"), line.get("projectId")),
                task_code=_code(line.get("projectTask"), line.get("projectTaskId")),
                branch_code=_code(line.get("branch")),
                extra=_extra(
                    line,
                    expenseItem=_code(line.get("expenseItem")),
                    date=line["date"].isoformat() if line.get("date") else None,
                    claimAmount=line.get("claimAmount"),
                    receiptCurrency=line.get("currency"),
                    employeePart=line.get("employeePart"),
                    invoiceable=line.get("invoiceable"),
                    taxCategory=_code(line.get("taxCategory")),
                    suggestedApprover=_code(line.get("approver")),
                ),
            )
            for line in data["details"]
        ),
    )


# --- time card -------------------------------------------------------------------------


@extend_schema_serializer(component_name="TimeCardSummaryDto")
class TimeCardSummarySerializer(serializers.Serializer):
    lineNumber = line_number()
    earningType = ref(help_text="`{code, description, …}` or the code.")
    project = ref()
    projectId = ref(help_text="Write-shape alias of project.")
    projectTask = ref()
    projectTaskId = ref(help_text="Write-shape alias of projectTask.")
    mon = minutes(MINUTES_PER_DAY)
    tue = minutes(MINUTES_PER_DAY)
    wed = minutes(MINUTES_PER_DAY)
    thu = minutes(MINUTES_PER_DAY)
    fri = minutes(MINUTES_PER_DAY)
    sat = minutes(MINUTES_PER_DAY)
    sun = minutes(MINUTES_PER_DAY)
    timeSpent = minutes(7 * MINUTES_PER_DAY, help_text="Minutes this week.")
    invoiceable = dto.flag()
    description = dto.text(1000)
    approver = ref(help_text="Suggested approver's employee number.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        days = [attrs.get(day) for day in WEEKDAYS]
        given = [int(value) for value in days if value is not None]
        spent = attrs.get("timeSpent")
        if spent is None:
            if not given:
                raise serializers.ValidationError(
                    {"timeSpent": ["Give timeSpent or the minutes per day."]},
                    code="required",
                )
            total = sum(given)
        else:
            total = int(spent)
            if given and sum(given) != total:
                raise serializers.ValidationError(
                    {
                        "timeSpent": [
                            f"The days add up to {sum(given)} minutes, not {total}."
                        ]
                    },
                    code="total_mismatch",
                )
        return {**attrs, "minutes": total}


@extend_schema_serializer(component_name="TimeCardDto")
class TimeCardSerializer(serializers.Serializer):
    refNbr = reference()
    week = ref(help_text="`{number, description}`; `number` is YYYYWW.")
    employee = ref(required=True, allow_null=False, help_text="The requester.")
    timeSpent = minutes(7 * MINUTES_PER_DAY)
    overtimeSpent = minutes(7 * MINUTES_PER_DAY)
    totalTimeSpent = minutes(
        7 * MINUTES_PER_DAY, help_text="Minutes; the lines must sum to it."
    )
    initialApprover = ref(help_text="Employee number of the initial approver.")
    sender = ref(help_text='Employee number of whoever clicked "Send for approval".')
    summary = _lines_field(TimeCardSummarySerializer())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        lines = attrs["summary"]
        _number_lines(lines, "lineNumber", "summary")
        for day in WEEKDAYS:
            used = sum(int(line.get(day) or 0) for line in lines)
            if used > MINUTES_PER_DAY:
                raise serializers.ValidationError(
                    {
                        "summary": [
                            f"{_WEEKDAY_NAMES[day]} adds up to {used} minutes over the "
                            f"lines; a day has {MINUTES_PER_DAY}."
                        ]
                    },
                    code="implausible_hours",
                )
        line_minutes = sum(line["minutes"] for line in lines)
        total = attrs.get("totalTimeSpent")
        if total is not None and line_minutes != int(total):
            raise serializers.ValidationError(
                {
                    "totalTimeSpent": [
                        f"The lines add up to {line_minutes} minutes, not {total}."
                    ]
                },
                code="total_mismatch",
            )
        if line_minutes > 7 * MINUTES_PER_DAY:
            raise serializers.ValidationError(
                {"summary": [f"{line_minutes} minutes is more than a week has."]},
                code="implausible_hours",
            )
        regular, overtime = attrs.get("timeSpent"), attrs.get("overtimeSpent")
        if (
            total is not None
            and regular is not None
            and overtime is not None
            and regular + overtime != total
        ):
            raise serializers.ValidationError(
                {"totalTimeSpent": ["timeSpent + overtimeSpent must equal it."]},
                code="total_mismatch",
            )
        return attrs


def _hours(minutes_: int) -> Decimal:
    return (Decimal(minutes_) / _HOURS).quantize(_CENT, rounding=ROUND_HALF_UP)


def _week_start(week: str) -> date | None:
    """Monday of an ISO week given as YYYYWW, else None (the format is inferred)."""
    if len(week) != 6 or not week.isdigit():
        return None
    try:
        return date.fromisocalendar(int(week[:4]), int(week[4:]), 1)
    except ValueError:
        return None


def time_card_submission(data: Mapping[str, Any]) -> DocumentSubmission:
    """Amounts are hours (2 decimals, rounded per line); quantities are minutes."""
    week = _code(data.get("week"))
    lines = tuple(
        LineInput(
            line_number=line["line_number"],
            amount=_hours(line["minutes"]),
            description=_text(line, "description"),
            quantity=Decimal(line["minutes"]),
            project_code=_code(line.get("project"), line.get("projectId")),
            task_code=_code(line.get("projectTask"), line.get("projectTaskId")),
            extra=_extra(
                line,
                unit="min",
                earningType=_code(line.get("earningType")),
                invoiceable=line.get("invoiceable"),
                suggestedApprover=_code(line.get("approver")),
                **{
                    day: int(line[day]) for day in WEEKDAYS if line.get(day) is not None
                },
            ),
        )
        for line in data["summary"]
    )
    return DocumentSubmission(
        document_type=DocumentType.TIME_SHEET,
        erp_document_type=TIME_CARD_ERP_TYPE,
        erp_reference=data["refNbr"],
        gross_amount=sum((line.amount for line in lines), Decimal("0.00")),
        currency=None,
        requester_number=_code(data.get("employee")),
        initial_approver_number=_code(data.get("initialApprover")),
        sender_number=_code(data.get("sender")),
        description=f"Week {week}" if week else "",
        document_date=_week_start(week),
        lines=lines,
    )
