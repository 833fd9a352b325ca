"""Two relays at once on PostgreSQL never deliver one event twice (RELIABILITY 22).

Real threads, each with its own database connection, claim with SKIP LOCKED and a
lease; the ERP stand-in counts how often each webhook-id arrives and how many requests
for one id were in flight at the same moment.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connections

from documents.models import OutboxEvent
from documents.services import document_cancel
from erp_sync.clients import ErpCallbackClient
from erp_sync.services.relay import outbox_relay_run
from tests.documents.conftest import receive
from tests.erp_sync.erp_stand_in import running
from tests.factories.erp_sync import ErpClientFactory
from tests.factories.orgunits import CompanyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVENTS = 30
RELAYS = 3


def run_relays(count: int) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = outbox_relay_run(
                http=ErpCallbackClient(connect_timeout=1, read_timeout=2),
                budget_seconds=30,
            )
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


@pytest.mark.parametrize("run", range(3))
def test_parallel_relays_deliver_every_event_exactly_once(run: int) -> None:
    company = CompanyFactory(code=f"race{run}", currency="NOK")
    with running([]) as stand_in:
        client = ErpClientFactory(company=company, callback_url=stand_in.url)
        stand_in.secrets = [client.signing_secret]
        stand_in.ok_delay = 0.02  # long enough for the relays to overlap
        for n in range(EVENTS):
            document = receive(company, reference=f"R{run}-{n}")
            document_cancel(document_id=document.pk, actor_label="ERP")

        results = run_relays(RELAYS)

        received = Counter(stand_in.ids())
    assert sum(result.sent for result in results) == EVENTS
    assert len(received) == EVENTS
    assert set(received.values()) == {1}
    assert stand_in.max_in_flight == 1
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {"sent"}
    assert set(OutboxEvent.objects.values_list("attempts", flat=True)) == {1}
    # The work was shared, not done by one relay while the others idled.
    assert sum(1 for result in results if result.sent) >= 2
