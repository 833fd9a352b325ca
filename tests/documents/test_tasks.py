"""Celery tasks, called directly (never eagerly): thin, idempotent, reconciling."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from documents import tasks
from documents.choices import StepRunStatus, TaskStatus
from documents.models import Document, Process, StepRun, Task
from documents.selectors import process_ids_awaiting_advance
from tests.documents.conftest import (
    active_tasks,
    approve,
    current,
    person,
    receive,
    received_and_routed,
    route,
)
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step
from workflows.models import CompletionPolicy

pytestmark = pytest.mark.django_db


def test_route_document_routes_and_is_idempotent(company) -> None:
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))
    document = receive(company)

    tasks.route_document(document.pk)
    tasks.route_document(document.pk)

    assert current(document).status == Document.Status.IN_PROGRESS
    assert Process.objects.filter(document=document).count() == 1


def test_tasks_ignore_rows_that_no_longer_exist() -> None:
    tasks.route_document(999_999)
    tasks.advance_process(999_999)
    tasks.retry_blocked_document(999_999)


def test_advance_process_moves_the_process_on(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company)
    approve(active_tasks(document)[0])

    tasks.advance_process(Process.objects.get(document=document).pk)

    assert current(document).status == Document.Status.APPROVED


def test_reconcile_routes_documents_whose_routing_message_was_lost(company) -> None:
    fresh = receive(company, reference="FRESH")
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        stale = receive(company, reference="STALE")

    with (
        mock.patch.object(tasks.route_document, "delay") as route_delay,
        mock.patch.object(tasks.advance_process, "delay") as advance_delay,
    ):
        result = tasks.reconcile_documents()

    route_delay.assert_called_once_with(stale.pk)
    advance_delay.assert_not_called()
    assert result == {"route": 1, "advance": 0}
    assert fresh.pk != stale.pk


def test_reconcile_advances_processes_whose_advance_message_was_lost(company) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(rules=(named(anna, bob),), completion_policy=CompletionPolicy.ALL),
    )
    waiting = received_and_routed(company, reference="WAITING")
    stuck = received_and_routed(company, reference="STUCK")
    untouched = received_and_routed(company, reference="UNTOUCHED")
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        # The advance messages of these approvals were never delivered (in a test
        # transaction on_commit never runs): one of two approvals, and both.
        approve(active_tasks(waiting)[0])
        for task in active_tasks(stuck):
            approve(task)
    waiting_id, stuck_id = (
        Process.objects.get(document=d).pk for d in (waiting, stuck)
    )

    with mock.patch.object(tasks.advance_process, "delay") as advance_delay:
        result = tasks.reconcile_documents()

    # Both asked for an advance nobody answered; the advance decides what it means.
    queued = sorted(call.args[0] for call in advance_delay.call_args_list)
    assert queued == sorted([waiting_id, stuck_id])
    assert result == {"route": 0, "advance": 2}
    tasks.advance_process(stuck_id)
    tasks.advance_process(waiting_id)
    assert current(stuck).status == Document.Status.APPROVED
    assert current(waiting).status == Document.Status.IN_PROGRESS
    assert current(untouched).status == Document.Status.IN_PROGRESS

    # Answered: the waiting step is not queued again every minute.
    with mock.patch.object(tasks.advance_process, "delay") as advance_delay:
        assert tasks.reconcile_documents() == {"route": 0, "advance": 0}
    advance_delay.assert_not_called()


def test_the_nightly_sweep_advances_a_running_process_left_without_an_active_step(
    company,
) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        document = received_and_routed(company)
        process = Process.objects.get(document=document)
        # As if the advance after the last step had been lost mid-way.
        StepRun.objects.filter(process=process).update(status=StepRunStatus.COMPLETED)
        Task.objects.filter(process=process).update(status=TaskStatus.CANCELLED)

    with mock.patch.object(tasks.advance_process, "delay") as advance_delay:
        assert tasks.reconcile_documents() == {"route": 0, "advance": 0}
        advance_delay.assert_not_called()  # not the minute's job: no lost message
        assert tasks.advance_stranded_processes() == 1

    advance_delay.assert_called_once_with(process.pk)
    tasks.advance_process(process.pk)
    assert current(document).status == Document.Status.APPROVED


def test_finding_due_advances_takes_one_query_whatever_their_number(
    company, django_assert_num_queries
) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        for number in range(3):
            approve(
                active_tasks(received_and_routed(company, reference=f"D{number}"))[0]
            )

    with django_assert_num_queries(1):
        assert len(process_ids_awaiting_advance()) == 3


def test_a_recent_approval_is_left_to_the_normal_path(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company)
    approve(active_tasks(document)[0])

    with mock.patch.object(tasks.advance_process, "delay") as advance_delay:
        tasks.reconcile_documents()

    advance_delay.assert_not_called()


def test_retry_blocked_documents_queues_each_blocked_document(company) -> None:
    blocked = route(receive(company, reference="B1"))
    receive(company, reference="R1")

    with mock.patch.object(tasks.retry_blocked_document, "delay") as retry_delay:
        assert tasks.retry_blocked_documents() == 1

    retry_delay.assert_called_once_with(blocked.pk)
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))
    tasks.retry_blocked_document(blocked.pk)
    assert current(blocked).status == Document.Status.IN_PROGRESS


def test_periodic_tasks_are_scheduled() -> None:
    schedule = {
        entry["task"]: entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    every_minute = schedule["documents.reconcile_documents"]
    nightly = schedule["documents.retry_blocked_documents"]
    sweep = schedule["documents.advance_stranded_processes"]
    assert every_minute._orig_minute == "*"
    assert (nightly._orig_hour, nightly._orig_minute) == (2, 30)
    assert (sweep._orig_hour, sweep._orig_minute) == (2, 45)
