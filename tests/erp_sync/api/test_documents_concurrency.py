"""Racing document submissions on PostgreSQL with real threads (RELIABILITY 3, 4).

Each thread sends through its own test client, on its own database connection, and
closes it at the end. Never a 500; exactly one document; exactly one request creates it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from documents.models import Document, HistoryEvent
from erp_sync.models import ErpClient, IdempotencyKey
from tests.factories.erp_sync import ErpClientFactory, issue_token
from tests.factories.orgunits import CompanyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
INVOICES = "/api/v1/documents/supplier-invoices"
THREADS = 20


def post_together(token: str, bodies: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """POST (key, body) pairs in parallel threads, released at the same moment."""
    barrier = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)

    def run(index: int, key: str, body: dict[str, Any]) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.raise_request_exception = False
        try:
            barrier.wait(timeout=10)
            results[index] = client.post(
                INVOICES,
                data=json.dumps(body),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=key,
            )
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, key, body))
        for i, (key, body) in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


@pytest.fixture
def erp_client() -> ErpClient:
    return ErpClientFactory(company=CompanyFactory(code="acme", currency="NOK"))


def invoice(reference: str) -> dict[str, Any]:
    body = json.loads((PAYLOADS / "supplier_invoice_read.json").read_text())
    body["referenceNumber"] = reference
    return body


@pytest.mark.parametrize("run", range(3))
def test_twenty_identical_requests_with_one_key_create_one_document(
    erp_client: ErpClient, run: int
) -> None:
    token = issue_token(erp_client)
    key = str(uuid.uuid4())
    body = invoice(f"RACE-{run}")

    responses = post_together(token, [(key, body)] * THREADS)

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {202, 409}, statuses
    created = [
        r
        for r in responses
        if r.status_code == 202 and r["Idempotent-Replayed"] == "false"
    ]
    assert len(created) == 1
    ids = {r.json()["id"] for r in responses if r.status_code == 202}
    assert ids == {created[0].json()["id"]}
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.json()["code"] == "idempotency_key_in_progress"
    document = Document.objects.get()
    assert str(document.public_id) == created[0].json()["id"]
    assert HistoryEvent.objects.filter(document=document).count() == 1
    assert IdempotencyKey.objects.get().status == IdempotencyKey.Status.COMPLETED


@pytest.mark.parametrize("run", range(3))
def test_one_erp_document_sent_with_many_keys_at_once_creates_one(
    erp_client: ErpClient, run: int
) -> None:
    token = issue_token(erp_client)
    body = invoice(f"KEYS-{run}")

    responses = post_together(token, [(str(uuid.uuid4()), body) for _ in range(10)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses[202] == 1, statuses
    assert statuses[409] == 9, statuses
    winner = next(r for r in responses if r.status_code == 202).json()["id"]
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.json()["code"] == "open_process"
        assert conflict.json()["existingId"] == winner
    assert Document.objects.count() == 1
    # The losers' keys were released: only the winner's answer is remembered.
    assert IdempotencyKey.objects.count() == 1
