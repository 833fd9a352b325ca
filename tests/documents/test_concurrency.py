"""Racing requests on PostgreSQL with real threads (RELIABILITY 8, 11, 12, 14).

Each thread uses its own database connection and closes it at the end. The row locks
(document → process → tasks) make the loser wait, and the guard after the lock makes
it fail cleanly: exactly one decision, one transition, no stray outcome.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections, transaction

from core.exceptions import ApplicationError, InvalidTransition
from documents.choices import StepRunStatus
from documents.models import (
    Decision,
    Document,
    HistoryEvent,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)
from documents.services import (
    document_cancel,
    process_advance,
    task_approve,
    task_forward,
    task_reject,
)
from tests.documents.conftest import (
    active_tasks,
    approve,
    current,
    person,
    receive,
    received_and_routed,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step
from workflows.models import CompletionPolicy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*actions: Callable[[], Any]) -> list[Any]:
    """Run the callables in parallel threads; return each result or raised exception."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def runner(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as error:
            results[index] = error
        finally:
            # Each thread has its own connection; leaving it open would keep the
            # test database busy after the test.
            connections.close_all()

    threads = [
        threading.Thread(target=runner, args=(i, a)) for i, a in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _failures(results: list[Any]) -> list[Exception]:
    return [r for r in results if isinstance(r, Exception)]


def test_concurrent_submissions_of_one_erp_document_create_it_once(company) -> None:
    def submit() -> Document:
        return receive(company, reference="SAME")

    results = run_together(*(submit for _ in range(5)))

    failures = _failures(results)
    assert len(failures) == 4, results
    assert all(
        isinstance(f, ApplicationError) and f.extra["code"] == "open_process"
        for f in failures
    )
    assert Document.objects.filter(erp_reference="SAME").count() == 1
    assert HistoryEvent.objects.filter(action="documents.document.receive").count() == 1


def test_double_click_approve_records_one_decision(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company)
    task = active_tasks(document)[0]
    version = current(document).version

    def click() -> Task:
        return task_approve(
            task_id=task.pk, employee=anna, user=anna.user, expected_version=version
        )

    results = run_together(click, click)

    failures = _failures(results)
    assert len(failures) == 1
    # The loser is refused by the task's status, not by the version: decisions do
    # not bump it.
    assert isinstance(failures[0], InvalidTransition)
    assert str(failures[0]) == "This task is already completed."
    assert Decision.objects.filter(task=task).count() == 1
    assert HistoryEvent.objects.filter(action="documents.task.approve").count() == 1
    assert current(document).version == version


def test_approve_against_reject_in_an_any_one_step_one_wins(company) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna, bob),)))
    outcomes: set[str] = set()
    for attempt in range(20):
        document = received_and_routed(company, reference=f"RACE-{attempt}")
        version = current(document).version
        anna_task, bob_task = task_of(document, anna), task_of(document, bob)

        def approve_it(task: Task = anna_task, version: int = version) -> Task:
            return task_approve(
                task_id=task.pk, employee=anna, user=anna.user, expected_version=version
            )

        def reject_it(task: Task = bob_task, version: int = version) -> Task:
            return task_reject(
                task_id=task.pk,
                employee=bob,
                user=bob.user,
                expected_version=version,
                comment="No",
            )

        results = run_together(approve_it, reject_it)

        failures = _failures(results)
        assert len(failures) == 1, results
        assert isinstance(failures[0], InvalidTransition)
        assert Decision.objects.filter(process__document=document).count() == 1
        status = current(document).status
        if isinstance(results[1], Exception):
            outcomes.add("approve")
            assert status == Document.Status.IN_PROGRESS
            process_advance(process_id=Process.objects.get(document=document).pk)
            assert current(document).status == Document.Status.APPROVED
        else:
            outcomes.add("reject")
            assert status == Document.Status.REJECTED
        assert OutboxEvent.objects.filter(document=document).count() == 1
    # Over 20 rounds both sides normally win sometimes; either way one per round.
    assert outcomes


def test_all_of_n_parallel_approvals_from_one_page_all_succeed_and_advance_once(
    company,
) -> None:
    """RELIABILITY 14: every approver acts on the version their page showed."""
    approvers = [person(company, f"Approver {n}") for n in range(4)]
    final = person(company, "Final")
    publish_workflow(
        company,
        step(
            name="Board",
            rules=(named(*approvers),),
            completion_policy=CompletionPolicy.ALL,
        ),
        step(name="Final", rules=(named(final),)),
    )
    document = received_and_routed(company)
    process_id = Process.objects.get(document=document).pk
    # Every page was built on this one version; no retry, no reload.
    version = current(document).version
    tasks = {e.pk: task_of(document, e) for e in approvers}

    def approve_as(employee: Any) -> Task:
        return task_approve(
            task_id=tasks[employee.pk].pk,
            employee=employee,
            user=employee.user,
            expected_version=version,
        )

    results = run_together(*(lambda e=e: approve_as(e) for e in approvers))
    assert _failures(results) == []
    assert Decision.objects.filter(process_id=process_id).count() == 4
    assert current(document).version == version

    results = run_together(
        *(lambda: process_advance(process_id=process_id) for _ in range(4))
    )

    assert _failures(results) == []
    board = StepRun.objects.get(process_id=process_id, position=1)
    assert board.status == StepRunStatus.COMPLETED
    complete_rows = HistoryEvent.objects.filter(
        action="documents.step.complete", data__step=1
    )
    assert complete_rows.count() == 1
    activate_rows = HistoryEvent.objects.filter(
        action="documents.step.activate", data__step=2
    )
    assert activate_rows.count() == 1
    assert [t.assignee for t in active_tasks(document)] == [final]


def test_two_approvers_of_an_all_step_approve_together_and_it_moves_on_once(
    company,
) -> None:
    """Each approval runs its own advance, as the Celery task would; one moves on."""
    anna, bob, final = (person(company, n) for n in ("Anna", "Bob", "Final"))
    publish_workflow(
        company,
        step(
            name="Both",
            rules=(named(anna, bob),),
            completion_policy=CompletionPolicy.ALL,
        ),
        step(name="Final", rules=(named(final),)),
    )
    for attempt in range(10):
        document = received_and_routed(company, reference=f"ALL-{attempt}")
        process_id = Process.objects.get(document=document).pk
        version = current(document).version
        tasks = {e.pk: task_of(document, e) for e in (anna, bob)}

        def approve_then_advance(
            employee: Any,
            tasks: dict[int, Task] = tasks,
            version: int = version,
            process_id: int = process_id,
        ) -> Process:
            task_approve(
                task_id=tasks[employee.pk].pk,
                employee=employee,
                user=employee.user,
                expected_version=version,
            )
            return process_advance(process_id=process_id)

        results = run_together(
            lambda: approve_then_advance(anna), lambda: approve_then_advance(bob)
        )

        assert _failures(results) == [], results
        assert Decision.objects.filter(process_id=process_id).count() == 2
        history = HistoryEvent.objects.filter(process_id=process_id)
        assert history.filter(action="documents.step.complete").count() == 1
        assert (
            history.filter(action="documents.step.activate", data__step=2).count() == 1
        )
        assert [t.assignee for t in active_tasks(document)] == [final]
        assert current(document).version == version


def test_forward_against_approve_of_the_same_task_one_wins(company) -> None:
    """The task is locked before either guard runs: it is decided or handed on."""
    anna, carl, dave = (person(company, n) for n in ("Anna", "Carl", "Dave"))
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        step(name="Two", rules=(named(dave),)),
    )
    winners: set[str] = set()
    for attempt in range(15):
        document = received_and_routed(company, reference=f"FWD-{attempt}")
        version = current(document).version
        task = task_of(document, anna)

        def approve_it(task: Task = task, version: int = version) -> Task:
            return task_approve(
                task_id=task.pk, employee=anna, user=anna.user, expected_version=version
            )

        def forward_it(task: Task = task, version: int = version) -> Task:
            return task_forward(
                task_id=task.pk,
                employee=anna,
                user=anna.user,
                expected_version=version,
                to_employee=carl,
            )

        results = run_together(approve_it, forward_it)

        failures = _failures(results)
        assert len(failures) == 1, results
        assert isinstance(failures[0], InvalidTransition)
        task.refresh_from_db()
        actions = set(
            HistoryEvent.objects.filter(
                document=document,
                action__in=["documents.task.approve", "documents.task.forward"],
            ).values_list("action", flat=True)
        )
        forwarded = Task.objects.filter(document=document, forwarded_from=task)
        if isinstance(results[1], Exception):
            winners.add("approve")
            assert str(failures[0]) == "This task is already completed."
            assert task.status == Task.Status.COMPLETED
            assert Decision.objects.filter(task=task).count() == 1
            assert not forwarded.exists()
            assert actions == {"documents.task.approve"}
        else:
            winners.add("forward")
            assert str(failures[0]) == "This task is already cancelled."
            assert (task.status, task.closed_reason) == ("cancelled", "forwarded")
            assert not Decision.objects.filter(process__document=document).exists()
            assert [t.assignee for t in forwarded] == [carl]
            assert actions == {"documents.task.forward"}
    assert winners


@pytest.mark.parametrize("first", ["advance", "cancel"])
def test_cancel_racing_a_step_transition_ends_cancelled(company, first: str) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        step(name="Two", rules=(named(bob),)),
    )
    document = received_and_routed(company)
    process_id = Process.objects.get(document=document).pk
    approve(task_of(document, anna))
    holding = threading.Event()
    released_at: list[float] = []
    finished_at: dict[str, float] = {}

    def advance() -> Process:
        if first == "advance":
            # Hold the document lock past the transition, as a slow worker would.
            with transaction.atomic():
                result = process_advance(process_id=process_id)
                holding.set()
                time.sleep(0.3)
                released_at.append(time.monotonic())
        else:
            assert holding.wait(timeout=10)
            result = process_advance(process_id=process_id)
        finished_at["advance"] = time.monotonic()
        return result

    def cancel() -> Document:
        if first == "cancel":
            with transaction.atomic():
                result = document_cancel(document_id=document.pk, actor_label="ERP")
                holding.set()
                time.sleep(0.3)
                released_at.append(time.monotonic())
        else:
            assert holding.wait(timeout=10)
            result = document_cancel(document_id=document.pk, actor_label="ERP")
        finished_at["cancel"] = time.monotonic()
        return result

    results = run_together(advance, cancel)

    assert _failures(results) == []
    second = "cancel" if first == "advance" else "advance"
    # The second one waited for the first one's lock.
    assert finished_at[second] >= released_at[0]
    assert current(document).status == Document.Status.CANCELLED
    assert Process.objects.get(pk=process_id).status == Process.Status.CANCELLED
    assert not Task.objects.filter(document=document).open().exists()
    assert list(
        OutboxEvent.objects.filter(document=document).values_list(
            "event_type", flat=True
        )
    ) == [OutboxEvent.EventType.CANCELLED]


def test_cancel_racing_the_final_approval_never_pushes_both(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    for attempt in range(10):
        document = received_and_routed(company, reference=f"LAST-{attempt}")
        approve(task_of(document, anna))
        process_id = Process.objects.get(document=document).pk

        results = run_together(
            lambda process_id=process_id: process_advance(process_id=process_id),
            lambda document=document: document_cancel(
                document_id=document.pk, actor_label="ERP"
            ),
        )

        failures = _failures(results)
        events = list(
            OutboxEvent.objects.filter(document=document).values_list(
                "event_type", flat=True
            )
        )
        assert len(events) == 1
        if failures:
            # The approval won; the cancel got the clear "finished" error.
            assert isinstance(failures[0], ApplicationError)
            assert failures[0].extra["code"] == "finished"
            assert events == [OutboxEvent.EventType.APPROVED]
        else:
            assert events == [OutboxEvent.EventType.CANCELLED]
            assert current(document).status == Document.Status.CANCELLED
