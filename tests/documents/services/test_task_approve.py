"""task_approve: the decision, its guards, substitutes, stale pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import DecisionAction, TaskStatus
from documents.models import Comment, Decision, HistoryEvent, Task
from documents.services import LineInput, document_edit, task_approve
from tests.documents.conftest import (
    active_tasks,
    approve,
    current,
    person,
    received_and_routed,
    sent_tasks,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import EmployeeFactory, SubstitutionFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(company):
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    publish_workflow(
        company,
        step(name="Managers", rules=(named(anna, bob),)),
        step(name="CFO", rules=(named(carl),)),
    )
    return received_and_routed(company), anna, bob, carl


def test_approve_records_the_decision_history_and_enqueues_the_advance(
    setup, django_capture_on_commit_callbacks
) -> None:
    document, anna, _bob, _carl = setup
    task = task_of(document, anna)
    version = current(document).version

    with django_capture_on_commit_callbacks() as callbacks:
        result = task_approve(
            task_id=task.pk,
            employee=anna,
            user=anna.user,
            expected_version=version,
            comment="  Looks right.  ",
        )

    assert result.status == TaskStatus.COMPLETED
    assert result.closed_at is not None
    decision = Decision.objects.get(task=task)
    assert decision.action == DecisionAction.APPROVE
    assert (decision.decided_by, decision.on_behalf_of) == (anna, None)
    assert decision.by_user == anna.user
    assert decision.comment == "Looks right."
    assert Comment.objects.get(document=document).text == "Looks right."
    # A decision is not a change of what the others see: their pages stay valid.
    assert current(document).version == version
    event = HistoryEvent.objects.get(document=document, action="documents.task.approve")
    assert event.actor_user == anna.user
    assert event.actor_label == f"Anna ({anna.number})"
    assert event.data["decision"] == decision.pk
    assert sent_tasks(callbacks) == [("documents.advance_process", (task.process_id,))]


def test_approve_from_a_stale_page_is_refused_and_changes_nothing(setup) -> None:
    document, anna, _bob, _carl = setup
    task = task_of(document, anna)
    stale = current(document).version - 1

    with pytest.raises(StaleVersion, match="The document changed since you opened it"):
        task_approve(
            task_id=task.pk, employee=anna, user=anna.user, expected_version=stale
        )

    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert not Decision.objects.exists()


def test_a_task_is_decided_only_once(setup) -> None:
    document, anna, _bob, _carl = setup
    task = task_of(document, anna)
    approve(task)

    with pytest.raises(InvalidTransition, match="already completed"):
        approve(Task.objects.get(pk=task.pk))

    assert Decision.objects.filter(task=task).count() == 1


def test_a_second_approval_in_a_completed_any_one_step_is_refused(setup) -> None:
    """Between the completing approval and the advance, nobody else can decide."""
    document, anna, bob, _carl = setup
    approve(task_of(document, anna))

    with pytest.raises(InvalidTransition, match="This step is already complete"):
        approve(task_of(document, bob))

    assert Decision.objects.count() == 1


def test_someone_else_cannot_approve_the_task(setup, company) -> None:
    document, anna, _bob, carl = setup
    with pytest.raises(InvalidTransition, match="You cannot approve this task now"):
        approve(task_of(document, anna), employee=carl)
    assert not Decision.objects.exists()


def test_a_planned_task_cannot_be_approved(setup) -> None:
    document, _anna, _bob, carl = setup
    planned = Task.objects.get(document=document, assignee=carl)
    with pytest.raises(InvalidTransition, match="You cannot approve"):
        approve(planned)


def test_an_employee_of_another_login_cannot_be_used(setup) -> None:
    document, anna, bob, _carl = setup
    with pytest.raises(InvalidTransition):
        task_approve(
            task_id=task_of(document, anna).pk,
            employee=anna,
            user=bob.user,
            expected_version=current(document).version,
        )


def test_approver_who_lost_the_right_cannot_approve(setup) -> None:
    document, anna, _bob, _carl = setup
    anna.user.memberships.update(approves_purchase_invoices=False)
    with pytest.raises(InvalidTransition):
        approve(task_of(document, anna))


def test_substitute_acts_on_behalf_of_the_principal(setup, company) -> None:
    document, anna, _bob, _carl = setup
    sara = person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)

    approve(task_of(document, anna), employee=sara)

    decision = Decision.objects.get()
    assert (decision.decided_by, decision.on_behalf_of) == (sara, anna)
    assert decision.by_user == sara.user
    event = HistoryEvent.objects.get(document=document, action="documents.task.approve")
    assert event.actor_label == f"Sara ({sara.number})"
    assert event.on_behalf_of_label == f"Anna ({anna.number})"


def test_an_ended_substitution_gives_no_right_to_act(setup, company) -> None:
    from datetime import timedelta

    from django.utils import timezone

    document, anna, _bob, _carl = setup
    sara = person(company, "Sara")
    SubstitutionFactory(
        principal=anna,
        substitute=sara,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(InvalidTransition):
        approve(task_of(document, anna), employee=sara)


def test_employee_of_another_company_cannot_approve(setup) -> None:
    document, anna, _bob, _carl = setup
    outsider = EmployeeFactory(user=anna.user, rights=["purchase_invoice"])
    with pytest.raises(InvalidTransition):
        approve(task_of(document, anna), employee=outsider)


def test_approval_history_has_one_row_per_change(setup) -> None:
    document, anna, _bob, _carl = setup
    before = HistoryEvent.objects.count()
    approve(task_of(document, anna), comment="ok")
    rows = list(
        HistoryEvent.objects.order_by("pk").values_list("action", flat=True)[before:]
    )
    assert rows == ["documents.task.approve", "documents.comment.add"]
    groups = HistoryEvent.objects.order_by("pk").values_list("group", flat=True)
    assert len(set(groups[before:])) == 1
    # The step stays active until the advance runs; the other task is still open.
    assert [t.assignee for t in active_tasks(document)] == [_bob]


def test_approve_from_a_page_older_than_a_line_edit_changes_nothing(company) -> None:
    """RELIABILITY 13: Bob edited a line after Anna's page was built."""
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="Both", rules=(named(anna, bob),), editing_allowed=True),
    )
    document = received_and_routed(
        company, lines=[LineInput(line_number=1, amount=Decimal(100))]
    )
    page_version = current(document).version
    document_edit(
        document_id=document.pk,
        employee=bob,
        user=bob.user,
        expected_version=page_version,
        header=None,
        lines={1: {"amount": "90.00"}},
    )
    task = task_of(document, anna)
    history = HistoryEvent.objects.count()

    with pytest.raises(StaleVersion) as refused:
        task_approve(
            task_id=task.pk,
            employee=anna,
            user=anna.user,
            expected_version=page_version,
        )

    assert str(refused.value) == (
        "The document changed since you opened it. Reload it and try again."
    )
    assert refused.value.extra == {
        "code": "stale_version",
        "expected_version": page_version,
        "current_version": page_version + 1,
    }
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert not Decision.objects.exists()
    assert HistoryEvent.objects.count() == history
