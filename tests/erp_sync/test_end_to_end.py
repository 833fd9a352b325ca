"""End to end as an ERP sees it: the real API, a real Celery worker, Redis, PostgreSQL
and the ERP stand-in (RELIABILITY 16 and 19).

An ERP client whose callback is the stand-in gets a token, syncs its departments and
employees, and sends a supplier invoice with an Idempotency-Key. The worker (a
subprocess on the test database, as in tests/documents/test_celery_worker.py) routes it
and advances the process after each approval. The relay, sent to the worker when each
outbox row commits (no periodic run in this test), pushes the events; the stand-in
applies the first `document.approved` delivery and drops the connection, so the answer
is lost: the relay retries with the same `webhook-id` and the ERP applies the event
exactly once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client

from documents.models import Document, OutboxEvent, Task
from documents.services import task_approve
from erp_sync.clients import ErpCallbackClient
from erp_sync.services.clients import erp_client_create
from erp_sync.services.relay import outbox_relay_run
from orgunits.models import Employee, Membership
from tests.celery_worker import wait_for
from tests.erp_sync.erp_stand_in import ErpStandIn, running
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory
from tests.factories.workflows import named, step

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

PAYLOADS = Path(__file__).resolve().parent / "payloads"
#: Short timeouts: the stand-in answers at once or drops the connection.
FAST = ErpCallbackClient(connect_timeout=1.0, read_timeout=2.0, total_timeout=5.0)


@pytest.fixture
def stand_in() -> Iterator[ErpStandIn]:
    """The ERP's webhook receiver on 127.0.0.1:<free port>; shut down in any case."""
    with running([]) as server:
        yield server


def _json(client: Client, method: str, path: str, body: Any, **extra: Any) -> Any:
    return getattr(client, method)(
        f"/api/v1/{path}",
        data=json.dumps(body),
        content_type="application/json",
        **extra,
    )


def test_an_erp_document_is_approved_through_the_worker_and_pushed_once(
    worker_log: Path, stand_in: ErpStandIn
) -> None:
    company = CompanyFactory(code="e2e", name="E2E AS", currency="NOK")
    credentials = erp_client_create(
        company=company, name="Visma.net", callback_url=stand_in.url
    )
    stand_in.secrets = [credentials.signing_secret]

    # 1. A token by client credentials.
    response = Client().post(
        "/api/v1/oauth/token",
        urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    erp = Client(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")

    # 2. Master data.
    response = _json(
        erp,
        "put",
        "sync/departments",
        [{"departmentId": "FIN", "description": "Finance"}],
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    people = [
        {
            "employeeNumber": number,
            "employeeName": name,
            "employeeLogin": f"{name.lower()}@e2e.example.com",
            "status": "Active",
            "department": {"id": "FIN"},
        }
        for number, name in (("E100", "Anna"), ("E200", "Bob"))
    ]
    response = _json(erp, "put", "sync/employees", people)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    anna = Employee.objects.select_related("user").get(company=company, number="E100")
    bob = Employee.objects.select_related("user").get(company=company, number="E200")
    # What an administrator does in Signoff: invite the logins, give approval rights.
    for approver in (anna, bob):
        assert approver.user is not None
        approver.user.is_active = True
        approver.user.save(update_fields=["is_active"])
        Membership.objects.create(
            company=company, user=approver.user, approves_purchase_invoices=True
        )
    publish_workflow(
        company,
        step(name="Manager", rules=(named(anna),)),
        step(name="Controller", rules=(named(bob),)),
    )

    # 3. The document, with an Idempotency-Key; routing is the worker's job.
    invoice = json.loads((PAYLOADS / "supplier_invoice_write.json").read_text())
    key = str(uuid.uuid4())
    response = _json(
        erp, "post", "documents/supplier-invoices", invoice, HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "received"
    document = Document.objects.get(public_id=response.json()["id"])
    # The same key and body again: the first answer, no second document.
    again = _json(
        erp, "post", "documents/supplier-invoices", invoice, HTTP_IDEMPOTENCY_KEY=key
    )
    assert again.status_code == 202
    assert again.json()["id"] == str(document.public_id)

    def status() -> str:
        return Document.objects.values_list("status", flat=True).get(pk=document.pk)

    wait_for(
        "the worker to route the document",
        lambda: status() == Document.Status.IN_PROGRESS,
        worker_log,
    )

    # 4. Both steps approved; the worker advances the process after each decision.
    for approver in (anna, bob):
        wait_for(
            f"{approver.name}'s task to become active",
            lambda approver=approver: Task.objects.filter(
                document=document, assignee=approver, status=Task.Status.ACTIVE
            ).exists(),
            worker_log,
        )
        task = Task.objects.get(
            document=document, assignee=approver, status=Task.Status.ACTIVE
        )
        if approver == bob:
            # The worker relays each event as it commits (no periodic run here): the
            # earlier ones are delivered, then the approval's answer is lost once.
            wait_for(
                "the worker's relay to deliver the earlier events",
                lambda: (
                    not OutboxEvent.objects.filter(document=document)
                    .exclude(status=OutboxEvent.Status.SENT)
                    .exists()
                ),
                worker_log,
            )
            stand_in.script("drop")
        assert approver.user is not None
        task_approve(
            task_id=task.pk,
            employee=approver,
            user=approver.user,
            expected_version=Document.objects.get(pk=document.pk).version,
        )
    wait_for(
        "the worker to approve the document",
        lambda: status() == Document.Status.APPROVED,
        worker_log,
    )
    read = erp.get(f"/api/v1/documents/{document.public_id}")
    assert read.status_code == 200
    assert read.json()["status"] == "approved"

    # 5. The push: the approval's commit sent the relay to the worker at once; the
    # ERP's answer was lost, so the event waits for its retry with the same id.
    approved = OutboxEvent.objects.get(
        document=document, event_type=OutboxEvent.EventType.APPROVED
    )
    wait_for(
        "the worker's relay to try the approval",
        lambda: OutboxEvent.objects.get(pk=approved.pk).attempts >= 1,
        worker_log,
    )
    waiting = OutboxEvent.objects.get(pk=approved.pk)
    assert waiting.status == OutboxEvent.Status.PENDING
    assert waiting.last_error.startswith("connection failed")
    with time_machine.travel(waiting.next_attempt_at, tick=False):
        outbox_relay_run(http=FAST, budget_seconds=15)

    webhook_id = str(approved.event_id)
    deliveries = [r for r in stand_in.received if r.webhook_id == webhook_id]
    assert len(deliveries) >= 2
    assert [r.mode for r in deliveries[:2]] == ["drop", "ok"]
    assert all(r.valid for r in deliveries)
    assert all(r.payload["type"] == "document.approved" for r in deliveries)
    assert {r.body for r in deliveries} == {deliveries[0].body}
    assert deliveries[0].payload["document"]["approvalStatus"] == "ApprovedInApproval"
    assert deliveries[0].payload["document"]["id"] == str(document.public_id)
    assert stand_in.applied[webhook_id] == 1
    assert all(stand_in.applied[e] == 1 for e in stand_in.ids())
    assert all(r.valid for r in stand_in.received)
    assert set(
        OutboxEvent.objects.filter(document=document).values_list("status", flat=True)
    ) == {OutboxEvent.Status.SENT}
