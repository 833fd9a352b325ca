"""task_forward: the task and the decision move to another approver of the type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import StepRunStatus, TaskOrigin, TaskStatus
from documents.models import Comment, Decision, HistoryEvent, StepRun, Task
from documents.services import task_forward
from orgunits.models import DocumentType, Employee
from tests.documents.conftest import (
    advance,
    approve,
    current,
    person,
    received_and_routed,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import EmployeeFactory, SubstitutionFactory
from tests.factories.workflows import named, step
from workflows.models import CompletionPolicy

pytestmark = pytest.mark.django_db

# A Wednesday in Oslo: five working days later is the next Wednesday.
WEDNESDAY = "2026-03-11 10:00 +01:00"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(WEDNESDAY, tick=False):
        yield


@pytest.fixture
def setup(company):
    anna, bob, carl, dave = (
        person(company, n) for n in ("Anna", "Bob", "Carl", "Dave")
    )
    publish_workflow(
        company,
        step(name="Managers", rules=(named(anna, bob),), days_to_complete=5),
        step(name="CFO", rules=(named(dave),)),
    )
    return received_and_routed(company), anna, bob, carl


def forward(task: Task, to: Employee, *, actor: Employee | None = None, **kw) -> Task:
    actor = actor or task.assignee
    return task_forward(
        task_id=task.pk,
        employee=actor,
        user=actor.user,
        expected_version=kw.pop("version", current(task.document).version),
        to_employee=to,
        **kw,
    )


def _nothing_changed(task: Task, history_before: int) -> None:
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert not Task.objects.filter(origin=TaskOrigin.FORWARD).exists()
    assert HistoryEvent.objects.count() == history_before


def test_forward_hands_the_task_to_another_approver_with_a_fresh_due_date(
    setup,
) -> None:
    document, anna, _bob, carl = setup
    task = task_of(document, anna)
    version = current(document).version

    new = forward(task, carl, comment=" Carl knows this supplier. ")

    old = Task.objects.get(pk=task.pk)
    assert (old.status, old.closed_reason) == (TaskStatus.CANCELLED, "forwarded")
    assert old.closed_at is not None
    new.refresh_from_db()
    assert new.assignee == carl
    assert (new.status, new.origin, new.kind) == (
        TaskStatus.ACTIVE,
        "forward",
        "approval",
    )
    assert new.forwarded_from == old
    assert new.step_run_id == old.step_run_id
    assert new.due_date == date(2026, 3, 18)
    assert (new.rule, new.source) == ("forward", f"forwarded by Anna ({anna.number})")
    assert Comment.objects.get(document=document).text == "Carl knows this supplier."
    rows = list(HistoryEvent.objects.filter(document=document).order_by("pk"))[-3:]
    assert [r.action for r in rows] == [
        "documents.task.forward",
        "documents.task.create",
        "documents.comment.add",
    ]
    assert len({r.group for r in rows}) == 1
    assert rows[0].data == {
        "task": old.pk,
        "to_task": new.pk,
        "step": 1,
        "from": f"Anna ({anna.number})",
        "to": f"Carl ({carl.number})",
        "comment": "Carl knows this supplier.",
    }
    assert rows[1].data["forwarded_from"] == old.pk
    # Not a change of the document: the other approver's page stays valid.
    assert current(document).version == version


def test_the_recipient_decides_and_the_forwarded_task_is_gone(setup) -> None:
    document, anna, _bob, carl = setup
    task = task_of(document, anna)
    new = forward(task, carl)

    with pytest.raises(InvalidTransition, match="This task is already cancelled"):
        approve(Task.objects.get(pk=task.pk))
    approve(new)
    advance(document)

    assert Decision.objects.get().decided_by == carl
    first = StepRun.objects.get(process__document=document, position=1)
    assert first.status == StepRunStatus.COMPLETED


def test_forward_needs_the_approver_right_for_the_type(setup, company) -> None:
    document, anna, _bob, _carl = setup
    timesheets_only = person(company, "Tim", rights=(DocumentType.TIME_SHEET,))
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(
        ValidationError, match="Tim does not hold the approver right for purchase"
    ):
        forward(task, timesheets_only)

    _nothing_changed(task, before)


def test_forward_to_an_inactive_approver_is_refused(setup) -> None:
    document, anna, _bob, carl = setup
    carl.active = False
    carl.save(update_fields=["active"])
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(ValidationError, match="Carl is inactive"):
        forward(task, carl)

    _nothing_changed(task, before)


def test_forward_to_an_employee_of_another_company_is_refused(setup) -> None:
    document, anna, _bob, _carl = setup
    outsider = EmployeeFactory(name="Otto", rights=[DocumentType.PURCHASE_INVOICE])
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(ValidationError, match="Otto does not hold the approver right"):
        forward(task, outsider)

    _nothing_changed(task, before)


def test_forward_to_the_requester_is_refused(company) -> None:
    anna, rita = person(company, "Anna"), person(company, "Rita")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company, requester_number=rita.number)
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(
        ValidationError, match="The requester cannot approve their own document"
    ):
        forward(task, rita)

    _nothing_changed(task, before)


def test_forward_to_someone_with_an_open_task_in_this_step_is_refused(setup) -> None:
    document, anna, bob, _carl = setup
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(ValidationError, match="Bob already has a task in this step"):
        forward(task, bob)

    _nothing_changed(task, before)


def test_forward_to_someone_who_already_approved_in_this_step_is_refused(
    company,
) -> None:
    """One person, one approval: an "all" step cannot collect two from Bob."""
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company, step(rules=(named(anna, bob),), completion_policy=CompletionPolicy.ALL)
    )
    document = received_and_routed(company)
    approve(task_of(document, bob))
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(ValidationError, match="Bob already has a task in this step"):
        forward(task, bob)

    _nothing_changed(task, before)


def test_forward_from_a_stale_page_is_refused(setup) -> None:
    document, anna, _bob, carl = setup
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(StaleVersion, match="The document changed since you opened it"):
        forward(task, carl, version=current(document).version - 1)

    _nothing_changed(task, before)


def test_someone_else_cannot_forward_the_task(setup) -> None:
    document, anna, _bob, carl = setup
    task = task_of(document, anna)
    before = HistoryEvent.objects.count()

    with pytest.raises(InvalidTransition, match="You cannot forward this task now"):
        forward(task, carl, actor=carl)

    _nothing_changed(task, before)


def test_a_substitute_forwards_on_behalf_of_the_assignee(setup, company) -> None:
    document, anna, _bob, carl = setup
    sara = person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)

    new = forward(task_of(document, anna), carl, actor=sara)

    assert new.assignee == carl
    event = HistoryEvent.objects.get(action="documents.task.forward")
    assert event.actor_label == f"Sara ({sara.number})"
    assert event.on_behalf_of_label == f"Anna ({anna.number})"


def test_forward_in_a_step_that_is_already_complete_is_refused(setup) -> None:
    document, anna, bob, carl = setup
    approve(task_of(document, anna))
    task = task_of(document, bob)

    with pytest.raises(InvalidTransition, match="This step is already complete"):
        forward(task, carl)

    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


def test_a_too_long_comment_is_refused(setup) -> None:
    document, anna, _bob, carl = setup
    task = task_of(document, anna)
    with pytest.raises(ValidationError, match="at most 5000 characters"):
        forward(task, carl, comment="x" * 5001)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
