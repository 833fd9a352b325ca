"""task_request_review and task_review: an opinion is asked, the approver decides."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import TaskKind, TaskOrigin, TaskStatus
from documents.models import Comment, Decision, HistoryEvent, Task
from documents.selectors import task_list_for_user
from documents.services import task_request_review, task_review
from documents.transitions import available_actions
from orgunits.models import Employee
from tests.documents.conftest import (
    advance,
    approve,
    current,
    person,
    received_and_routed,
    reject,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    EmployeeFactory,
    MembershipFactory,
    SubstitutionFactory,
)
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    # Reviewers need no approver right, only a login in the company.
    rolf = EmployeeFactory(company=company, name="Rolf", with_login=True)
    MembershipFactory(company=company, user=rolf.user)
    publish_workflow(company, step(name="Managers", rules=(named(anna, bob),)))
    return received_and_routed(company), anna, bob, rolf


def request(task: Task, reviewer: Employee, *, actor: Employee | None = None, **kw):
    actor = actor or task.assignee
    return task_request_review(
        task_id=task.pk,
        employee=actor,
        user=actor.user,
        expected_version=kw.pop("version", current(task.document).version),
        reviewer=reviewer,
        **kw,
    )


def answer(review: Task, comment: str = "Prices match the contract.") -> Task:
    return task_review(
        task_id=review.pk,
        employee=review.assignee,
        user=review.assignee.user,
        comment=comment,
    )


def _unchanged(task: Task, before: int) -> None:
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert not Task.objects.filter(kind=TaskKind.REVIEW).exists()
    assert HistoryEvent.objects.count() == before


def test_request_review_puts_the_task_in_review_and_gives_the_reviewer_a_task(
    setup,
) -> None:
    document, anna, _bob, rolf = setup
    task = task_of(document, anna)
    version = current(document).version

    review = request(task, rolf, comment="Rolf, is the price right?")

    task.refresh_from_db()
    assert task.status == TaskStatus.IN_REVIEW
    review.refresh_from_db()
    assert (review.assignee, review.kind, review.origin, review.status) == (
        rolf,
        TaskKind.REVIEW,
        TaskOrigin.REVIEW,
        TaskStatus.ACTIVE,
    )
    assert review.review_of == task
    assert review.due_date is not None
    # The task leaves the approver's list while the reviewer's one shows the review.
    assert list(task_list_for_user(user=anna.user)) == []
    assert list(task_list_for_user(user=rolf.user)) == [review]
    actions = list(
        HistoryEvent.objects.filter(document=document)
        .order_by("pk")
        .values_list("action", flat=True)
    )[-3:]
    assert actions == [
        "documents.task.request_review",
        "documents.task.create",
        "documents.comment.add",
    ]
    assert Comment.objects.get().text == "Rolf, is the price right?"
    assert current(document).version == version


def test_the_reviewer_comments_and_the_task_returns_to_the_approver(setup) -> None:
    document, anna, _bob, rolf = setup
    task = task_of(document, anna)
    review = request(task, rolf)

    done = answer(review, "  Prices match the contract.  ")

    assert (done.status, done.closed_reason) == (TaskStatus.COMPLETED, "reviewed")
    task.refresh_from_db()
    assert task.status == TaskStatus.ACTIVE
    comment = Comment.objects.get(document=document)
    assert (comment.author, comment.text) == (rolf, "Prices match the contract.")
    # A review is no decision: the approver still decides.
    assert not Decision.objects.exists()
    rows = list(HistoryEvent.objects.filter(document=document).order_by("pk"))[-3:]
    assert [r.action for r in rows] == [
        "documents.comment.add",
        "documents.task.review",
        "documents.task.review_return",
    ]
    assert rows[1].data == {
        "task": review.pk,
        "review_of": task.pk,
        "comment": comment.pk,
    }
    assert len({r.group for r in rows}) == 1
    approve(task_of(document, anna))
    assert Decision.objects.get().decided_by == anna


def test_a_review_needs_a_comment(setup) -> None:
    document, anna, _bob, rolf = setup
    review = request(task_of(document, anna), rolf)

    with pytest.raises(ValidationError, match="A review needs a comment"):
        answer(review, "   ")

    assert Task.objects.get(pk=review.pk).status == TaskStatus.ACTIVE
    assert Task.objects.get(pk=review.review_of_id).status == TaskStatus.IN_REVIEW


def test_the_reviewer_cannot_approve_or_reject(setup) -> None:
    document, anna, _bob, rolf = setup
    review = request(task_of(document, anna), rolf)
    review = Task.objects.select_related("document", "step_run").get(pk=review.pk)

    assert available_actions(task=review, employee=rolf, user=rolf.user) == {
        "review",
        "comment",
        "add_attachment",
    }
    with pytest.raises(InvalidTransition, match="You cannot approve this task now"):
        approve(review)
    with pytest.raises(InvalidTransition, match="You cannot reject this task now"):
        reject(review)
    assert not Decision.objects.exists()


def test_the_approver_cannot_decide_while_the_task_is_in_review(setup) -> None:
    document, anna, _bob, rolf = setup
    task = task_of(document, anna)
    request(task, rolf)

    with pytest.raises(InvalidTransition, match="You cannot approve this task now"):
        approve(Task.objects.get(pk=task.pk))


def test_only_the_reviewer_answers_the_review(setup) -> None:
    document, anna, bob, rolf = setup
    review = request(task_of(document, anna), rolf)

    with pytest.raises(InvalidTransition, match="You cannot review this task now"):
        task_review(task_id=review.pk, employee=bob, user=bob.user, comment="Fine")

    assert Task.objects.get(pk=review.pk).status == TaskStatus.ACTIVE


def test_a_review_is_answered_once(setup) -> None:
    document, anna, _bob, rolf = setup
    review = request(task_of(document, anna), rolf)
    answer(review)

    with pytest.raises(InvalidTransition, match="This task is already completed"):
        answer(review)

    assert Comment.objects.count() == 1


def test_review_requests_to_yourself_are_refused(setup) -> None:
    document, anna, _bob, _rolf = setup
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(ValidationError, match="You cannot ask yourself for a review"):
        request(task, anna)

    _unchanged(task, before)


def test_a_substitute_cannot_ask_the_assignee_either(setup, company) -> None:
    document, anna, _bob, _rolf = setup
    sara = person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(ValidationError, match="You cannot ask yourself for a review"):
        request(task, anna, actor=sara)

    _unchanged(task, before)


def test_review_requests_to_the_requester_are_refused(company) -> None:
    anna, rita = person(company, "Anna"), person(company, "Rita")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company, requester_number=rita.number)
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(
        ValidationError, match="The requester cannot review their own document"
    ):
        request(task, rita)

    _unchanged(task, before)


def test_a_reviewer_without_a_login_in_the_company_is_refused(setup) -> None:
    document, anna, _bob, _rolf = setup
    nobody = EmployeeFactory(company=document.company, name="Nils")
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(
        ValidationError, match="Nils cannot review documents in this company"
    ):
        request(task, nobody)

    _unchanged(task, before)


def test_one_open_review_per_reviewer_and_step(setup) -> None:
    document, anna, bob, rolf = setup
    request(task_of(document, anna), rolf)
    task = task_of(document, bob)

    with pytest.raises(
        ValidationError, match="Rolf already has a review open in this step"
    ):
        request(task, rolf)

    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert Task.objects.filter(kind=TaskKind.REVIEW).count() == 1


def test_request_review_from_a_stale_page_is_refused(setup) -> None:
    document, anna, _bob, rolf = setup
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(StaleVersion):
        request(task, rolf, version=current(document).version - 1)

    _unchanged(task, before)


def test_when_the_step_completes_meanwhile_the_review_is_closed_too(setup) -> None:
    document, anna, bob, rolf = setup
    review = request(task_of(document, anna), rolf)
    approve(task_of(document, bob))
    advance(document)

    assert Task.objects.get(pk=review.pk).status == TaskStatus.CANCELLED
    with pytest.raises(InvalidTransition, match="This task is already cancelled"):
        answer(review)
