"""An outbox row asks for a relay run when, and only when, its transaction commits.

The ERP hears of an outcome within a moment instead of at the next periodic relay run
(issue 8: completion → signed push p50 ≤ 500 ms). The message is sent by task name, so
documents does not import erp_sync.
"""

from __future__ import annotations

from unittest import mock

import pytest
from celery import Celery
from django.db import transaction

from documents.models import OutboxEvent
from documents.services import document_cancel
from documents.services.outbox import RELAY_TASK_NAME
from tests.documents.conftest import (
    advance,
    approve,
    person,
    receive,
    received_and_routed,
    reject,
    sent_tasks,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

RELAY = (RELAY_TASK_NAME, ())


def test_the_relay_task_name_is_the_erp_apps_registered_task() -> None:
    from erp_sync.tasks import relay_outbox

    assert relay_outbox.name == RELAY_TASK_NAME


def test_a_cancellation_sends_the_relay_on_commit_and_not_before(
    company, django_capture_on_commit_callbacks
) -> None:
    document = receive(company)

    with (
        mock.patch.object(Celery, "send_task", autospec=True) as send_task,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        document_cancel(document_id=document.pk, actor_label="ERP")
        # The row exists, the transaction has not committed: nothing is sent yet.
        assert OutboxEvent.objects.filter(document=document).count() == 1
        send_task.assert_not_called()

    send_task.assert_not_called()  # the transaction's end alone sends nothing
    assert sent_tasks(callbacks) == [RELAY]


def test_a_rolled_back_outbox_row_sends_nothing(
    company, django_capture_on_commit_callbacks
) -> None:
    document = receive(company)

    def cancel_then_fail() -> None:
        with transaction.atomic():
            document_cancel(document_id=document.pk, actor_label="ERP")
            raise RuntimeError("after the outbox insert")

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
    ):
        cancel_then_fail()

    assert not OutboxEvent.objects.exists()
    assert sent_tasks(callbacks) == []


def test_the_last_approval_and_a_rejection_each_send_the_relay(
    company, django_capture_on_commit_callbacks
) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    approved = received_and_routed(company, reference="A-1")
    rejected = received_and_routed(company, reference="R-1")

    approve(task_of(approved, anna))
    with django_capture_on_commit_callbacks() as completing:
        advance(approved)  # the step is complete: the process ends, the outbox row
    with django_capture_on_commit_callbacks() as rejecting:
        reject(task_of(rejected, anna))

    assert RELAY in sent_tasks(completing)
    assert RELAY in sent_tasks(rejecting)
    assert OutboxEvent.objects.filter(document__in=[approved, rejected]).count() == 2


def test_a_broker_outage_at_commit_is_logged_and_the_change_stays(
    company, django_capture_on_commit_callbacks, caplog
) -> None:
    document = receive(company)

    with (
        mock.patch.object(
            Celery, "send_task", autospec=True, side_effect=OSError("broker down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        document_cancel(document_id=document.pk, actor_label="ERP")

    # robust on_commit: the periodic relay delivers the event later.
    assert OutboxEvent.objects.filter(document=document, status="pending").exists()
    assert "broker down" in caplog.text


def test_in_eager_mode_nothing_is_published(
    company, django_capture_on_commit_callbacks
) -> None:
    """Eager mode (the browser tests) has no worker to take a published message."""
    from approval_site.celery import app

    document = receive(company)
    with django_capture_on_commit_callbacks() as callbacks:
        document_cancel(document_id=document.pk, actor_label="ERP")

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with mock.patch.object(Celery, "send_task", autospec=True) as send_task:
            for callback in callbacks:
                callback()
    finally:
        app.conf.task_always_eager = saved

    send_task.assert_not_called()
