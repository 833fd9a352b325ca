"""document_route: process, step runs and tasks from the plan; blocked documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from documents.choices import StepRunStatus, TaskStatus
from documents.models import Document, HistoryEvent, Process, StepRun, Task
from documents.services import document_retry_blocked, document_route
from tests.documents.conftest import (
    INVOICE,
    active_tasks,
    current,
    person,
    receive,
    route,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import EmployeeFactory, SubstitutionFactory
from tests.factories.workflows import limit_ref, named, step
from workflows.models import StepCondition

pytestmark = pytest.mark.django_db

# A Wednesday: five working days later is the next Wednesday.
WEDNESDAY = date(2026, 3, 11)


def test_route_starts_a_process_with_step_runs_and_activates_the_first_step(
    company,
) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    version = publish_workflow(
        company,
        step(name="Manager", rules=(named(anna),), days_to_complete=5),
        step(name="Controller", rules=(named(bob),)),
    )
    document = receive(company)

    document_route(document_id=document.pk, today=WEDNESDAY)

    document = current(document)
    assert document.status == Document.Status.IN_PROGRESS
    assert document.version == 2
    process = Process.objects.get(document=document)
    assert (process.number, process.status) == (1, Process.Status.RUNNING)
    assert process.workflow_version == version
    assert [s["name"] for s in process.plan["steps"]] == ["Manager", "Controller"]
    assert process.plan["workflow"]["version_id"] == version.pk
    runs = list(process.step_runs.order_by("position"))
    assert [(r.name, r.status) for r in runs] == [
        ("Manager", StepRunStatus.ACTIVE),
        ("Controller", StepRunStatus.PLANNED),
    ]
    first = Task.objects.get(step_run=runs[0])
    assert (first.assignee, first.status) == (anna, TaskStatus.ACTIVE)
    assert first.due_date == date(2026, 3, 18)
    assert (first.rule, first.source) == ("named", "named approver")
    later = Task.objects.get(step_run=runs[1])
    assert (later.assignee, later.status, later.due_date) == (bob, "planned", None)
    actions = list(
        HistoryEvent.objects.filter(document=document).values_list("action", flat=True)
    )
    assert actions == [
        "documents.document.receive",
        "documents.document.route",
        "documents.task.create",
        "documents.task.create",
        "documents.step.activate",
        "documents.task.activate",
    ]


def test_task_due_date_counts_working_days_only(company) -> None:
    publish_workflow(
        company, step(rules=(named(person(company, "Anna")),), days_to_complete=3)
    )
    document = receive(company)
    friday = date(2026, 3, 13)
    document_route(document_id=document.pk, today=friday)
    assert active_tasks(document)[0].due_date == date(2026, 3, 18)


def test_route_is_idempotent(company) -> None:
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))
    document = route(receive(company))
    rows = (
        HistoryEvent.objects.count(),
        Task.objects.count(),
        current(document).version,
    )

    route(document)

    assert Process.objects.filter(document=document).count() == 1
    assert (
        HistoryEvent.objects.count(),
        Task.objects.count(),
        current(document).version,
    ) == rows


def test_skipped_steps_are_recorded_with_their_reasons(company) -> None:
    big = limit_ref("Big", EUR=10_000)
    publish_workflow(
        company,
        step(name="Manager", rules=(named(person(company, "Anna")),)),
        step(
            name="CFO",
            rules=(named(person(company, "Carl")),),
            condition_kind=StepCondition.AMOUNT_ABOVE,
            low_limit=big,
        ),
    )
    document = route(receive(company, gross="500.00"))

    cfo = StepRun.objects.get(process__document=document, position=2)
    assert cfo.status == StepRunStatus.SKIPPED
    assert cfo.reasons == ['amount 500.00 EUR is below limit "Big" (10000.00 EUR)']
    assert not Task.objects.filter(step_run=cfo).exists()
    assert HistoryEvent.objects.filter(
        document=document, action="documents.step.skip", data__step=2
    ).exists()


def test_no_active_workflow_blocks_the_document_with_that_reason(company) -> None:
    document = route(receive(company))

    document = current(document)
    assert document.status == Document.Status.BLOCKED
    assert document.blocked_reason == "No workflow is active for purchase invoices."
    process = Process.objects.get(document=document)
    assert process.status == Process.Status.BLOCKED
    assert process.workflow_version is None
    event = HistoryEvent.objects.get(
        document=document, action="documents.document.block"
    )
    assert event.data["reasons"] == [document.blocked_reason]


def test_a_blocked_plan_blocks_the_document_and_keeps_the_reasons(company) -> None:
    ghost = EmployeeFactory(company=company, name="Ghost", active=False)
    publish_workflow(company, step(name="Manager", rules=(named(ghost),)))

    document = current(route(receive(company)))

    assert document.status == Document.Status.BLOCKED
    assert "named approver Ghost" in document.blocked_reason
    process = Process.objects.get(document=document)
    assert process.status == Process.Status.BLOCKED
    assert process.plan["blocked"] is True
    assert process.plan["blocked_reasons"] == [document.blocked_reason]
    assert not StepRun.objects.filter(process=process).exists()
    assert not Task.objects.filter(document=document).exists()


def test_task_is_blocked_when_the_assignee_has_no_login(company) -> None:
    nobody = person(company, "No Login", rights=())
    publish_workflow(company, step(rules=(named(nobody),)))

    document = route(receive(company))

    task = Task.objects.get(document=document)
    assert task.status == TaskStatus.BLOCKED
    assert task.blocked_reason == "No Login has no login."
    # A blocked task is not a blocked document: the document waits for a fix.
    assert current(document).status == Document.Status.IN_PROGRESS
    assert HistoryEvent.objects.filter(
        document=document, action="documents.task.block"
    ).exists()


def test_task_is_blocked_when_the_assignee_lacks_the_right_for_the_type(
    company,
) -> None:
    timesheets_only = person(company, "Tim", rights=("time_sheet",))
    publish_workflow(company, step(rules=(named(timesheets_only),)))

    document = route(receive(company))

    task = Task.objects.get(document=document)
    assert task.status == TaskStatus.BLOCKED
    assert "lacks the approver right" in task.blocked_reason


def test_substitutes_get_no_task_of_their_own(company) -> None:
    anna, sara = person(company, "Anna"), person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)
    publish_workflow(company, step(rules=(named(anna),)))

    document = route(receive(company))

    assert [t.assignee for t in Task.objects.filter(document=document)] == [anna]
    plan_people = Process.objects.get(document=document).plan["steps"][0]["approvers"]
    assert {p["employee_name"] for p in plan_people} == {"Anna", "Sara"}


def test_routing_uses_the_line_facts(company) -> None:
    from documents.services import LineInput
    from tests.factories.orgunits import (
        ApproverRoleFactory,
        DepartmentApproverFactory,
        DepartmentFactory,
    )
    from tests.factories.workflows import rule
    from workflows.models import StepRuleKind

    role = ApproverRoleFactory(company=company)
    dave = person(company, "Dave")
    DepartmentApproverFactory(
        department=DepartmentFactory(company=company, code="SALES"),
        role=role,
        approver=dave,
    )
    publish_workflow(company, step(rules=(rule(StepRuleKind.DEPARTMENT, role),)))

    document = route(
        receive(company, lines=[LineInput(1, Decimal(10), department_code="SALES")])
    )

    assert [t.assignee for t in active_tasks(document)] == [dave]


def test_nightly_retry_routes_a_blocked_document_once_the_setup_is_fixed(
    company,
) -> None:
    document = route(receive(company))
    assert current(document).status == Document.Status.BLOCKED
    history = HistoryEvent.objects.count()

    document_retry_blocked(document_id=document.pk)
    assert current(document).status == Document.Status.BLOCKED
    assert HistoryEvent.objects.count() == history

    anna = person(company, "Anna")
    version = publish_workflow(company, step(rules=(named(anna),)))
    document_retry_blocked(document_id=document.pk)

    document = current(document)
    assert document.status == Document.Status.IN_PROGRESS
    assert document.blocked_reason == ""
    process = Process.objects.get(document=document)
    assert (process.number, process.status) == (1, Process.Status.RUNNING)
    assert process.workflow_version == version
    assert [t.assignee for t in active_tasks(document)] == [anna]


def test_routing_a_time_sheet_uses_the_time_sheet_workflow(company) -> None:
    tim = person(company, "Tim", rights=("time_sheet",))
    publish_workflow(company, step(rules=(named(tim),)), document_type="time_sheet")
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))

    document = route(
        receive(company, document_type="time_sheet", erp_document_type="TimeCard")
    )

    assert [t.assignee for t in active_tasks(document)] == [tim]
    assert document.document_type != INVOICE


@time_machine.travel("2026-03-11 09:00 +01:00", tick=False)
def test_day_conditions_count_from_the_day_the_document_was_received(company) -> None:
    publish_workflow(
        company,
        step(name="Manager", rules=(named(person(company, "Anna")),)),
        step(
            name="Controller",
            rules=(named(person(company, "Carl")),),
            condition_kind=StepCondition.DUE_IN_DAYS_AT_LEAST,
            days=3,
        ),
    )
    document = route(receive(company, due_date=date(2026, 3, 12)))

    controller = StepRun.objects.get(process__document=document, position=2)
    assert controller.status == StepRunStatus.SKIPPED
    assert "due in 1 days" in controller.reasons[0]
