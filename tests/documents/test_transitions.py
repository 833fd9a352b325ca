"""The transitions map and available_actions: what each person may do with a task."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.exceptions import InvalidTransition
from documents.choices import DocumentStatus, TaskKind, TaskStatus
from documents.choices import StepRunStatus as S
from documents.models import Task
from documents.services import LineInput
from documents.transitions import (
    DOCUMENT_TRANSITIONS,
    TASK_TRANSITIONS,
    available_actions,
    available_document_actions,
    can_transition,
    ensure_transition,
)
from tests.documents.conftest import active_tasks, person, received_and_routed
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    EmployeeFactory,
    MembershipFactory,
    SubstitutionFactory,
)
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

DECIDER = {
    "approve",
    "reject",
    "comment",
    "forward",
    "request_review",
    "postpone",
    "add_attachment",
}


def test_every_status_has_an_entry_in_the_maps() -> None:
    assert set(DOCUMENT_TRANSITIONS) == set(DocumentStatus.values)
    assert set(TASK_TRANSITIONS) == set(TaskStatus.values)


def test_finished_states_are_final() -> None:
    assert DOCUMENT_TRANSITIONS[DocumentStatus.APPROVED] == frozenset()
    assert TASK_TRANSITIONS[TaskStatus.COMPLETED] == frozenset()
    assert TASK_TRANSITIONS[TaskStatus.CANCELLED] == frozenset()


def test_a_transition_outside_the_map_is_refused() -> None:
    ensure_transition("document", "received", "in_progress")
    with pytest.raises(InvalidTransition, match="approved cannot become cancelled"):
        ensure_transition("document", "approved", "cancelled")


@pytest.fixture
def setup(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),), editing_allowed=True),
        step(name="Two", rules=(named(bob),)),
    )
    document = received_and_routed(company)
    return active_tasks(document)[0], anna, bob


def _actions(task: Task, employee) -> frozenset[str]:
    task = Task.objects.select_related("document", "step_run").get(pk=task.pk)
    return available_actions(task=task, employee=employee, user=employee.user)


def test_the_assignee_of_an_active_task_may_decide_and_edit_if_the_step_allows(
    setup,
) -> None:
    task, anna, _bob = setup
    assert _actions(task, anna) == frozenset(DECIDER | {"edit"})


def test_without_editing_allowed_there_is_no_edit(setup) -> None:
    task, anna, _bob = setup
    task.step_run.editing_allowed = False
    task.step_run.save()
    assert "edit" not in _actions(task, anna)


def test_an_active_substitute_has_the_same_actions(setup, company) -> None:
    task, anna, _bob = setup
    sara = person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)
    assert _actions(task, sara) == _actions(task, anna)


def test_someone_else_has_no_actions(setup) -> None:
    task, _anna, bob = setup
    assert _actions(task, bob) == frozenset()


def test_the_wrong_login_for_the_employee_has_no_actions(setup) -> None:
    task, anna, bob = setup
    task = Task.objects.select_related("document", "step_run").get(pk=task.pk)
    assert available_actions(task=task, employee=anna, user=bob.user) == frozenset()
    assert available_actions(task=task, employee=None, user=anna.user) == frozenset()


def test_without_the_approver_right_only_comments_remain(setup) -> None:
    task, anna, _bob = setup
    anna.user.memberships.update(approves_purchase_invoices=False)
    assert _actions(task, anna) == {"comment"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (TaskStatus.IN_REVIEW, {"comment", "add_attachment"}),
        (TaskStatus.BLOCKED, {"comment"}),
        (TaskStatus.PLANNED, set()),
        (TaskStatus.COMPLETED, set()),
        (TaskStatus.CANCELLED, set()),
    ],
)
def test_actions_follow_the_task_status(setup, status: str, expected: set[str]) -> None:
    task, anna, _bob = setup
    Task.objects.filter(pk=task.pk).update(status=status)
    assert _actions(task, anna) == expected


def test_a_reviewer_reviews_and_never_decides(setup) -> None:
    task, _anna, bob = setup
    Task.objects.filter(pk=task.pk).update(assignee=bob, kind=TaskKind.REVIEW)
    assert _actions(task, bob) == {"review", "comment", "add_attachment"}


def test_no_actions_once_the_document_is_no_longer_in_progress(setup) -> None:
    task, anna, _bob = setup
    task.document.__class__.objects.filter(pk=task.document_id).update(
        status=DocumentStatus.CANCELLED
    )
    assert _actions(task, anna) == frozenset()


def test_once_the_step_is_complete_the_others_can_only_comment(company) -> None:
    from tests.documents.conftest import approve, task_of

    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna, bob),)))
    document = received_and_routed(company)
    approve(task_of(document, anna))

    assert _actions(task_of(document, bob), bob) == {"comment"}


def test_deciding_lines_is_offered_in_a_line_approval_step_only(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),), line_approval=True))
    document = received_and_routed(
        company, lines=[LineInput(line_number=1, amount=Decimal(10))]
    )
    task = active_tasks(document)[0]

    assert _actions(task, anna) == frozenset(DECIDER | {"decide_lines"})


def test_re_approval_and_recalculation_moves_are_in_the_step_map() -> None:
    assert can_transition("step", S.ACTIVE, S.PLANNED)
    assert can_transition("step", S.COMPLETED, S.PLANNED)
    assert can_transition("step", S.SKIPPED, S.PLANNED)
    assert not can_transition("step", S.COMPLETED, S.ACTIVE)
    assert not can_transition("step", S.CANCELLED, S.PLANNED)


def _document_actions(document, employee, user=None) -> frozenset[str]:
    return available_document_actions(
        document=document.__class__.objects.get(pk=document.pk),
        employee=employee,
        user=user if user is not None else employee.user,
    )


def test_document_actions_follow_the_person_s_tasks_and_role(setup, company) -> None:
    task, anna, bob = setup
    document = task.document
    ada = EmployeeFactory(company=company, with_login=True)
    MembershipFactory(company=company, user=ada.user, admin=True)
    vera = EmployeeFactory(company=company, with_login=True)
    MembershipFactory(company=company, user=vera.user, viewer=True)

    # Anna's active step allows editing; Bob's step is planned: he may only attach.
    assert _document_actions(document, anna) == {"edit", "add_attachment"}
    assert _document_actions(document, bob) == {"add_attachment"}
    assert _document_actions(document, ada) == {"admin_edit", "add_attachment"}
    assert _document_actions(document, None, ada.user) == {
        "admin_edit",
        "add_attachment",
    }
    assert _document_actions(document, vera) == frozenset()
    assert _document_actions(document, anna, bob.user) == frozenset()

    document.__class__.objects.filter(pk=document.pk).update(
        status=DocumentStatus.APPROVED
    )
    assert _document_actions(document, ada) == frozenset()
    assert _document_actions(document, anna) == frozenset()
