"""process_advance: completion policies, the next step, the end of the process."""

from __future__ import annotations

from unittest import mock

import pytest

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
from documents.services import outbox
from tests.documents.conftest import (
    active_tasks,
    advance,
    approve,
    approve_and_advance,
    current,
    open_process,
    person,
    received_and_routed,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step
from workflows.models import CompletionPolicy

pytestmark = pytest.mark.django_db


def test_last_step_completion_approves_the_document_with_one_outbox_event(
    company,
) -> None:
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    publish_workflow(
        company,
        step(name="Manager", rules=(named(anna),)),
        step(name="Controller", rules=(named(bob),)),
        step(name="CFO", rules=(named(carl),)),
    )
    document = received_and_routed(company)
    assert current(document).status == Document.Status.IN_PROGRESS

    for approver in (anna, bob, carl):
        [task] = active_tasks(document)
        assert task.assignee == approver
        approve_and_advance(task)

    document = current(document)
    assert document.status == Document.Status.APPROVED
    process = Process.objects.get(document=document)
    assert process.status == Process.Status.APPROVED
    assert process.finished_at is not None
    assert (
        list(process.step_runs.values_list("status", flat=True))
        == [StepRunStatus.COMPLETED] * 3
    )
    [event] = OutboxEvent.objects.filter(document=document)
    assert event.event_type == OutboxEvent.EventType.APPROVED
    assert event.process == process
    assert event.status == OutboxEvent.Status.PENDING
    assert event.payload["id"] == str(event.event_id)
    assert event.payload["document"]["approvalStatus"] == "ApprovedInApproval"
    assert event.payload["approvalStatusText"] == "Approved by Carl"
    assert [d["decidedBy"] for d in event.payload["decisions"]] == [
        anna.number,
        bob.number,
        carl.number,
    ]


def _one_step(company, policy: str, people: int, required: int = 1):
    approvers = [person(company, f"Approver {i}") for i in range(people)]
    publish_workflow(
        company,
        step(
            name="Approval",
            rules=(named(*approvers),),
            completion_policy=policy,
            required_count=required,
        ),
        step(name="Final", rules=(named(person(company, "Zoe Final")),)),
    )
    return received_and_routed(company), approvers


def _step_status(document: Document, position: int) -> str:
    return StepRun.objects.get(process__document=document, position=position).status


def test_any_one_approver_completes_the_step_and_the_others_tasks_are_cancelled(
    company,
) -> None:
    document, (first, second, third) = _one_step(company, CompletionPolicy.ANY, 3)
    approve_and_advance(task_of(document, second))

    assert _step_status(document, 1) == StepRunStatus.COMPLETED
    for other in (first, third):
        task = Task.objects.get(document=document, assignee=other)
        assert task.status == TaskStatus.CANCELLED
        assert task.closed_reason == 'step "Approval" is complete'
    assert [t.assignee.name for t in active_tasks(document)] == ["Zoe Final"]


def test_all_approvers_must_approve_when_the_policy_is_all(company) -> None:
    document, approvers = _one_step(company, CompletionPolicy.ALL, 3)
    for approver in approvers[:2]:
        approve_and_advance(task_of(document, approver))
        assert _step_status(document, 1) == StepRunStatus.ACTIVE

    approve_and_advance(task_of(document, approvers[2]))

    assert _step_status(document, 1) == StepRunStatus.COMPLETED
    assert [t.assignee.name for t in active_tasks(document)] == ["Zoe Final"]


def test_at_least_n_approvers_complete_the_step(company) -> None:
    document, approvers = _one_step(company, CompletionPolicy.AT_LEAST, 3, required=2)
    approve_and_advance(task_of(document, approvers[0]))
    assert _step_status(document, 1) == StepRunStatus.ACTIVE

    approve_and_advance(task_of(document, approvers[2]))

    assert _step_status(document, 1) == StepRunStatus.COMPLETED
    leftover = Task.objects.get(document=document, assignee=approvers[1])
    assert leftover.status == TaskStatus.CANCELLED


def test_advance_is_idempotent_and_waits_while_the_step_is_incomplete(company) -> None:
    document, approvers = _one_step(company, CompletionPolicy.ALL, 2)
    version = current(document).version
    history = HistoryEvent.objects.count()

    advance(document)
    advance(document)

    assert current(document).version == version
    assert HistoryEvent.objects.count() == history
    approve(task_of(document, approvers[0]))
    approve(task_of(document, approvers[1]))
    advance(document)
    after_first = (current(document).version, HistoryEvent.objects.count())
    advance(document)
    assert (current(document).version, HistoryEvent.objects.count()) == after_first


def test_a_finished_process_is_not_advanced_again(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company)
    approve_and_advance(active_tasks(document)[0])

    advance(document)

    assert OutboxEvent.objects.filter(document=document).count() == 1


def test_line_approval_step_completes_when_every_line_is_approved(company) -> None:
    from decimal import Decimal

    from documents.services import LineInput
    from tests.documents.conftest import receive, route
    from tests.factories.orgunits import (
        ApproverRoleFactory,
        DepartmentApproverFactory,
        DepartmentFactory,
    )
    from tests.factories.workflows import rule
    from workflows.models import StepRuleKind

    role = ApproverRoleFactory(company=company, name="Approver")
    sales, dev = (DepartmentFactory(company=company, code=c) for c in ("S", "D"))
    sam, dora = person(company, "Sam"), person(company, "Dora")
    DepartmentApproverFactory(department=sales, role=role, approver=sam)
    DepartmentApproverFactory(department=dev, role=role, approver=dora)
    publish_workflow(
        company,
        step(rules=(rule(StepRuleKind.DEPARTMENT, role),), line_approval=True),
    )
    document = route(
        receive(
            company,
            lines=[
                LineInput(1, Decimal("100"), department_code="S"),
                LineInput(2, Decimal("200"), department_code="D"),
                LineInput(3, Decimal("300"), department_code="S"),
            ],
        )
    )
    assert task_of(document, sam).line_numbers == [1, 3]
    assert task_of(document, dora).line_numbers == [2]

    approve_and_advance(task_of(document, sam))
    assert current(document).status == Document.Status.IN_PROGRESS
    approve_and_advance(task_of(document, dora))

    assert current(document).status == Document.Status.APPROVED
    event = OutboxEvent.objects.get(document=document)
    assert [
        (line["lineNumber"], line["approver"]) for line in event.payload["lines"]
    ] == [
        (1, sam.number),
        (2, dora.number),
        (3, sam.number),
    ]


def test_automatic_approval_records_a_decision_on_behalf_without_a_task(
    company,
) -> None:
    robot_for, anna = person(company, "Auto Person"), person(company, "Anna")
    publish_workflow(
        company,
        step(name="Auto", auto_approve_as=_ref(robot_for)),
        step(name="Manager", rules=(named(anna),)),
    )
    document = received_and_routed(company)

    decision = Decision.objects.get(process__document=document)
    assert decision.action == DecisionAction.AUTO_APPROVE
    assert decision.task is None
    assert decision.decided_by is None
    assert decision.on_behalf_of == robot_for
    assert not Task.objects.filter(document=document, assignee=robot_for).exists()
    assert _step_status(document, 1) == StepRunStatus.COMPLETED
    assert [t.assignee for t in active_tasks(document)] == [anna]
    assert HistoryEvent.objects.filter(
        document=document,
        action="documents.step.auto_approve",
        on_behalf_of_label__startswith="Auto Person",
    ).exists()


def _ref(employee):
    from tests.factories.workflows import person as person_ref

    return person_ref(employee)


def _four_eyes_setup(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    fay, gus = person(company, "Fay"), person(company, "Gus")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna, bob),)),
        step(name="Two", rules=(named(anna, bob),)),
        four_eyes_enabled=True,
        four_eyes_people=(_ref(anna), _ref(fay), _ref(gus)),
    )
    return received_and_routed(company), anna, bob, fay, gus


def test_four_eyes_step_activates_when_one_person_approved_everything(
    company,
) -> None:
    document, anna, _bob, fay, gus = _four_eyes_setup(company)
    approve_and_advance(task_of(document, anna))
    approve_and_advance(task_of(document, anna))

    four_eyes = StepRun.objects.get(process__document=document, position=3)
    assert four_eyes.is_four_eyes
    assert four_eyes.status == StepRunStatus.ACTIVE
    # The single approver is left out; one of the others completes it.
    assert {t.assignee for t in active_tasks(document)} == {fay, gus}
    excluded = Task.objects.get(step_run=four_eyes, assignee=anna)
    assert excluded.status == TaskStatus.CANCELLED
    approve_and_advance(task_of(document, gus))
    assert current(document).status == Document.Status.APPROVED


def test_four_eyes_step_is_skipped_when_two_people_approved(company) -> None:
    document, anna, bob, _fay, _gus = _four_eyes_setup(company)
    approve_and_advance(task_of(document, anna))
    approve_and_advance(task_of(document, bob))

    four_eyes = StepRun.objects.get(process__document=document, position=3)
    assert four_eyes.status == StepRunStatus.SKIPPED
    assert "2 different people approved" in four_eyes.reasons[-1]
    assert current(document).status == Document.Status.APPROVED
    assert not Task.objects.filter(step_run=four_eyes).open().exists()


def test_four_eyes_blocks_when_nobody_but_the_single_approver_is_left(
    company,
) -> None:
    anna = person(company, "Anna")
    rita = person(company, "Rita")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        four_eyes_enabled=True,
        # Rita is the requester, so only Anna remains a 4-eyes candidate.
        four_eyes_people=(_ref(anna), _ref(rita)),
    )
    document = received_and_routed(company, requester_number=rita.number)

    approve_and_advance(task_of(document, anna))

    document = current(document)
    assert document.status == Document.Status.BLOCKED
    assert "has no approver left" in document.blocked_reason
    assert open_process(document).status == Process.Status.BLOCKED
    assert list(
        HistoryEvent.objects.filter(document=document)
        .order_by("pk")
        .values_list("action", flat=True)
    )[-2:] == ["documents.process.block", "documents.document.block"]
    assert not OutboxEvent.objects.exists()


def test_step_already_approved_by_all_its_approvers_completes_itself(company) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        step(name="Two", rules=(named(anna),)),
        step(name="Three", rules=(named(bob),)),
        skip_when_already_approved=True,
    )
    document = received_and_routed(company)
    approve_and_advance(task_of(document, anna))

    two = StepRun.objects.get(process__document=document, position=2)
    assert two.status == StepRunStatus.COMPLETED
    assert "already approved an earlier step" in two.reasons[-1]
    assert Task.objects.get(step_run=two).status == TaskStatus.CANCELLED
    assert [t.assignee for t in active_tasks(document)] == [bob]
    assert HistoryEvent.objects.filter(
        document=document, action="documents.step.complete", data__step=2
    ).exists()


def test_without_the_option_a_step_is_asked_again(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        step(name="Two", rules=(named(anna),)),
    )
    document = received_and_routed(company)
    approve_and_advance(task_of(document, anna))

    assert [t.step_run.position for t in active_tasks(document)] == [2]


def test_outbox_atomicity_an_error_after_the_outbox_insert_leaves_neither_row(
    company,
) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company)
    approve(active_tasks(document)[0])
    real_add = outbox.outbox_event_add

    def add_then_fail(**kwargs):
        real_add(**kwargs)
        assert OutboxEvent.objects.count() == 1  # the insert did happen
        raise RuntimeError("crash after the outbox insert")

    with (
        mock.patch.object(outbox, "outbox_event_add", side_effect=add_then_fail),
        pytest.raises(RuntimeError, match="crash after the outbox insert"),
    ):
        advance(document)

    assert OutboxEvent.objects.count() == 0
    assert current(document).status == Document.Status.IN_PROGRESS
    assert open_process(document).status == Process.Status.RUNNING
    # Once the fault is gone, the same advance finishes normally.
    advance(document)
    assert current(document).status == Document.Status.APPROVED
    assert OutboxEvent.objects.count() == 1
