"""Celery tasks, called directly (never eagerly): thin, idempotent, reconciling."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from documents import tasks
from documents.models import Document, Process
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
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        # One of two approvals: the step still waits, nothing to do.
        approve(active_tasks(waiting)[0])
        for task in active_tasks(stuck):
            approve(task)

    with mock.patch.object(tasks.advance_process, "delay") as advance_delay:
        result = tasks.reconcile_documents()

    advance_delay.assert_called_once_with(Process.objects.get(document=stuck).pk)
    assert result == {"route": 0, "advance": 1}
    tasks.advance_process(Process.objects.get(document=stuck).pk)
    assert current(stuck).status == Document.Status.APPROVED


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
    assert every_minute._orig_minute == "*"
    assert (nightly._orig_hour, nightly._orig_minute) == (2, 30)
