"""task_decide_lines: line approval, one line at a time (VISMA_RULES §1.8, §2 r17)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import (
    DecisionAction,
    DocumentStatus,
    LineDecisionAction,
    ProcessStatus,
    StepRunStatus,
    TaskStatus,
)
from documents.models import (
    Decision,
    HistoryEvent,
    LineDecision,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)
from documents.selectors import process_ids_awaiting_advance
from documents.services import LineInput, task_decide_lines
from orgunits.models import Company, Employee
from tests.documents.conftest import (
    advance,
    approve,
    current,
    person,
    received_and_routed,
    sent_tasks,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import ApproverRoleFactory, combination, routing_types
from tests.factories.workflows import named, rule, step
from workflows.models import StepRuleKind

pytestmark = pytest.mark.django_db


def line_workflow(
    company: Company, owners: dict[str, Sequence[Employee]], final: Employee
) -> None:
    """Step 1 approves lines by department owner; step 2 is `final`."""
    role = ApproverRoleFactory(company=company, name="Owner")
    routing_types(company, "Department")
    for department, people in owners.items():
        for owner in people:
            combination(company, role, owner, {"Department": department})
    publish_workflow(
        company,
        step(
            name="Owners",
            line_approval=True,
            rules=(rule(StepRuleKind.COST_UNIT, role),),
        ),
        step(name="Final", rules=(named(final),)),
    )


def lines(*departments: str) -> list[LineInput]:
    return [
        LineInput(line_number=n, amount=Decimal(100), segment_values={"1": d})
        for n, d in enumerate(departments, start=1)
    ]


@pytest.fixture
def setup(company):
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    line_workflow(company, {"10": [anna], "20": [bob]}, carl)
    document = received_and_routed(company, lines=lines("10", "10", "20"))
    return document, anna, bob, carl


def task_of_any(document, employee) -> Task:
    return Task.objects.get(document=document, assignee=employee)


def decide(
    task: Task,
    approve: Sequence[int] = (),
    reject: Sequence[int] = (),
    comment: str = "",
    **kw,
) -> Task:
    actor = kw.pop("actor", task.assignee)
    return task_decide_lines(
        task_id=task.pk,
        employee=actor,
        user=actor.user,
        expected_version=kw.pop("version", current(task.document).version),
        approve=approve,
        reject=reject,
        comment=comment,
    )


def test_the_lines_are_routed_per_owner(setup) -> None:
    document, anna, bob, _carl = setup
    assert task_of(document, anna).line_numbers == [1, 2]
    assert task_of(document, bob).line_numbers == [3]


def test_approving_some_lines_keeps_the_task_open(
    setup, django_capture_on_commit_callbacks
) -> None:
    document, anna, _bob, _carl = setup
    task = task_of(document, anna)

    with django_capture_on_commit_callbacks() as callbacks:
        result = decide(task, approve=[1])

    assert result.status == TaskStatus.ACTIVE
    row = LineDecision.objects.get()
    assert (row.task, row.line_number, row.action) == (task, 1, "approve")
    assert (row.decision, row.decided_by, row.on_behalf_of) == (None, anna, None)
    assert row.line.line_number == 1
    assert not Decision.objects.exists()
    event = HistoryEvent.objects.get(action="documents.task.decide_lines")
    assert event.data == {"task": task.pk, "step": 1, "approved": [1], "rejected": []}
    # The advance decides whether the step is complete; here it is not.
    assert sent_tasks(callbacks) == [("documents.advance_process", (task.process_id,))]
    advance(document)
    assert StepRun.objects.get(position=1).status == StepRunStatus.ACTIVE


def test_the_task_completes_when_all_its_lines_are_approved(setup) -> None:
    document, anna, bob, carl = setup
    task = task_of(document, anna)
    decide(task, approve=[1])

    result = decide(task, approve=[2], comment="Both fine.")

    assert result.status == TaskStatus.COMPLETED
    decision = Decision.objects.get(task=task)
    assert (decision.action, decision.comment) == (DecisionAction.APPROVE, "Both fine.")
    assert list(
        LineDecision.objects.filter(task=task)
        .order_by("line_number")
        .values_list("line_number", "decision_id")
    ) == [(1, None), (2, decision.pk)]
    group = HistoryEvent.objects.get(action="documents.task.approve").group
    assert list(
        HistoryEvent.objects.filter(group=group)
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "documents.task.decide_lines",
        "documents.task.approve",
        "documents.comment.add",
    ]
    advance(document)
    assert StepRun.objects.get(position=1).status == StepRunStatus.ACTIVE

    decide(task_of(document, bob), approve=[3])
    advance(document)

    assert StepRun.objects.get(position=1).status == StepRunStatus.COMPLETED
    assert task_of(document, carl).status == TaskStatus.ACTIVE


def test_the_outcome_names_the_approver_of_each_line(setup) -> None:
    document, anna, bob, carl = setup
    decide(task_of(document, anna), approve=[2])
    decide(task_of(document, anna), approve=[1])
    decide(task_of(document, bob), approve=[3])
    advance(document)
    approve(task_of(document, carl))
    advance(document)

    payload = OutboxEvent.objects.get(document=document).payload
    assert [(x["lineNumber"], x["approver"]) for x in payload["lines"]] == [
        (1, anna.number),
        (2, anna.number),
        (3, bob.number),
    ]
    assert {x["approvalStatus"] for x in payload["lines"]} == {"ApprovedInApproval"}


def test_rejecting_a_line_rejects_the_document_at_once(setup) -> None:
    document, anna, bob, _carl = setup
    task = task_of(document, anna)

    decide(task, approve=[1], reject=[2], comment="Line 2 was never delivered.")

    document = current(document)
    assert document.status == DocumentStatus.REJECTED
    assert Process.objects.get(document=document).status == ProcessStatus.REJECTED
    decision = Decision.objects.get(task=task)
    assert decision.action == DecisionAction.REJECT
    assert list(
        LineDecision.objects.order_by("line_number").values_list(
            "line_number", "action"
        )
    ) == [(1, LineDecisionAction.APPROVE), (2, LineDecisionAction.REJECT)]
    assert Task.objects.get(pk=task_of_any(document, bob).pk).status == "cancelled"
    assert StepRun.objects.get(position=2).status == StepRunStatus.SKIPPED
    event = OutboxEvent.objects.get(document=document)
    assert event.event_type == OutboxEvent.EventType.REJECTED
    assert [(x["lineNumber"], x["approvalStatus"]) for x in event.payload["lines"]][
        :2
    ] == [(1, "ApprovedInApproval"), (2, "RejectedInApproval")]


def test_rejecting_a_line_needs_a_comment(setup) -> None:
    document, anna, _bob, _carl = setup
    with pytest.raises(ValidationError, match="A comment is required to reject"):
        decide(task_of(document, anna), reject=[2], comment="  ")
    assert not LineDecision.objects.exists()
    assert current(document).status == DocumentStatus.IN_PROGRESS


def test_lines_of_someone_else_are_refused(setup) -> None:
    document, anna, _bob, _carl = setup
    with pytest.raises(ValidationError, match="Line 3 is not routed to you"):
        decide(task_of(document, anna), approve=[1, 3])
    assert not LineDecision.objects.exists()


def test_a_line_is_decided_once(setup) -> None:
    document, anna, _bob, _carl = setup
    task = task_of(document, anna)
    decide(task, approve=[1])

    with pytest.raises(InvalidTransition, match="Line 1 is already decided"):
        decide(task, approve=[1])

    assert LineDecision.objects.count() == 1


@pytest.mark.parametrize(
    ("approved", "rejected", "message"),
    [
        ((), (), "Choose at least one line"),
        ((1, 2), (2,), "Line 2 is both approved and rejected"),
    ],
)
def test_the_choice_of_lines_must_make_sense(
    setup, approved: tuple[int, ...], rejected: tuple[int, ...], message: str
) -> None:
    document, anna, _bob, _carl = setup
    with pytest.raises(ValidationError, match=message):
        decide(task_of(document, anna), approve=approved, reject=rejected, comment="x")
    assert not LineDecision.objects.exists()


def test_a_stale_page_cannot_decide_lines(setup) -> None:
    document, anna, _bob, _carl = setup
    with pytest.raises(StaleVersion):
        decide(task_of(document, anna), approve=[1], version=1)
    assert not LineDecision.objects.exists()


def test_approving_the_whole_task_approves_the_lines_left(setup) -> None:
    document, anna, _bob, _carl = setup
    task = task_of(document, anna)
    decide(task, approve=[1])

    approve(Task.objects.get(pk=task.pk))

    decision = Decision.objects.get(task=task)
    assert list(
        LineDecision.objects.filter(task=task)
        .order_by("line_number")
        .values_list("line_number", "decision_id")
    ) == [(1, None), (2, decision.pk)]


def test_deciding_lines_is_only_offered_in_a_line_approval_step(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company, lines=lines("10"))

    with pytest.raises(
        InvalidTransition, match="You cannot decide the lines of this task now"
    ):
        decide(task_of(document, anna), approve=[1])


def test_the_step_completes_once_every_line_is_approved_by_someone(company) -> None:
    """Bob still owns line 2, but Anna approved it: the step needs nothing more."""
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    line_workflow(company, {"10": [anna], "20": [anna, bob], "30": [bob]}, carl)
    document = received_and_routed(company, lines=lines("10", "20", "30"))
    assert task_of(document, bob).line_numbers == [2, 3]
    decide(task_of(document, anna), approve=[1, 2])
    bob_task = task_of(document, bob)

    decide(bob_task, approve=[3])
    advance(document)

    assert StepRun.objects.get(position=1).status == StepRunStatus.COMPLETED
    bob_task.refresh_from_db()
    assert bob_task.status == TaskStatus.CANCELLED
    assert not Decision.objects.filter(task=bob_task).exists()
    assert task_of(document, carl).status == TaskStatus.ACTIVE


def test_the_reconciler_finds_a_step_completed_by_lines_alone(company) -> None:
    """No task is complete (so no Decision), yet every line is approved."""
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    line_workflow(company, {"10": [anna, bob]}, carl)
    document = received_and_routed(company, lines=lines("10", "10"))
    anna_task, bob_task = task_of(document, anna), task_of(document, bob)
    decide(anna_task, approve=[1])
    decide(bob_task, approve=[2])
    process_id = anna_task.process_id
    assert not Decision.objects.exists()
    assert Task.objects.get(pk=anna_task.pk).version == anna_task.version + 1

    # The advance after commit was lost; the reconciler waits a minute of grace.
    assert process_ids_awaiting_advance() == []
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert process_ids_awaiting_advance() == [process_id]
    advance(document)
    assert StepRun.objects.get(position=1).status == StepRunStatus.COMPLETED
    assert task_of(document, carl).status == TaskStatus.ACTIVE
