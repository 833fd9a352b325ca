"""Blocked tasks: an assignee who lost (or regained) the right to decide (VISMA_RULES §2 r1)."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest

from documents import tasks
from documents.choices import TaskStatus
from documents.models import Document, HistoryEvent, Task
from documents.selectors import TaskOverviewFilter, task_overview_list
from documents.services import (
    document_route,
    tasks_block_for_lost_rights,
    tasks_reassign,
)
from documents.transitions import COMMENT, available_actions
from orgunits.models import Company, Employee, Membership
from tests.documents.conftest import (
    approve_and_advance,
    current,
    person,
    receive,
    received_and_routed,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, MembershipFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

WEDNESDAY = date(2026, 3, 11)


@pytest.fixture
def anna(company: Company) -> Employee:
    return person(company, "Anna")


@pytest.fixture
def in_progress(company: Company, anna: Employee) -> Document:
    publish_workflow(company, step(rules=(named(anna),), days_to_complete=5))
    document = receive(company)
    document_route(document_id=document.pk, today=WEDNESDAY)
    return current(document)


def _take_the_right(employee: Employee) -> None:
    Membership.objects.filter(user=employee.user).update(
        approves_purchase_invoices=False
    )


def _task(document: Document) -> Task:
    return Task.objects.get(document=document)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_take_the_right, "Anna lacks the approver right for this document type."),
        (
            lambda e: Employee.objects.filter(pk=e.pk).update(active=False),
            "Anna is inactive.",
        ),
        (
            lambda e: Employee.objects.filter(pk=e.pk).update(user=None),
            "Anna has no login.",
        ),
        (
            lambda e: Membership.objects.filter(user=e.user).delete(),
            "Anna lacks the approver right for this document type.",
        ),
    ],
    ids=["right_taken", "inactive", "login_removed", "membership_removed"],
)
def test_a_task_is_blocked_when_its_assignee_can_no_longer_decide(
    company, anna, in_progress, change, reason
) -> None:
    before = _task(in_progress)
    change(anna)

    result = tasks_block_for_lost_rights(company_id=company.pk)

    task = _task(in_progress)
    assert result.blocked == (task.pk,)
    assert (task.status, task.blocked_reason) == (TaskStatus.BLOCKED, reason)
    assert task.version == before.version + 1
    event = HistoryEvent.objects.get(
        document=in_progress, action="documents.task.block"
    )
    assert event.data["reason"] == reason
    assert event.actor_label == "Signoff"
    # The document stays in progress: a blocked task is not a blocked document.
    assert current(in_progress).status == Document.Status.IN_PROGRESS


def test_a_blocked_task_leaves_the_assignee_only_the_comment(
    company, anna, in_progress
) -> None:
    _take_the_right(anna)
    tasks_block_for_lost_rights(company_id=company.pk)

    task = _task(in_progress)
    anna.refresh_from_db()
    assert available_actions(task=task, employee=anna, user=anna.user) == {COMMENT}


def test_administrators_see_blocked_tasks_in_the_task_overview(
    company, anna, in_progress
) -> None:
    _take_the_right(anna)
    tasks_block_for_lost_rights(company_id=company.pk)

    blocked = task_overview_list(company=company, status=TaskOverviewFilter.BLOCKED)

    assert [t.pk for t in blocked] == [_task(in_progress).pk]


def test_a_regained_right_unblocks_the_task_with_a_fresh_allowance(
    company, anna, in_progress
) -> None:
    _take_the_right(anna)
    tasks_block_for_lost_rights(company_id=company.pk)
    Membership.objects.filter(user=anna.user).update(approves_purchase_invoices=True)

    result = tasks_block_for_lost_rights(company_id=company.pk, today=date(2026, 3, 20))

    task = _task(in_progress)
    assert result.unblocked == (task.pk,)
    assert (task.status, task.blocked_reason) == (TaskStatus.ACTIVE, "")
    assert task.due_date == date(2026, 3, 27)
    assert HistoryEvent.objects.filter(
        document=in_progress, action="documents.task.unblock"
    ).exists()
    approve_and_advance(task)
    assert current(in_progress).status == Document.Status.APPROVED


def test_a_task_blocked_at_activation_is_unblocked_once_the_right_is_granted(
    company,
) -> None:
    """VISMA_RULES §1.5: fix a blocked task by granting the right for the type."""
    nils = person(company, "Nils", rights=("time_sheet",))
    publish_workflow(company, step(rules=(named(nils),)))
    document = received_and_routed(company)
    assert _task(document).status == TaskStatus.BLOCKED

    Membership.objects.filter(user=nils.user).update(approves_purchase_invoices=True)
    tasks_block_for_lost_rights(company_id=company.pk)

    assert _task(document).status == TaskStatus.ACTIVE


def test_the_check_is_idempotent(company, anna, in_progress) -> None:
    _take_the_right(anna)
    tasks_block_for_lost_rights(company_id=company.pk)
    rows = HistoryEvent.objects.count()

    again = tasks_block_for_lost_rights(company_id=company.pk)

    assert (again.blocked, again.unblocked) == ((), ())
    assert HistoryEvent.objects.count() == rows


def test_only_the_given_company_and_only_active_tasks_of_running_processes(
    company, anna, in_progress
) -> None:
    other = CompanyFactory()
    olga = person(other, "Olga")
    publish_workflow(other, step(rules=(named(olga),)))
    other_document = received_and_routed(other)
    bob = person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna),)), step(rules=(named(bob),)))
    planned_for_bob = received_and_routed(company, reference="B")
    _take_the_right(olga)
    _take_the_right(bob)

    result = tasks_block_for_lost_rights(company_id=company.pk)

    assert result.blocked == ()
    assert _task(other_document).status == TaskStatus.ACTIVE
    # Bob's task is planned: it is checked when its step is activated.
    assert Task.objects.get(document=planned_for_bob, assignee=bob).status == (
        TaskStatus.PLANNED
    )


def test_finished_documents_are_left_alone(company, anna, in_progress) -> None:
    approve_and_advance(_task(in_progress))
    _take_the_right(anna)

    assert tasks_block_for_lost_rights(company_id=company.pk).blocked == ()
    assert _task(in_progress).status == TaskStatus.COMPLETED


def test_the_reconciler_runs_the_check_every_minute(company, anna, in_progress) -> None:
    _take_the_right(anna)

    with (
        mock.patch.object(tasks.route_document, "delay"),
        mock.patch.object(tasks.advance_process, "delay"),
    ):
        result = tasks.reconcile_documents()

    assert result == {"route": 0, "advance": 0}
    assert _task(in_progress).status == TaskStatus.BLOCKED


def test_one_failing_company_does_not_stop_the_others(
    company, anna, in_progress
) -> None:
    other = CompanyFactory()
    olga = person(other, "Olga")
    publish_workflow(other, step(rules=(named(olga),)))
    other_document = received_and_routed(other)
    _take_the_right(anna)
    _take_the_right(olga)
    real = tasks_block_for_lost_rights

    def flaky(*, company_id: int):
        if company_id == company.pk:
            raise RuntimeError("boom")
        return real(company_id=company_id)

    with mock.patch("documents.services.tasks_block_for_lost_rights", flaky):
        assert tasks.check_task_rights() == (1, 0)
    assert _task(other_document).status == TaskStatus.BLOCKED
    assert _task(in_progress).status == TaskStatus.ACTIVE


def test_a_blocked_task_is_fixed_by_reassigning_it(company, anna, in_progress) -> None:
    _take_the_right(anna)
    tasks_block_for_lost_rights(company_id=company.pk)
    admin = MembershipFactory(company=company, admin=True).user
    cleo = person(company, "Cleo")

    (new,) = tasks_reassign(
        task_ids=[_task(in_progress).pk],
        to_employee=cleo,
        admin_user=admin,
        comment="Anna moved to another team.",
    )

    assert new.status == TaskStatus.ACTIVE
    assert task_of(in_progress, cleo) == new
