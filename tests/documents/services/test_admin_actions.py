"""Administrator actions: reassign, approve/reject/cancel directly, resend (DOMAIN §7)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction

from core.exceptions import InvalidTransition
from documents.choices import (
    DecisionAction,
    OutboxEventType,
    StepRunStatus,
    TaskOrigin,
    TaskStatus,
)
from documents.models import (
    Comment,
    Decision,
    Document,
    HistoryEvent,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)
from documents.services import (
    document_approve_directly,
    document_cancel,
    document_reject_directly,
    document_resend,
    document_resend_preview,
    document_route,
    documents_approve_directly,
    tasks_reassign,
)
from documents.services.admin_actions import (
    DIRECT_DECISION_STEP_NAME,
    REASSIGNED,
)
from documents.services.common import (
    HistoryWriter,
    document_lock,
    document_state_save,
    process_lock,
)
from documents.services.processes import process_block
from documents.transitions import (
    APPROVE_DIRECTLY,
    CANCEL_DIRECTLY,
    REASSIGN,
    REJECT_DIRECTLY,
    RESEND,
    available_admin_document_actions,
    available_admin_task_actions,
)
from orgunits.models import Company, Employee, Membership
from tests.documents.conftest import (
    active_tasks,
    approve,
    approve_and_advance,
    current,
    open_process,
    person,
    receive,
    received_and_routed,
    route,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, MembershipFactory
from tests.factories.workflows import limit_ref, named, step
from workflows.models import StepCondition

pytestmark = pytest.mark.django_db

WEDNESDAY = date(2026, 3, 11)


def admin_user(company: Company, *, rights: bool = True) -> AbstractUser:
    """A system administrator, with the invoice approver right unless `rights=False`."""
    return MembershipFactory(
        company=company, admin=True, approves_purchase_invoices=rights
    ).user


@pytest.fixture
def admin(company: Company) -> AbstractUser:
    return admin_user(company)


@pytest.fixture
def people(company: Company) -> dict[str, Employee]:
    return {
        name: person(company, name) for name in ("Anna", "Bob", "Cleo", "Dan", "Eva")
    }


@pytest.fixture
def two_steps(company: Company, people: dict[str, Employee]) -> None:
    publish_workflow(
        company,
        step(name="Manager", rules=(named(people["Anna"]),), days_to_complete=5),
        step(name="Controller", rules=(named(people["Bob"]),)),
    )


def history_actions(document: Document) -> list[str]:
    return list(
        HistoryEvent.objects.filter(document=document)
        .order_by("pk")
        .values_list("action", flat=True)
    )


def _viewer(company: Company) -> AbstractUser:
    return MembershipFactory(company=company, viewer=True).user


def _approver_login(employee: Employee) -> AbstractUser:
    assert employee.user is not None
    return employee.user


# --- tasks_reassign ---------------------------------------------------------------------


@pytest.mark.usefixtures("two_steps")
def test_reassign_cancels_the_task_and_gives_the_new_approver_an_active_one(
    company, people, admin
) -> None:
    document = received_and_routed(company)
    old = task_of(document, people["Anna"])

    (new,) = tasks_reassign(
        task_ids=[old.pk],
        to_employee=people["Cleo"],
        admin_user=admin,
        comment="Anna is on leave.",
        today=WEDNESDAY,
    )

    old.refresh_from_db()
    assert (old.status, old.closed_reason) == (TaskStatus.CANCELLED, REASSIGNED)
    assert (new.status, new.origin, new.assignee) == (
        TaskStatus.ACTIVE,
        TaskOrigin.REASSIGN,
        people["Cleo"],
    )
    assert (new.step_run_id, new.process_id, new.reassigned_from_id) == (
        old.step_run_id,
        old.process_id,
        old.pk,
    )
    assert new.round == old.round
    # Five working days from Wednesday: the next Wednesday (a full allowance).
    assert new.due_date == date(2026, 3, 18)
    assert history_actions(document)[-2:] == [
        "documents.task.cancel",
        "documents.task.reassign",
    ]
    event = HistoryEvent.objects.get(
        document=document, action="documents.task.reassign"
    )
    assert event.actor_user == admin
    assert event.data["comment"] == "Anna is on leave."
    assert (event.data["task"], event.data["reassigned_from"]) == (new.pk, old.pk)


@pytest.mark.usefixtures("two_steps")
def test_the_new_assignee_decides_and_the_process_moves_on(
    company, people, admin
) -> None:
    document = received_and_routed(company)
    (new,) = tasks_reassign(
        task_ids=[task_of(document, people["Anna"]).pk],
        to_employee=people["Cleo"],
        admin_user=admin,
        comment="Cleo covers.",
    )

    approve_and_advance(new)

    assert [t.assignee for t in active_tasks(document)] == [people["Bob"]]


@pytest.mark.usefixtures("two_steps")
def test_reassign_many_tasks_at_once_is_one_action(company, people, admin) -> None:
    first = received_and_routed(company, reference="A")
    second = received_and_routed(company, reference="B")
    tasks = [task_of(first, people["Anna"]), task_of(second, people["Anna"])]

    created = tasks_reassign(
        task_ids=[t.pk for t in reversed(tasks)],
        to_employee=people["Cleo"],
        admin_user=admin,
        comment="Anna left the company.",
    )

    assert [t.reassigned_from_id for t in created] == [t.pk for t in tasks]
    groups = set(
        HistoryEvent.objects.filter(
            action__in=["documents.task.reassign", "documents.task.cancel"],
            document__in=[first, second],
        ).values_list("group", flat=True)
    )
    assert len(groups) == 1


@pytest.mark.usefixtures("two_steps")
def test_reassign_an_overdue_task_gives_a_fresh_due_date(
    company, people, admin
) -> None:
    document = receive(company)
    document_route(document_id=document.pk, today=date(2026, 1, 5))
    old = task_of(document, people["Anna"])
    assert old.is_overdue

    (new,) = tasks_reassign(
        task_ids=[old.pk],
        to_employee=people["Cleo"],
        admin_user=admin,
        comment="Overdue; Cleo takes it.",
        today=WEDNESDAY,
    )

    assert new.due_date == date(2026, 3, 18)


def test_reassign_a_blocked_task(company, people, admin) -> None:
    no_right = person(company, "Nils", rights=())
    publish_workflow(company, step(rules=(named(no_right),)))
    document = received_and_routed(company)
    blocked = Task.objects.get(document=document)
    assert blocked.status == TaskStatus.BLOCKED

    (new,) = tasks_reassign(
        task_ids=[blocked.pk],
        to_employee=people["Cleo"],
        admin_user=admin,
        comment="Nils has no login.",
    )

    assert new.status == TaskStatus.ACTIVE
    assert Task.objects.get(pk=blocked.pk).status == TaskStatus.CANCELLED


@pytest.mark.usefixtures("two_steps")
def test_reassign_requires_a_comment(company, people, admin) -> None:
    document = received_and_routed(company)
    task = task_of(document, people["Anna"])

    with pytest.raises(ValidationError, match="A comment is required to reassign"):
        tasks_reassign(
            task_ids=[task.pk],
            to_employee=people["Cleo"],
            admin_user=admin,
            comment=" ",
        )
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


@pytest.mark.usefixtures("two_steps")
@pytest.mark.parametrize("who", ["approver", "viewer", "other_company_admin"])
def test_reassign_is_for_administrators_only(company, people, who) -> None:
    document = received_and_routed(company)
    task = task_of(document, people["Anna"])
    user = {
        "approver": lambda: _approver_login(people["Bob"]),
        "viewer": lambda: _viewer(company),
        "other_company_admin": lambda: admin_user(CompanyFactory()),
    }[who]()

    with pytest.raises(PermissionDenied, match="Only a system administrator"):
        tasks_reassign(
            task_ids=[task.pk], to_employee=people["Cleo"], admin_user=user, comment="x"
        )
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


@pytest.mark.usefixtures("two_steps")
@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_right", "lacks the approver right for purchase invoices"),
        ("no_login", "has no login in this company"),
        ("inactive", "is inactive"),
        ("requester", "is the requester of this document"),
        ("same", "is already assigned to Anna"),
        ("other_company", "must work in the tasks' company"),
    ],
)
def test_reassign_refuses_someone_who_cannot_take_the_task(
    company, people, admin, target, message
) -> None:
    requester = person(company, "Rita", number="R1")
    document = received_and_routed(company, requester_number="R1")
    task = task_of(document, people["Anna"])
    to = {
        "no_right": lambda: person(company, "Nora", rights=("time_sheet",)),
        "no_login": lambda: person(company, "Nils", rights=()),
        "inactive": lambda: person(company, "Ivo", active=False),
        "requester": lambda: requester,
        "same": lambda: people["Anna"],
        "other_company": lambda: person(CompanyFactory(), "Olga"),
    }[target]()

    with pytest.raises(ValidationError, match=message):
        tasks_reassign(
            task_ids=[task.pk], to_employee=to, admin_user=admin, comment="x"
        )
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


@pytest.mark.parametrize("bob_approved", [False, True])
def test_reassign_refuses_someone_with_a_task_in_the_step(
    company, people, admin, bob_approved
) -> None:
    """One person, one vote per step: an open task or one already approved."""
    publish_workflow(
        company,
        step(rules=(named(people["Anna"], people["Bob"]),), completion_policy="all"),
    )
    document = received_and_routed(company)
    if bob_approved:
        approve(task_of(document, people["Bob"]))

    with pytest.raises(ValidationError, match="Bob already has a task in this step"):
        tasks_reassign(
            task_ids=[task_of(document, people["Anna"]).pk],
            to_employee=people["Bob"],
            admin_user=admin,
            comment="x",
        )


@pytest.mark.usefixtures("two_steps")
def test_reassign_refuses_closed_and_planned_tasks(company, people, admin) -> None:
    document = received_and_routed(company)
    planned = Task.objects.get(document=document, assignee=people["Bob"])
    assert planned.status == TaskStatus.PLANNED

    with pytest.raises(InvalidTransition, match=r"is planned; only active, overdue"):
        tasks_reassign(
            task_ids=[planned.pk],
            to_employee=people["Cleo"],
            admin_user=admin,
            comment="x",
        )
    done = task_of(document, people["Anna"])
    approve_and_advance(done)
    with pytest.raises(InvalidTransition, match="is completed"):
        tasks_reassign(
            task_ids=[done.pk],
            to_employee=people["Cleo"],
            admin_user=admin,
            comment="x",
        )


@pytest.mark.usefixtures("two_steps")
def test_reassign_refuses_a_task_whose_step_is_complete(company, people, admin) -> None:
    publish_workflow(company, step(rules=(named(people["Anna"], people["Bob"]),)))
    document = received_and_routed(company)
    approve(task_of(document, people["Anna"]))  # the advance has not run yet

    with pytest.raises(InvalidTransition, match="is already complete"):
        tasks_reassign(
            task_ids=[task_of(document, people["Bob"]).pk],
            to_employee=people["Cleo"],
            admin_user=admin,
            comment="x",
        )


@pytest.mark.usefixtures("two_steps")
def test_reassign_is_all_or_nothing(company, people, admin) -> None:
    first = received_and_routed(company, reference="A")
    second = received_and_routed(company, reference="B")
    good = task_of(first, people["Anna"])
    approve_and_advance(task_of(second, people["Anna"]))
    closed = Task.objects.get(document=second, assignee=people["Anna"])
    before = HistoryEvent.objects.count()

    with pytest.raises(InvalidTransition, match=f"Task {closed.pk} is completed"):
        tasks_reassign(
            task_ids=[good.pk, closed.pk],
            to_employee=people["Cleo"],
            admin_user=admin,
            comment="x",
        )
    assert Task.objects.get(pk=good.pk).status == TaskStatus.ACTIVE
    assert HistoryEvent.objects.count() == before


def test_reassign_refuses_unknown_tasks_and_empty_lists(company, people, admin) -> None:
    with pytest.raises(Task.DoesNotExist):
        tasks_reassign(
            task_ids=[999_999],
            to_employee=people["Cleo"],
            admin_user=admin,
            comment="x",
        )
    with pytest.raises(ValidationError, match="Choose at least one task"):
        tasks_reassign(
            task_ids=[], to_employee=people["Cleo"], admin_user=admin, comment="x"
        )


@pytest.mark.usefixtures("two_steps")
def test_reassign_is_offered_exactly_when_the_service_accepts_it(
    company, people, admin
) -> None:
    document = received_and_routed(company)
    active = task_of(document, people["Anna"])
    planned = Task.objects.get(document=document, assignee=people["Bob"])

    assert available_admin_task_actions(task=active, user=admin) == {REASSIGN}
    assert available_admin_task_actions(task=planned, user=admin) == set()
    assert available_admin_task_actions(task=active, user=_viewer(company)) == set()
    assert (
        available_admin_task_actions(task=active, user=_approver_login(people["Bob"]))
        == set()
    )


# --- approve / reject directly ----------------------------------------------------------


@pytest.fixture
def blocked(company: Company) -> Document:
    """Blocked at routing: no workflow is active for invoices."""
    document = route(receive(company))
    assert document.status == Document.Status.BLOCKED
    return document


def test_approve_directly_approves_a_blocked_document_with_no_other_approvers(
    company, admin, blocked
) -> None:
    document_approve_directly(
        document_id=blocked.pk, admin_user=admin, comment="Known supplier, approved."
    )

    document = current(blocked)
    assert (document.status, document.blocked_reason) == (
        Document.Status.APPROVED,
        "",
    )
    process = Process.objects.get(document=document)
    assert process.status == Process.Status.APPROVED
    decision = Decision.objects.get(process=process)
    assert (decision.action, decision.task, decision.by_user) == (
        DecisionAction.ADMIN_APPROVE,
        None,
        admin,
    )
    assert decision.comment == "Known supplier, approved."
    step_run = decision.step_run
    assert (step_run.name, step_run.status) == (
        DIRECT_DECISION_STEP_NAME,
        StepRunStatus.COMPLETED,
    )
    (event,) = OutboxEvent.objects.filter(document=document)
    assert (event.event_type, event.process) == (OutboxEventType.APPROVED, process)
    assert event.payload["decisions"][0]["action"] == "admin_approve"
    assert event.payload["comments"][0]["text"] == "Known supplier, approved."
    assert Comment.objects.get(document=document).author_user == admin
    assert history_actions(document)[-4:] == [
        "documents.step.admin_approve",
        "documents.comment.add",
        "documents.process.approve",
        "documents.document.approve",
    ]


def test_reject_directly_rejects_a_blocked_document(company, admin, blocked) -> None:
    document_reject_directly(
        document_id=blocked.pk, admin_user=admin, comment="Duplicate of INV-0."
    )

    document = current(blocked)
    assert document.status == Document.Status.REJECTED
    assert Process.objects.get(document=document).status == Process.Status.REJECTED
    decision = Decision.objects.get(process__document=document)
    assert decision.action == DecisionAction.ADMIN_REJECT
    assert decision.step_run.status == StepRunStatus.REJECTED
    (event,) = OutboxEvent.objects.filter(document=document)
    assert event.event_type == OutboxEventType.REJECTED
    assert "Duplicate of INV-0." in event.payload["approvalStatusText"]
    assert history_actions(document)[-1] == "documents.document.reject"


def _blocked_during_approval(company: Company, people: dict[str, Employee]) -> Document:
    """In progress at step 1, then stopped by the runtime block (as 4-eyes can)."""
    document = received_and_routed(company)
    with transaction.atomic():
        locked = document_lock(document.pk)
        process = process_lock(open_process(document).pk)
        process_block(
            process=process,
            document=locked,
            history=HistoryWriter(locked, actor_label="test"),
            reason="Step 2 has no approver left.",
        )
        document_state_save(locked, "status", "blocked_reason")
    return current(document)


@pytest.mark.usefixtures("two_steps")
def test_approve_directly_closes_the_steps_and_tasks_of_a_process_blocked_midway(
    company, people, admin
) -> None:
    document = _blocked_during_approval(company, people)

    document_approve_directly(document_id=document.pk, admin_user=admin, comment="OK")

    assert current(document).status == Document.Status.APPROVED
    statuses = dict(
        StepRun.objects.filter(process__document=document).values_list("name", "status")
    )
    assert statuses == {
        "Manager": StepRunStatus.CANCELLED,
        "Controller": StepRunStatus.CANCELLED,
        DIRECT_DECISION_STEP_NAME: StepRunStatus.COMPLETED,
    }
    assert not Task.objects.filter(document=document, status__in=Task.OPEN_STATUSES)
    assert OutboxEvent.objects.filter(document=document).count() == 1


@pytest.mark.usefixtures("two_steps")
def test_direct_decisions_are_only_for_blocked_documents(company, admin) -> None:
    in_progress = received_and_routed(company)

    with pytest.raises(InvalidTransition, match="Only a blocked document"):
        document_approve_directly(
            document_id=in_progress.pk, admin_user=admin, comment="x"
        )
    with pytest.raises(InvalidTransition, match="Only a blocked document"):
        document_reject_directly(
            document_id=in_progress.pk, admin_user=admin, comment="x"
        )
    assert current(in_progress).status == Document.Status.IN_PROGRESS


def test_direct_approval_needs_the_approver_right_even_for_an_administrator(
    company, blocked
) -> None:
    """VISMA_RULES §2 r14."""
    admin_without_right = admin_user(company, rights=False)

    with pytest.raises(PermissionDenied, match="needs the approver right for purchase"):
        document_approve_directly(
            document_id=blocked.pk, admin_user=admin_without_right, comment="x"
        )
    with pytest.raises(PermissionDenied, match="needs the approver right"):
        document_reject_directly(
            document_id=blocked.pk, admin_user=admin_without_right, comment="x"
        )
    assert current(blocked).status == Document.Status.BLOCKED
    assert not OutboxEvent.objects.filter(document=blocked).exists()


@pytest.mark.parametrize("who", ["approver", "viewer"])
def test_direct_decisions_are_for_administrators_only(company, blocked, who) -> None:
    user = (
        _approver_login(person(company, "Anna"))
        if who == "approver"
        else _viewer(company)
    )

    with pytest.raises(PermissionDenied, match="Only a system administrator"):
        document_approve_directly(document_id=blocked.pk, admin_user=user, comment="x")
    assert current(blocked).status == Document.Status.BLOCKED


def test_direct_decisions_require_a_comment(company, admin, blocked) -> None:
    with pytest.raises(ValidationError, match="required to approve directly"):
        document_approve_directly(document_id=blocked.pk, admin_user=admin, comment="")
    with pytest.raises(ValidationError, match="required to reject directly"):
        document_reject_directly(document_id=blocked.pk, admin_user=admin, comment="")


def test_direct_decision_actions_are_offered_exactly_when_allowed(
    company, admin, blocked
) -> None:
    assert available_admin_document_actions(document=blocked, user=admin) == {
        APPROVE_DIRECTLY,
        REJECT_DIRECTLY,
        CANCEL_DIRECTLY,
        RESEND,
    }
    assert available_admin_document_actions(
        document=blocked, user=admin_user(company, rights=False)
    ) == {CANCEL_DIRECTLY, RESEND}
    assert available_admin_document_actions(
        document=blocked, user=_viewer(company)
    ) == (set())


def test_approve_many_directly_reports_each_document(company, admin) -> None:
    first = route(receive(company, reference="A"))
    second = route(receive(company, reference="B"))
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))
    in_progress = route(receive(company, reference="C"))

    results = documents_approve_directly(
        document_ids=[first.pk, in_progress.pk, second.pk, 999_999, first.pk],
        admin_user=admin,
        comment="Month-end clean-up.",
    )

    assert list(results) == [first.pk, in_progress.pk, second.pk, 999_999]
    assert (results[first.pk].ok, results[first.pk].status) == (True, "approved")
    assert results[second.pk].ok
    assert (results[in_progress.pk].ok, results[in_progress.pk].code) == (
        False,
        "not_blocked",
    )
    assert results[999_999].code == "not_found"
    assert current(first).status == Document.Status.APPROVED
    assert current(in_progress).status == Document.Status.IN_PROGRESS
    assert OutboxEvent.objects.filter(document=first).count() == 1


def test_approve_many_directly_refuses_without_a_comment(company, admin) -> None:
    with pytest.raises(ValidationError, match="required to approve directly"):
        documents_approve_directly(document_ids=[1], admin_user=admin, comment="")


# --- cancel directly --------------------------------------------------------------------


def test_cancel_directly_cancels_a_blocked_document(company, admin, blocked) -> None:
    document_cancel(
        document_id=blocked.pk, actor_label="Ada Admin", by_admin_user=admin
    )

    assert current(blocked).status == Document.Status.CANCELLED
    (event,) = OutboxEvent.objects.filter(document=blocked)
    assert event.event_type == OutboxEventType.CANCELLED


@pytest.mark.parametrize("who", ["approver", "viewer"])
def test_cancel_directly_is_for_administrators_only(company, blocked, who) -> None:
    user = (
        _approver_login(person(company, "Anna"))
        if who == "approver"
        else _viewer(company)
    )

    with pytest.raises(PermissionDenied, match="Only a system administrator"):
        document_cancel(document_id=blocked.pk, actor_label="x", by_admin_user=user)
    assert current(blocked).status == Document.Status.BLOCKED
    assert not OutboxEvent.objects.filter(document=blocked).exists()


# --- resend -----------------------------------------------------------------------------


def test_resend_preview_points_at_the_missing_workflow(company, admin, blocked) -> None:
    before = HistoryEvent.objects.count()

    plan = document_resend_preview(document_id=blocked.pk, admin_user=admin)

    assert plan.blocked
    assert plan.blocked_reasons == ("No workflow is active for purchase invoices.",)
    assert HistoryEvent.objects.count() == before


def test_resend_preview_shows_the_resolved_workflow(
    company, admin, blocked, people
) -> None:
    publish_workflow(company, step(name="Manager", rules=(named(people["Anna"]),)))

    plan = document_resend_preview(document_id=blocked.pk, admin_user=admin)

    assert not plan.blocked
    (manager,) = plan.steps
    assert [a.employee_name for a in manager.approvers] == ["Anna"]


def test_resend_routes_the_fixed_document(company, admin, blocked, people) -> None:
    version = publish_workflow(
        company, step(name="Manager", rules=(named(people["Anna"]),))
    )

    document_resend(document_id=blocked.pk, admin_user=admin)

    document = current(blocked)
    assert (document.status, document.blocked_reason) == (
        Document.Status.IN_PROGRESS,
        "",
    )
    process = Process.objects.get(document=document)
    assert (process.number, process.status, process.workflow_version) == (
        1,
        Process.Status.RUNNING,
        version,
    )
    assert [t.assignee for t in active_tasks(document)] == [people["Anna"]]
    resend = HistoryEvent.objects.get(
        document=document, action="documents.document.resend"
    )
    assert resend.actor_user == admin
    assert (resend.data["blocked"], resend.data["workflow_version"]) == (
        False,
        version.pk,
    )
    assert "documents.document.route" in history_actions(document)


def test_resend_still_blocked_keeps_it_blocked_with_the_fresh_reasons(
    company, admin, blocked, people
) -> None:
    version = publish_workflow(
        company,
        step(
            rules=(named(people["Anna"]),),
            condition_kind=StepCondition.AMOUNT_ABOVE,
            low_limit=limit_ref("Big", NOK=Decimal(1000)),
        ),
    )

    document_resend(document_id=blocked.pk, admin_user=admin)

    document = current(blocked)
    assert document.status == Document.Status.BLOCKED
    reason = 'Step 1 "Step 1": limit "Big" has no amount in EUR'
    assert document.blocked_reason == reason
    process = Process.objects.get(document=document)
    assert (process.status, process.blocked_reason, process.workflow_version) == (
        Process.Status.BLOCKED,
        reason,
        version,
    )
    resend = HistoryEvent.objects.get(
        document=document, action="documents.document.resend"
    )
    assert resend.data["reasons"] == [reason]
    assert not StepRun.objects.filter(process=process).exists()


@pytest.mark.usefixtures("two_steps")
def test_resend_refuses_documents_that_are_not_blocked_at_routing(
    company, admin, people
) -> None:
    in_progress = received_and_routed(company, reference="A")
    midway = _blocked_during_approval(company, people)

    with pytest.raises(
        InvalidTransition, match="Only a blocked document can be resent"
    ):
        document_resend(document_id=in_progress.pk, admin_user=admin)
    with pytest.raises(InvalidTransition, match="blocked during its approval"):
        document_resend(document_id=midway.pk, admin_user=admin)
    with pytest.raises(InvalidTransition, match="blocked during its approval"):
        document_resend_preview(document_id=midway.pk, admin_user=admin)
    assert RESEND not in available_admin_document_actions(document=midway, user=admin)


@pytest.mark.parametrize("who", ["approver", "viewer"])
def test_resend_is_for_administrators_only(company, blocked, who) -> None:
    user = (
        _approver_login(person(company, "Anna"))
        if who == "approver"
        else _viewer(company)
    )

    with pytest.raises(PermissionDenied, match="Only a system administrator"):
        document_resend(document_id=blocked.pk, admin_user=user)
    with pytest.raises(PermissionDenied, match="Only a system administrator"):
        document_resend_preview(document_id=blocked.pk, admin_user=user)


def test_admin_actions_ignore_a_membership_of_an_inactive_company(
    company, blocked
) -> None:
    admin = admin_user(company)
    Company.objects.filter(pk=company.pk).update(is_active=False)

    with pytest.raises(PermissionDenied):
        document_resend(document_id=blocked.pk, admin_user=admin)
    assert Membership.objects.filter(user=admin, is_system_admin=True).exists()


# --- two administrators at once (PostgreSQL) ---------------------------------------------


def _together(*actions: Callable[[], object]) -> list[object]:
    """Run the callables in parallel threads; each result or raised exception."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def runner(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as error:
            results[index] = error
        finally:
            # Each thread has its own connection; close it so the test database can
            # be dropped afterwards.
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("two_steps")
def test_overlapping_reassigns_never_deadlock(company, people, admin) -> None:
    """Locks are taken documents-first in id order: one wins, the other is refused."""
    for round_number in range(5):
        first = received_and_routed(company, reference=f"A{round_number}")
        second = received_and_routed(company, reference=f"B{round_number}")
        ids = [task_of(first, people["Anna"]).pk, task_of(second, people["Anna"]).pk]

        results = _together(
            lambda ids=ids: tasks_reassign(
                task_ids=ids, to_employee=people["Cleo"], admin_user=admin, comment="1"
            ),
            lambda ids=ids: tasks_reassign(
                task_ids=list(reversed(ids)),
                to_employee=people["Dan"],
                admin_user=admin,
                comment="2",
            ),
        )

        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1, results
        assert isinstance(failures[0], InvalidTransition)
        for document in (first, second):
            (task,) = active_tasks(document)
            assert task.origin == TaskOrigin.REASSIGN
