"""The Idempotency-Key of document submissions (RELIABILITY 1, 2, 4–7).

The concurrent scenarios (3, and 4 in parallel) run on PostgreSQL in
test_documents_concurrency.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from documents.models import Document, HistoryEvent, Process
from documents.services import document_cancel, document_route
from erp_sync.api.parsers import loads_strict
from erp_sync.models import IdempotencyKey
from erp_sync.services.idempotency import (
    IN_PROGRESS_LEASE,
    idempotency_keys_purge,
    request_fingerprint,
)
from orgunits.models import Company
from tests.erp_sync.conftest import ErpApi, assert_problem
from tests.factories.orgunits import CompanyFactory

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
INVOICES = "documents/supplier-invoices"


def invoice(**changes: Any) -> dict[str, Any]:
    body = json.loads((PAYLOADS / "supplier_invoice_read.json").read_text())
    body.update(changes)
    return body


def state() -> tuple[int, ...]:
    """What a refused or replayed request must leave unchanged."""
    return (
        Document.objects.count(),
        HistoryEvent.objects.count(),
        IdempotencyKey.objects.count(),
        Process.objects.count(),
    )


# --- the header -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({}, "idempotency_key_missing"),
        ({"HTTP_IDEMPOTENCY_KEY": "   "}, "idempotency_key_missing"),
        ({"HTTP_IDEMPOTENCY_KEY": "x" * 256}, "idempotency_key_invalid"),
        ({"HTTP_IDEMPOTENCY_KEY": "ключ"}, "idempotency_key_invalid"),
        ({"HTTP_IDEMPOTENCY_KEY": "tab\there"}, "idempotency_key_invalid"),
    ],
    ids=["missing", "blank", "too-long", "non-ascii", "control-character"],
)
def test_a_missing_or_malformed_key_is_a_400_and_writes_nothing(
    api: ErpApi, extra: dict[str, str], code: str
) -> None:
    response = api.post(INVOICES, invoice(), **extra)

    assert_problem(response, 400, code)
    assert state() == (0, 0, 0, 0)


def test_a_key_of_255_printable_characters_is_fine(api: ErpApi) -> None:
    key = "".join(chr(33 + i % 94) for i in range(255))

    assert api.post(INVOICES, invoice(), key=key).status_code == 202


# --- RELIABILITY 1, 2 ------------------------------------------------------------------


def test_the_same_request_again_a_second_and_an_hour_later_gets_the_first_answer(
    api: ErpApi,
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = api.post(INVOICES, invoice(), key="order-4711")
    after = state()

    with time_machine.travel(start + timedelta(seconds=1), tick=False):
        second = api.post(INVOICES, invoice(), key="order-4711")
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        # An hour later the ERP has a new access token; the key still holds.
        third = ErpApi(api.erp_client).post(INVOICES, invoice(), key="order-4711")

    assert first.status_code == second.status_code == third.status_code == 202
    assert first.json() == second.json() == third.json()
    assert (second["Idempotent-Replayed"], third["Idempotent-Replayed"]) == (
        "true",
        "true",
    )
    assert second["Location"] == first["Location"]
    assert state() == after == (1, 1, 1, 0)


def test_key_order_whitespace_and_number_spelling_do_not_make_another_body(
    api: ErpApi,
) -> None:
    body = invoice()
    reordered = dict(reversed(list(body.items())))
    text = json.dumps(reordered, indent=4).replace(
        '"amount": 1250.0', '"amount": 1250.00'
    )
    assert '"amount": 1250.00' in text

    first = api.post(INVOICES, body, key="k")
    second = api.post_raw(INVOICES, text, "application/json", HTTP_IDEMPOTENCY_KEY="k")

    assert second.status_code == 202
    assert second.json() == first.json()
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    "changes",
    [{"amount": 1250.01}, {"description": "Other text"}, {"sender": "E0043"}],
    ids=["amount", "description", "sender"],
)
def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(
    api: ErpApi, changes: dict[str, Any]
) -> None:
    api.post(INVOICES, invoice(), key="k")
    document = Document.objects.get()
    before = state()

    response = api.post(INVOICES, invoice(**changes), key="k")

    assert_problem(response, 422, "idempotency_key_reused")
    assert state() == before
    assert Document.objects.get().description == document.description
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.COMPLETED


def test_the_same_key_on_another_endpoint_is_another_request(api: ErpApi) -> None:
    api.post(INVOICES, invoice(), key="k")

    response = api.post("documents/expense-claims", invoice(), key="k")

    assert_problem(response, 422, "idempotency_key_reused")


def test_a_replay_is_answered_even_if_the_body_would_now_be_refused(
    api: ErpApi, company: Company
) -> None:
    first = api.post(INVOICES, invoice(), key="k")
    # Whatever changed since (here: the document was cancelled and routing state
    # moved on), the retry gets what the first request got.
    document_cancel(document_id=Document.objects.get().pk, actor_label="ERP")

    again = api.post(INVOICES, invoice(), key="k")

    assert again.status_code == 202
    assert again.json() == first.json()


# --- RELIABILITY 4 ---------------------------------------------------------------------


def test_the_same_erp_document_with_a_new_key_is_a_409_pointing_at_it(
    api: ErpApi,
) -> None:
    first = api.post(INVOICES, invoice(), key="first")
    before = state()

    response = api.post(INVOICES, invoice(description="resent"), key="second")

    body = assert_problem(response, 409, "open_process")
    assert body["existingId"] == first.json()["id"]
    assert body["existingStatus"] == "received"
    assert state()[:2] == before[:2]
    # Refusals are not remembered: the key is free again.
    assert not IdempotencyKey.objects.filter(key="second").exists()


def test_a_409_also_holds_once_the_document_is_routed(
    api: ErpApi, company: Company
) -> None:
    first = api.post(INVOICES, invoice(), key="first")
    document_route(document_id=Document.objects.get().pk)

    response = api.post(INVOICES, invoice(), key="second")

    body = assert_problem(response, 409, "open_process")
    assert body["existingId"] == first.json()["id"]
    assert body["existingStatus"] == "blocked"


def test_after_cancel_the_same_erp_document_starts_a_new_process(
    api: ErpApi,
) -> None:
    first = api.post(INVOICES, invoice(), key="first")
    api.post(f"documents/{first.json()['id']}/cancel", {})
    refused = api.post(INVOICES, invoice(), key="second")
    assert refused.status_code == 202  # cancelled: a new submission is welcome

    document = Document.objects.get()
    assert refused.json()["id"] == first.json()["id"] == str(document.public_id)
    assert document.status == Document.Status.RECEIVED
    assert list(
        HistoryEvent.objects.filter(document=document)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    ) == [
        "documents.document.receive",
        "documents.document.cancel",
        "documents.document.resubmit",
    ]


def test_an_approved_document_cannot_be_sent_again(api: ErpApi) -> None:
    first = api.post(INVOICES, invoice(), key="first")
    Document.objects.update(status=Document.Status.APPROVED)

    response = api.post(INVOICES, invoice(), key="second")

    body = assert_problem(response, 409, "finished")
    assert body["existingId"] == first.json()["id"]


# --- RELIABILITY 5: retention ------------------------------------------------------------


def test_an_expired_key_cannot_create_a_duplicate(api: ErpApi, settings: Any) -> None:
    settings.SIGNOFF_IDEMPOTENCY_KEY_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = api.post(INVOICES, invoice(), key="k")

    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=False):
        late = ErpApi(api.erp_client).post(INVOICES, invoice(), key="k")

    # The key is forgotten, but the natural key (one open process) still holds.
    body = assert_problem(late, 409, "open_process")
    assert body["existingId"] == first.json()["id"]
    assert Document.objects.count() == 1
    assert not IdempotencyKey.objects.exists()


def test_expired_keys_are_purged_and_live_ones_kept(api: ErpApi, settings: Any) -> None:
    settings.SIGNOFF_IDEMPOTENCY_KEY_HOURS = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.post(INVOICES, invoice(), key="old")
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        api.post(INVOICES, invoice(referenceNumber="004712"), key="new")

    assert idempotency_keys_purge(now=start + timedelta(minutes=61)) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_retention_comes_from_the_setting(api: ErpApi, settings: Any) -> None:
    settings.SIGNOFF_IDEMPOTENCY_KEY_HOURS = 2
    with time_machine.travel(timezone.now(), tick=False):
        api.post(INVOICES, invoice(), key="k")
        row = IdempotencyKey.objects.get()

        assert row.expires_at == timezone.now() + timedelta(hours=2)


# --- RELIABILITY 6: per client -----------------------------------------------------------


def test_keys_are_scoped_per_client(
    api: ErpApi, api_for: Callable[..., ErpApi]
) -> None:
    other_company = CompanyFactory(code="other", currency="EUR")
    other = api_for(other_company)

    mine = api.post(INVOICES, invoice(), key="shared-key")
    theirs = other.post(INVOICES, invoice(description="Theirs"), key="shared-key")
    mine_again = api.post(INVOICES, invoice(), key="shared-key")
    theirs_again = other.post(INVOICES, invoice(description="Theirs"), key="shared-key")

    assert mine.status_code == theirs.status_code == 202
    assert mine.json()["id"] != theirs.json()["id"]
    assert mine_again.json() == mine.json()
    assert theirs_again.json() == theirs.json()
    assert Document.objects.get(public_id=theirs.json()["id"]).company == other_company
    assert IdempotencyKey.objects.count() == 2


# --- RELIABILITY 7: the server dies after commit ---------------------------------------


def test_a_lost_answer_is_replayed_from_the_committed_key(api: ErpApi) -> None:
    from erp_sync.api import document_submit as documents

    real_answer = documents._answer
    api.http.raise_request_exception = False
    with mock.patch.object(
        documents, "_answer", side_effect=RuntimeError("worker killed")
    ):
        lost = api.post(INVOICES, invoice(), key="k")
    assert lost.status_code == 500  # what the ERP sees: no usable answer

    # Everything had committed: the document and the answer, together.
    row = IdempotencyKey.objects.get()
    assert row.status == IdempotencyKey.Status.COMPLETED
    with mock.patch.object(documents, "_answer", side_effect=real_answer):
        retry = api.post(INVOICES, invoice(), key="k")

    assert retry.status_code == 202
    assert retry.json() == row.response_body
    assert retry.json()["id"] == str(Document.objects.get().public_id)
    assert HistoryEvent.objects.count() == 1


def test_work_that_fails_before_commit_frees_the_key(api: ErpApi) -> None:
    api.http.raise_request_exception = False
    with mock.patch(
        "erp_sync.services.documents.document_receive",
        side_effect=RuntimeError("a bug"),
    ):
        failed = api.post(INVOICES, invoice(), key="k")

    assert_problem(failed, 500, "internal_error")
    assert state() == (0, 0, 0, 0)
    assert api.post(INVOICES, invoice(), key="k").status_code == 202


# --- in progress -----------------------------------------------------------------------


def _in_progress(api: ErpApi, *, lease_until: Any, body: dict[str, Any]) -> None:
    now = timezone.now()
    IdempotencyKey.objects.create(
        company=api.erp_client.company,
        client=api.erp_client,
        key="k",
        request_method="POST",
        request_path=f"/api/v1/{INVOICES}",
        # Parsed as the API parses it (numbers with a fraction as Decimal).
        request_fingerprint=request_fingerprint(
            method="POST",
            path=f"/api/v1/{INVOICES}",
            body=loads_strict(json.dumps(body).encode()),
        ),
        lease_until=lease_until,
        expires_at=now + timedelta(hours=24),
    )


def test_the_same_key_while_the_first_request_runs_is_a_409(api: ErpApi) -> None:
    _in_progress(api, lease_until=timezone.now() + IN_PROGRESS_LEASE, body=invoice())

    response = api.post(INVOICES, invoice(), key="k")

    body = assert_problem(response, 409, "idempotency_key_in_progress")
    assert body["retryAfter"] > 0
    assert Document.objects.count() == 0


def test_another_body_while_the_first_runs_is_still_a_422(api: ErpApi) -> None:
    _in_progress(api, lease_until=timezone.now() + IN_PROGRESS_LEASE, body=invoice())

    response = api.post(INVOICES, invoice(amount=1.0), key="k")

    assert_problem(response, 422, "idempotency_key_reused")


def test_a_key_left_by_a_request_that_died_is_taken_over_after_its_lease(
    api: ErpApi,
) -> None:
    _in_progress(api, lease_until=timezone.now() - timedelta(seconds=1), body=invoice())

    response = api.post(INVOICES, invoice(), key="k")

    assert response.status_code == 202
    row = IdempotencyKey.objects.get()
    assert row.status == IdempotencyKey.Status.COMPLETED
    assert row.response_body == response.json()


# --- what is remembered ------------------------------------------------------------------


def test_a_refused_body_does_not_use_up_the_key(api: ErpApi) -> None:
    refused = api.post(INVOICES, invoice(amount="1250.00"), key="k")
    assert_problem(refused, 400, "invalid")
    assert not IdempotencyKey.objects.exists()

    assert api.post(INVOICES, invoice(), key="k").status_code == 202


def test_a_refusal_is_re_evaluated_on_retry(api: ErpApi) -> None:
    """A 409 is not stored: once the blocking process ends, the same key goes through."""
    first = api.post(INVOICES, invoice(), key="first")
    assert api.post(INVOICES, invoice(), key="second").status_code == 409
    api.post(f"documents/{first.json()['id']}/cancel", {})

    retry = api.post(INVOICES, invoice(), key="second")

    assert retry.status_code == 202
    assert retry.json()["id"] == first.json()["id"]
