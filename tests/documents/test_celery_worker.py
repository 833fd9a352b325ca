"""End to end with a real Celery worker process, Redis and PostgreSQL.

The worker is started as a subprocess on the test database, like `make run` starts
it. The document goes in through `document_receive` (which queues `route_document`
when its transaction commits), the worker routes it, each approval queues
`advance_process`, and the worker moves the process on until the document is
approved with exactly one outcome in the outbox. Nothing is run eagerly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.models import Document, OutboxEvent, Task
from documents.services import task_approve
from tests.celery_worker import wait_for
from tests.documents.conftest import current, person, receive
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_a_document_goes_from_receive_to_approved_through_the_worker(
    company, worker_log: Path
) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="Manager", rules=(named(anna),)),
        step(name="Controller", rules=(named(bob),)),
    )

    # Committed at once (no test transaction): the on-commit send reaches Redis.
    document = receive(company)
    wait_for(
        "the worker to route the document",
        lambda: current(document).status == Document.Status.IN_PROGRESS,
        worker_log,
    )

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
        assert approver.user is not None
        task_approve(
            task_id=task.pk,
            employee=approver,
            user=approver.user,
            expected_version=current(document).version,
        )

    wait_for(
        "the worker to approve the document",
        lambda: current(document).status == Document.Status.APPROVED,
        worker_log,
    )
    (event,) = OutboxEvent.objects.filter(document=document)
    assert event.event_type == OutboxEvent.EventType.APPROVED
    assert event.payload["document"]["approvalStatus"] == "ApprovedInApproval"
