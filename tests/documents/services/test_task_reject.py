"""task_reject: a comment is required and the process ends at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import DecisionAction, StepRunStatus, TaskStatus
from documents.models import (
    Decision,
    Document,
    HistoryEvent,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)
from documents.services import task_reject
from tests.documents.conftest import (
    approve,
    approve_and_advance,
    current,
    person,
    received_and_routed,
    reject,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step
from workflows.models import CompletionPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(company):
    anna, bob, carl, dina = (
        person(company, n) for n in ("Anna", "Bob", "Carl", "Dina")
    )
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        step(
            name="Two",
            rules=(named(bob, carl),),
            completion_policy=CompletionPolicy.ALL,
        ),
        step(name="Three", rules=(named(dina),)),
    )
    document = received_and_routed(company)
    approve_and_advance(task_of(document, anna))
    return document, anna, bob, carl, dina


def test_reject_ends_the_process_at_once(setup) -> None:
    document, _anna, bob, _carl, dina = setup

    reject(task_of(document, bob), comment="Not ordered by us")

    document = current(document)
    assert document.status == Document.Status.REJECTED
    process = Process.objects.get(document=document)
    assert process.status == Process.Status.REJECTED
    assert process.finished_at is not None
    assert list(
        StepRun.objects.filter(process=process)
        .order_by("position")
        .values_list("status", flat=True)
    ) == [StepRunStatus.COMPLETED, StepRunStatus.REJECTED, StepRunStatus.SKIPPED]
    statuses = dict(
        Task.objects.filter(document=document).values_list("assignee__name", "status")
    )
    assert statuses == {
        "Anna": TaskStatus.COMPLETED,
        "Bob": TaskStatus.COMPLETED,
        "Carl": TaskStatus.CANCELLED,
        "Dina": TaskStatus.CANCELLED,
    }
    decision = Decision.objects.get(task__assignee=bob)
    assert (decision.action, decision.comment) == (
        DecisionAction.REJECT,
        "Not ordered by us",
    )
    [event] = OutboxEvent.objects.filter(document=document)
    assert event.event_type == OutboxEvent.EventType.REJECTED
    assert event.payload["approvalStatusText"] == "Rejected by Bob: Not ordered by us"
    assert event.payload["comments"][-1]["text"] == "Not ordered by us"
    # Later steps are skipped: Dina's task was never activated.
    assert Task.objects.get(assignee=dina).activated_at is None


def test_reject_requires_a_comment(setup) -> None:
    document, _anna, bob, _carl, _dina = setup
    with pytest.raises(ValidationError, match="A comment is required to reject"):
        reject(task_of(document, bob), comment="   ")
    assert current(document).status == Document.Status.IN_PROGRESS
    assert not Decision.objects.filter(action=DecisionAction.REJECT).exists()


def test_reject_from_a_stale_page_is_refused(setup) -> None:
    document, _anna, bob, _carl, _dina = setup
    with pytest.raises(StaleVersion):
        task_reject(
            task_id=task_of(document, bob).pk,
            employee=bob,
            user=bob.user,
            expected_version=1,
            comment="no",
        )
    assert current(document).status == Document.Status.IN_PROGRESS


def test_after_one_approval_in_an_all_step_another_approver_may_still_reject(
    setup,
) -> None:
    document, _anna, bob, carl, _dina = setup
    approve(task_of(document, bob))
    reject(task_of(document, carl))
    assert current(document).status == Document.Status.REJECTED


def test_a_rejected_document_cannot_be_decided_again(setup) -> None:
    document, _anna, bob, carl, _dina = setup
    carl_task = task_of(document, carl)
    reject(task_of(document, bob))
    with pytest.raises(InvalidTransition):
        approve(Task.objects.get(pk=carl_task.pk))


def test_reject_writes_a_history_row_per_change(setup) -> None:
    document, *_people = setup
    before = HistoryEvent.objects.count()
    reject(task_of(document, _people[1]), comment="no")
    actions = list(
        HistoryEvent.objects.order_by("pk").values_list("action", flat=True)[before:]
    )
    assert actions == [
        "documents.task.reject",
        "documents.comment.add",
        "documents.task.cancel",  # Carl
        "documents.task.cancel",  # Dina (planned)
        "documents.step.reject",
        "documents.step.skip",
        "documents.process.reject",
        "documents.document.reject",
    ]
