"""Hostile and broken document payloads are refused cleanly (RELIABILITY 27–29):
400/413/415 with the JSON path of every bad value, never a 500, nothing written."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from documents.models import Document, HistoryEvent
from erp_sync.api.document_dto import MAX_LINES
from erp_sync.models import IdempotencyKey
from tests.erp_sync.conftest import ErpApi, assert_problem

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
INVOICES = "documents/supplier-invoices"
CLAIMS = "documents/expense-claims"
CARDS = "documents/time-cards"

Mutation = Callable[[dict[str, Any]], None]


def load(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text())


def nothing_written() -> bool:
    return not (
        Document.objects.exists()
        or HistoryEvent.objects.exists()
        or IdempotencyKey.objects.exists()
    )


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting `a.b[0].c` (creating nothing, only replacing)."""

    def mutate(body: dict[str, Any]) -> None:
        target: Any = body
        parts = path.replace("]", "").replace("[", ".").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _drop(key: str) -> Mutation:
    return lambda body: body.pop(key)


def _all(*mutations: Mutation) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(body)

    return mutate


INVOICE_CASES: list[tuple[str, Mutation, str, str]] = [
    # (id, mutation, expected path, expected code)
    ("amount-as-string", _set("amount", "1250.00"), "amount", "invalid"),
    ("amount-as-bool", _set("amount", True), "amount", "invalid"),
    ("amount-missing", _drop("amount"), "amount", "required"),
    ("amount-null", _set("amount", None), "amount", "null"),
    (
        "three-decimals",
        _set("invoiceLines[0].costInCurrency", 600.001),
        "invoiceLines[0].costInCurrency",
        "max_decimal_places",
    ),
    ("huge", _set("amount", 10**16), "amount", "max_whole_digits"),
    ("huge-exponent", _set("amount", 1e300), "amount", "max_whole_digits"),
    (
        "negative-line-on-an-invoice",
        _all(
            _set("invoiceLines[1].costInCurrency", -400.0),
            _set("detailTotal", 200.0),
        ),
        "invoiceLines[1].costInCurrency",
        "negative",
    ),
    ("negative-total", _set("amount", -1250.0), "amount", "negative"),
    (
        "lines-do-not-sum",
        _set("invoiceLines[1].costInCurrency", 400.01),
        "detailTotal",
        "total_mismatch",
    ),
    ("currency-missing", _drop("currencyId"), "currencyId", "required"),
    ("currency-lower-case", _set("currencyId", "nok"), "currencyId", "invalid"),
    ("currency-four-letters", _set("currencyId", "NOKK"), "currencyId", "max_length"),
    ("date-unparseable", _set("date", "03/03/2025"), "date", "invalid"),
    ("date-impossible", _set("dueDate", "2025-02-30T00:00:00"), "dueDate", "invalid"),
    ("date-as-number", _set("date", 20250303), "date", "invalid"),
    ("date-year-0001", _set("date", "0001-01-01T00:00:00"), "date", "range"),
    (
        "duplicate-line-numbers",
        _set("invoiceLines[1].lineNumber", 1),
        "invoiceLines[1].lineNumber",
        "invalid",
    ),
    (
        "some-lines-unnumbered",
        _set("invoiceLines[1].lineNumber", None),
        "invoiceLines[1].lineNumber",
        "invalid",
    ),
    (
        "line-number-zero",
        _set("invoiceLines[0].lineNumber", 0),
        "invoiceLines[0].lineNumber",
        "min_value",
    ),
    ("no-lines", _set("invoiceLines", []), "invoiceLines", "empty"),
    ("lines-not-a-list", _set("invoiceLines", {"a": 1}), "invoiceLines", "not_a_list"),
    ("reference-missing", _drop("referenceNumber"), "referenceNumber", "required"),
    ("reference-blank", _set("referenceNumber", "  "), "referenceNumber", "blank"),
    (
        "reference-too-long",
        _set("referenceNumber", "R" * 61),
        "referenceNumber",
        "max_length",
    ),
    (
        "payment-document-type",
        _set("documentType", "Check"),
        "documentType",
        "invalid_choice",
    ),
    (
        "nul-in-text",
        _set("description", "Office\x00supplies"),
        "description",
        "null_characters_not_allowed",
    ),
    (
        "nul-in-line-text",
        _set("invoiceLines[0].transactionDescription", "A\x00"),
        "invoiceLines[0].transactionDescription",
        "null_characters_not_allowed",
    ),
    ("text-too-long", _set("description", "x" * 4001), "description", "max_length"),
    ("code-too-long", _set("sender", "E" * 31), "sender", "max_length"),
    (
        "subaccount-bad-segment",
        _set("invoiceLines[0].subaccount.segments[1].segmentId", "two"),
        "invoiceLines[0].subaccount.segments[1].segmentId",
        "invalid",
    ),
    (
        "subaccount-duplicate-segment",
        _set("invoiceLines[0].subaccount.segments[1].segmentId", 1),
        "invoiceLines[0].subaccount.segments[1].segmentId",
        "invalid",
    ),
    (
        "subaccount-write-shape-missing-value",
        _set("invoiceLines[0].subaccount", [{"segmentId": 1}]),
        "invoiceLines[0].subaccount[0].segmentValue",
        "required",
    ),
    (
        "line-without-any-amount",
        _all(
            *(
                _set(f"invoiceLines[0].{key}", None)
                for key in ("costInCurrency", "cost", "unitCostInCurrency", "unitCost")
            )
        ),
        "invoiceLines[0].costInCurrency",
        "required",
    ),
    (
        "delete-operation",
        _set("invoiceLines[0].operation", "Delete"),
        "invoiceLines[0].operation",
        "invalid_choice",
    ),
    ("body-is-a-list", lambda body: None, "", "invalid"),
]


@pytest.mark.parametrize(
    ("mutation", "path", "code"),
    [case[1:] for case in INVOICE_CASES],
    ids=[case[0] for case in INVOICE_CASES],
)
def test_a_bad_supplier_invoice_is_a_400_naming_the_path(
    api: ErpApi, mutation: Mutation, path: str, code: str, request: Any
) -> None:
    body: Any = load("supplier_invoice_read.json")
    mutation(body)
    if request.node.callspec.id == "body-is-a-list":
        body = [body]

    response = api.post(INVOICES, body, key=str(uuid.uuid4()))

    problem = assert_problem(response, 400, "invalid")
    assert path in {error["path"] for error in problem["errors"]}, problem["errors"]
    matching = [e for e in problem["errors"] if e["path"] == path]
    assert code in {e["code"] for e in matching}, matching
    assert nothing_written()


def test_nan_and_infinity_are_refused_by_the_parser(api: ErpApi) -> None:
    text = json.dumps(load("supplier_invoice_read.json")).replace(
        '"amount": 1250.0', '"amount": NaN'
    )
    response = api.post_raw(
        INVOICES, text, "application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_problem(response, 400, "parse_error")
    assert nothing_written()


def test_a_lone_surrogate_is_refused_with_its_path(api: ErpApi) -> None:
    text = json.dumps(load("supplier_invoice_read.json")).replace(
        '"Office supplies March"', '"Office \\ud800 supplies"'
    )
    response = api.post_raw(
        INVOICES, text, "application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    problem = assert_problem(response, 400, "invalid")
    assert [e["path"] for e in problem["errors"]] == ["description"]
    assert nothing_written()


def test_a_credit_note_is_not_an_excuse_for_bad_totals(api: ErpApi) -> None:
    body = load("supplier_credit_note.json")
    body["detailTotal"] = -399.99

    response = api.post(INVOICES, body, key="k")

    problem = assert_problem(response, 400, "invalid")
    assert problem["errors"][0]["path"] == "detailTotal"
    assert "-400.00" in problem["errors"][0]["message"]


def test_every_bad_value_is_reported_at_once(api: ErpApi) -> None:
    body = load("supplier_invoice_read.json")
    body["amount"] = "x"
    body["currencyId"] = "nok"
    body["invoiceLines"][1]["costInCurrency"] = 1.001

    response = api.post(INVOICES, body, key="k")

    paths = {e["path"] for e in assert_problem(response, 400, "invalid")["errors"]}
    assert paths == {"amount", "currencyId", "invoiceLines[1].costInCurrency"}


def test_unicode_that_is_valid_is_kept_as_sent(api: ErpApi) -> None:
    text = (
        "Ærlig \u202eevil\u202c zero\u200bwidth 🧾 <script>alert(1)</script> =SUM(A1)"
    )
    body = load("supplier_invoice_read.json")
    body["description"] = text

    assert api.post(INVOICES, body, key="k").status_code == 202
    assert Document.objects.get().description == text


# --- expense claims and time cards -----------------------------------------------------

CLAIM_CASES: list[tuple[str, Mutation, str]] = [
    ("receipt-on-hold", _set("details[0].status", "Hold"), "details[0].status"),
    ("receipt-hold-flag", _set("details[0].hold", True), "details[0].status"),
    (
        "negative",
        _all(
            _set("details[0].amountInClaimCurr", -1450.0), _set("claimTotal", -1450.0)
        ),
        "claimTotal",
    ),
    ("total-mismatch", _set("claimTotal", 1450.01), "claimTotal"),
    ("no-requester", _drop("claimedBy"), "claimedBy"),
    ("no-currency", _drop("currency"), "currency"),
    (
        "foreign-receipt-without-claim-amount",
        _all(
            _set("details[0].currency", "SEK"),
            _set("details[0].amountInClaimCurr", None),
        ),
        "details[0].amountInClaimCurr",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path"), [c[1:] for c in CLAIM_CASES], ids=[c[0] for c in CLAIM_CASES]
)
def test_a_bad_expense_claim_is_a_400_naming_the_path(
    api: ErpApi, mutation: Mutation, path: str
) -> None:
    body = load("expense_claim_read.json")
    mutation(body)

    response = api.post(CLAIMS, body, key="k")

    problem = assert_problem(response, 400, "invalid")
    assert path in {e["path"] for e in problem["errors"]}, problem["errors"]
    assert nothing_written()


def test_a_receipt_on_hold_says_why(api: ErpApi) -> None:
    body = load("expense_claim_read.json")
    body["details"][0]["status"] = "Hold"

    problem = assert_problem(api.post(CLAIMS, body, key="k"), 400, "invalid")

    assert problem["errors"] == [
        {
            "path": "details[0].status",
            "message": (
                "This receipt is on hold; an expense claim with a receipt on hold "
                "cannot be sent for approval."
            ),
            "code": "receipt_on_hold",
        }
    ]


CARD_CASES: list[tuple[str, Mutation, str]] = [
    ("more-than-a-day", _set("summary[0].mon", 1441), "summary[0].mon"),
    ("negative-minutes", _set("summary[0].tue", -30), "summary[0].tue"),
    ("fractional-minutes", _set("summary[0].tue", 450.5), "summary[0].tue"),
    ("minutes-as-string", _set("summary[0].tue", "450"), "summary[0].tue"),
    (
        "a-day-over-all-lines",
        _all(
            _set("summary[1].mon", 1000),
            _set("summary[1].timeSpent", 2350),
            _set("totalTimeSpent", 3250),
            _set("timeSpent", 3250),
        ),
        "summary",
    ),
    (
        "days-disagree-with-line",
        _set("summary[0].timeSpent", 901),
        "summary[0].timeSpent",
    ),
    ("lines-disagree-with-total", _set("totalTimeSpent", 2251), "totalTimeSpent"),
    ("no-employee", _drop("employee"), "employee"),
    ("no-lines", _set("summary", []), "summary"),
]


@pytest.mark.parametrize(
    ("mutation", "path"), [c[1:] for c in CARD_CASES], ids=[c[0] for c in CARD_CASES]
)
def test_a_bad_time_card_is_a_400_naming_the_path(
    api: ErpApi, mutation: Mutation, path: str
) -> None:
    body = load("time_card_read.json")
    mutation(body)

    response = api.post(CARDS, body, key="k")

    problem = assert_problem(response, 400, "invalid")
    assert path in {e["path"] for e in problem["errors"]}, problem["errors"]
    assert nothing_written()


# --- the body itself -------------------------------------------------------------------


def test_invalid_json_is_a_400(api: ErpApi) -> None:
    response = api.post_raw(
        INVOICES, b'{"documentType": ', "application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_problem(response, 400, "parse_error")


def test_another_content_type_is_a_415(api: ErpApi) -> None:
    response = api.post_raw(
        INVOICES, "documentType=Invoice", "text/plain", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_problem(response, 415, "unsupported_media_type")
    assert nothing_written()


def test_a_body_over_the_limit_is_a_413(api: ErpApi) -> None:
    body = load("supplier_invoice_read.json")
    body["description"] = "x" * (6 * 1024 * 1024)

    response = api.post(INVOICES, body, key="k")

    assert_problem(response, 413, "request_too_large")
    assert nothing_written()


def test_more_lines_than_allowed_are_refused_before_they_are_read(
    api: ErpApi, django_assert_max_num_queries: Any
) -> None:
    body = load("supplier_invoice_read.json")
    line = {"costInCurrency": 1}
    body["invoiceLines"] = [line] * (MAX_LINES + 1)

    with django_assert_max_num_queries(10):
        response = api.post(INVOICES, body, key="k")

    problem = assert_problem(response, 400, "invalid")
    assert problem["errors"][0]["path"] == "invoiceLines"
    assert problem["errors"][0]["code"] == "max_length"


def test_a_hundred_thousand_lines_never_reach_the_database(api: ErpApi) -> None:
    body = load("supplier_invoice_read.json")
    body["invoiceLines"] = [{"costInCurrency": 1}] * 100_000

    response = api.post(INVOICES, body, key="k")

    assert response.status_code in (400, 413)
    assert nothing_written()


def test_deep_nesting_is_a_400(api: ErpApi) -> None:
    nested = "[" * 5000 + "]" * 5000
    text = json.dumps(load("supplier_invoice_read.json"))[:-1] + f', "x": {nested}}}'

    response = api.post_raw(
        INVOICES, text, "application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert_problem(response, 400, "parse_error")


def test_thousands_of_fields_are_a_400(api: ErpApi) -> None:
    body = load("supplier_invoice_read.json")
    body.update({f"field{i}": i for i in range(5000)})

    response = api.post(INVOICES, body, key="k")

    assert_problem(response, 400, "parse_error")
