"""POST /api/v1/documents/{supplier-invoices,expense-claims,time-cards}: the Visma
payloads under tests/erp_sync/payloads/ (every type, read and write shape, a credit
note, other currencies, 200 lines) are accepted and mapped per ERP_PAYLOADS §12a."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from documents.models import Document, HistoryEvent, Line
from erp_sync.api import document_examples
from erp_sync.models import IdempotencyKey
from orgunits.models import Company, DocumentType
from tests.erp_sync.conftest import ErpApi

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
ENDPOINTS = {
    "supplier_invoice": "documents/supplier-invoices",
    "supplier_credit": "documents/supplier-invoices",
    "expense_claim": "documents/expense-claims",
    "time_card": "documents/time-cards",
}


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text())


def endpoint_for(name: str) -> str:
    return next(path for prefix, path in ENDPOINTS.items() if name.startswith(prefix))


def submit(api: ErpApi, name: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(endpoint_for(name), body or payload(name), key=str(uuid.uuid4()))


def accepted(response: Any) -> Document:
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "status", "erpReference", "url"}
    assert body["status"] == "received"
    assert body["url"] == f"http://testserver/api/v1/documents/{body['id']}"
    assert response["Location"] == body["url"]
    assert response["Idempotent-Replayed"] == "false"
    document = Document.objects.get(public_id=body["id"])
    assert body["erpReference"] == document.erp_reference
    return document


@pytest.mark.parametrize(
    "name", sorted(p.name for p in PAYLOADS.glob("*.json")), ids=lambda n: n[:-5]
)
def test_every_payload_fixture_is_accepted(
    api: ErpApi, company: Company, name: str
) -> None:
    document = accepted(submit(api, name))

    assert document.company == company
    assert document.status == Document.Status.RECEIVED
    assert document.lines.count() >= 1
    assert HistoryEvent.objects.filter(document=document).count() == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("documents/supplier-invoices", document_examples.SUPPLIER_INVOICE_READ),
        ("documents/supplier-invoices", document_examples.SUPPLIER_INVOICE_WRITE),
        ("documents/expense-claims", document_examples.EXPENSE_CLAIM_READ),
        ("documents/time-cards", document_examples.TIME_CARD_READ),
    ],
)
def test_the_documented_examples_are_accepted(
    api: ErpApi, path: str, body: dict[str, Any]
) -> None:
    accepted(api.post(path, body, key=str(uuid.uuid4())))


def test_a_supplier_invoice_in_the_read_shape_maps_per_the_table(
    api: ErpApi, erp_client: Any
) -> None:
    document = accepted(submit(api, "supplier_invoice_read.json"))

    assert document.document_type == DocumentType.PURCHASE_INVOICE
    assert document.erp_document_type == "Invoice"
    assert document.erp_reference == "004711"
    assert (document.gross_amount, document.net_amount, document.vat_amount) == (
        Decimal("1250.00"),
        Decimal("1000.00"),
        Decimal("250.00"),
    )
    assert document.currency == "NOK"
    assert (document.supplier_number, document.supplier_name) == (
        "50012",
        "Kontorrekvisita AS",
    )
    assert document.document_date == date(2025, 3, 3)
    assert document.due_date == date(2025, 4, 2)
    assert document.branch_code == "1"
    assert document.description == "Office supplies March"
    assert document.initial_approver_number == "E0007"
    assert document.sender_number == "E0042"
    # A supplier invoice names no requester: the sender may not approve it.
    assert document.requester_number == "E0042"
    assert document.raw_payload["approvalDetails"]["attachmentID"].startswith("9b2f")
    first, second = document.lines.order_by("line_number")
    assert first.line_number == 1
    assert first.amount == Decimal("600.00")
    assert first.quantity == Decimal("10")
    assert first.description == "Printer paper A4"
    assert first.account == "6800"
    assert first.subaccount_number == "20-100"
    assert first.segment_values == {"1": "20", "2": "100"}
    assert (first.project_code, first.task_code, first.branch_code) == (
        "P1001",
        "01",
        "1",
    )
    assert first.extra == {
        "vatCode": "HIGH",
        "uom": "PCS",
        "unitCost": "60.0",
    }
    assert second.segment_values == {"1": "30", "2": "000"}
    assert (second.project_code, second.task_code) == ("", "")
    history = HistoryEvent.objects.get(document=document)
    assert history.action == "documents.document.receive"
    assert history.actor_label == f"ERP ({erp_client.name})"


def test_the_write_shape_is_unwrapped_and_derives_what_it_leaves_out(
    api: ErpApi,
) -> None:
    document = accepted(submit(api, "supplier_invoice_write.json"))

    assert document.erp_reference == "004712"
    assert (document.gross_amount, document.vat_amount) == (
        Decimal("750.00"),
        Decimal("150.00"),
    )
    assert document.supplier_number == "50012"
    (line,) = document.lines.all()
    # No line number and no amount: numbered 1, amount = quantity × unit cost.
    assert line.line_number == 1
    assert line.amount == Decimal("600.00")
    assert document.net_amount == Decimal("600.00")
    assert line.subaccount_number == "20-100"
    assert line.segment_values == {"1": "20", "2": "100"}
    assert (line.account, line.project_code, line.task_code) == ("6800", "P1001", "01")
    assert line.extra["vatCode"] == "HIGH"


def test_a_credit_note_may_carry_negative_amounts(api: ErpApi) -> None:
    document = accepted(submit(api, "supplier_credit_note.json"))

    assert document.erp_document_type == "DebitAdj"
    assert document.gross_amount == Decimal("-500.00")
    assert document.lines.get().amount == Decimal("-400.00")
    # The date as written, whatever its offset.
    assert document.document_date == date(2025, 3, 5)


def test_another_currency_and_mixed_subaccount_shapes(api: ErpApi) -> None:
    document = accepted(submit(api, "supplier_invoice_usd.json"))

    assert document.currency == "USD"
    assert document.gross_amount == Decimal("1234.56")
    assert document.due_date == date(2025, 4, 6)
    lines = {line.line_number: line for line in document.lines.all()}
    # The document-currency amount, not the company-currency `cost`.
    assert lines[10].amount == Decimal("1000.01")
    assert lines[20].subaccount_number == "30-200"


def test_two_hundred_lines_are_stored_exactly(api: ErpApi) -> None:
    document = accepted(submit(api, "supplier_invoice_200_lines.json"))

    amounts = list(
        Line.objects.filter(document=document)
        .order_by("line_number")
        .values_list("amount", flat=True)
    )
    assert len(amounts) == 200
    assert amounts[0] == Decimal("12.34")
    assert amounts[-1] == Decimal("2468.00")
    assert sum(amounts) == document.gross_amount == Decimal("248034.00")


def test_an_expense_claim_maps_requester_department_and_lines(api: ErpApi) -> None:
    document = accepted(submit(api, "expense_claim_read.json"))

    assert document.document_type == DocumentType.EXPENSE_CLAIM
    assert document.erp_document_type == "ExpenseClaim"
    assert document.erp_reference == "EC000231"
    assert document.requester_number == "E0042"
    assert document.department_code == "SALES"
    assert document.gross_amount == Decimal("1450.00")
    assert document.net_amount == Decimal("1294.64")
    assert document.currency == "NOK"
    (line,) = document.lines.all()
    assert (line.line_number, line.amount) == (1, Decimal("1450.00"))
    assert line.subaccount_number == "20-100"
    assert (line.department_code, line.branch_code) == ("SALES", "1")
    assert line.extra["suggestedApprover"] == "E0007"
    assert line.extra["expenseItem"] == "HOTEL"


def test_a_receipt_in_another_currency_counts_in_the_claim_currency(
    api: ErpApi,
) -> None:
    document = accepted(submit(api, "expense_claim_multi_currency.json"))

    lines = {line.line_number: line for line in document.lines.all()}
    assert lines[1].amount == Decimal("2550.25")
    assert lines[1].extra["receiptCurrency"] == "SEK"
    assert lines[1].extra["claimAmount"] == "2500.00"
    assert document.gross_amount == Decimal("3150.75")


def test_an_expense_claim_in_the_write_shape(api: ErpApi) -> None:
    document = accepted(submit(api, "expense_claim_write.json"))

    assert (document.requester_number, document.department_code) == ("E0042", "SALES")
    line = document.lines.get()
    assert (line.amount, line.account, line.subaccount_number) == (
        Decimal("389.50"),
        "7140",
        "20-100",
    )


def test_a_time_card_is_stored_in_hours_with_minutes_as_quantity(
    api: ErpApi, company: Company
) -> None:
    document = accepted(submit(api, "time_card_read.json"))

    assert document.document_type == DocumentType.TIME_SHEET
    assert document.erp_document_type == "TimeCard"
    assert document.requester_number == "E0042"
    assert document.currency == company.currency
    assert document.gross_amount == Decimal("37.50")
    assert document.description == "Week 202511"
    assert document.document_date == date(2025, 3, 10)
    first, second = document.lines.order_by("line_number")
    assert (first.amount, first.quantity) == (Decimal("15.00"), Decimal("900"))
    assert (first.project_code, first.task_code) == ("P1001", "02")
    assert first.extra["mon"] == 450
    assert first.extra["earningType"] == "RG"
    assert second.amount == Decimal("22.50")


def test_a_time_card_in_the_write_shape(api: ErpApi) -> None:
    document = accepted(submit(api, "time_card_write.json"))

    line = document.lines.get()
    # 100 minutes = 1.67 hours (rounded half up to the cent).
    assert (line.amount, line.quantity) == (Decimal("1.67"), Decimal("100"))
    assert document.document_date == date(2025, 3, 17)


def test_routing_is_enqueued_after_commit(
    api: ErpApi, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        document = accepted(submit(api, "supplier_invoice_read.json"))

    assert len(callbacks) == 1
    assert "documents.route_document" in callbacks[0].__qualname__
    assert str(document.pk) in callbacks[0].__qualname__


def test_server_owned_fields_in_the_body_are_ignored(
    api: ErpApi, company: Company
) -> None:
    other = Company.objects.create(code="other", name="Other", currency="EUR")
    body = {
        **payload("supplier_invoice_read.json"),
        "id": str(uuid.uuid4()),
        "company": other.pk,
        "companyId": other.code,
        "status": "approved",
        "approvalStatus": "ApprovedInApproval",
        "decisions": [{"action": "approve", "decidedBy": "E0001"}],
        "version": 99,
        "processNumber": 7,
    }

    document = accepted(api.post("documents/supplier-invoices", body, key="k-1"))

    assert document.company == company
    assert document.status == Document.Status.RECEIVED
    assert document.version == 1
    assert str(document.public_id) != body["id"]
    assert not document.processes.exists()


def test_the_answer_is_stored_with_the_document(api: ErpApi, erp_client: Any) -> None:
    response = api.post(
        "documents/supplier-invoices", payload("supplier_invoice_read.json"), key="K1"
    )

    row = IdempotencyKey.objects.get()
    assert (row.client, row.key, row.status) == (erp_client, "K1", "completed")
    assert row.response_status == 202
    assert row.response_body == response.json()
    assert row.request_path == "/api/v1/documents/supplier-invoices"
    assert len(row.request_fingerprint) == 64


def _invoice_with(lines: int, reference: str) -> dict[str, Any]:
    body = payload("supplier_invoice_200_lines.json")
    body["referenceNumber"] = reference
    body["invoiceLines"] = body["invoiceLines"][:lines]
    total = sum(Decimal(str(line["costInCurrency"])) for line in body["invoiceLines"])
    body["detailTotal"] = body["amount"] = float(total)
    return body


def test_the_queries_of_one_submission_do_not_grow_with_its_lines(
    api: ErpApi,
) -> None:
    """Issue 8: lines are written in bulk, so 10 lines cost what 1 line costs."""
    accepted(api.post("documents/supplier-invoices", _invoice_with(1, "WARM"), key="w"))

    def queries(lines: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            document = accepted(
                api.post(
                    "documents/supplier-invoices",
                    _invoice_with(lines, f"Q-{lines}"),
                    key=str(uuid.uuid4()),
                )
            )
        assert document.lines.count() == lines
        return len(captured)

    assert queries(10) == queries(1)
