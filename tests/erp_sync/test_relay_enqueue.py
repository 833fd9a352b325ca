"""The relay is sent on commit: a redelivered event goes out at once, and an outcome
reaches a real worker's relay without the periodic run (issue 8)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from documents.models import OutboxEvent
from documents.services import document_cancel
from documents.services.outbox import RELAY_TASK_NAME
from erp_sync.services.relay import outbox_event_redeliver
from orgunits.models import Company
from tests.celery_worker import wait_for
from tests.documents.conftest import receive, sent_tasks
from tests.erp_sync.erp_stand_in import running
from tests.factories.erp_sync import ErpClientFactory
from tests.factories.orgunits import CompanyFactory, UserFactory


def _dead_event(company: Company) -> OutboxEvent:
    document = receive(company)
    document_cancel(document_id=document.pk, actor_label="ERP")
    event = OutboxEvent.objects.get(document=document)
    OutboxEvent.objects.filter(pk=event.pk).update(
        status=OutboxEvent.Status.DEAD, last_error="HTTP 400"
    )
    return event


@pytest.mark.django_db
def test_a_redelivery_sends_the_relay_on_commit(
    company: Company, django_capture_on_commit_callbacks: Any
) -> None:
    event = _dead_event(company)

    with django_capture_on_commit_callbacks() as callbacks:
        outbox_event_redeliver(
            event_id=event.pk, admin_user=UserFactory(is_superuser=True)
        )

    assert sent_tasks(callbacks) == [(RELAY_TASK_NAME, ())]


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_pushes_a_cancellation_without_the_periodic_run(
    worker_log: Path,
) -> None:
    company = CompanyFactory()
    with running([]) as stand_in:
        erp_client = ErpClientFactory(company=company, callback_url=stand_in.url)
        stand_in.secrets = [erp_client.signing_secret]
        document = receive(company)

        document_cancel(document_id=document.pk, actor_label="ERP")

        # The worker runs without beat: only the on-commit message can deliver it.
        wait_for("the push", lambda: bool(stand_in.received), worker_log)
        event = OutboxEvent.objects.get(document=document)
        wait_for(
            "the event to be marked sent",
            lambda: (
                OutboxEvent.objects.get(pk=event.pk).status == OutboxEvent.Status.SENT
            ),
            worker_log,
        )

    (received,) = stand_in.received
    assert received.valid
    assert received.webhook_id == str(event.event_id)
    assert received.payload["type"] == "document.cancelled"
