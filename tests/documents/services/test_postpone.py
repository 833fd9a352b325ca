"""task_postpone: no reminders until a new date, which becomes the due date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.exceptions import InvalidTransition
from documents.models import HistoryEvent, Task
from documents.services import task_postpone
from orgunits.models import Employee
from tests.documents.conftest import approve, person, received_and_routed, task_of
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import SubstitutionFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 11)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel("2026-03-11 10:00 +01:00", tick=False):
        yield


@pytest.fixture
def setup(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna, bob),), days_to_complete=5))
    return received_and_routed(company), anna, bob


def postpone(task: Task, until: date, actor: Employee | None = None) -> Task:
    actor = actor or task.assignee
    return task_postpone(task_id=task.pk, employee=actor, user=actor.user, until=until)


def test_postpone_moves_the_due_date_and_stops_reminders_until_then(setup) -> None:
    document, anna, _bob = setup
    task = task_of(document, anna)
    assert task.due_date == date(2026, 3, 18)

    result = postpone(task, date(2026, 4, 1))

    task.refresh_from_db()
    assert (task.postponed_until, task.due_date) == (date(2026, 4, 1), date(2026, 4, 1))
    assert task.status == "active"
    assert task.version == result.version
    event = HistoryEvent.objects.get(action="documents.task.postpone")
    assert event.data == {
        "task": task.pk,
        "due_date_before": "2026-03-18",
        "until": "2026-04-01",
    }
    assert event.actor_label == f"Anna ({anna.number})"


@pytest.mark.parametrize("until", [TODAY, date(2026, 3, 10)])
def test_postpone_needs_a_date_after_today(setup, until: date) -> None:
    document, anna, _bob = setup
    task = task_of(document, anna)

    with pytest.raises(ValidationError, match="Choose a date after today"):
        postpone(task, until)

    task.refresh_from_db()
    assert (task.postponed_until, task.due_date) == (None, date(2026, 3, 18))
    assert not HistoryEvent.objects.filter(action="documents.task.postpone").exists()


def test_someone_else_cannot_postpone_the_task(setup) -> None:
    document, anna, bob = setup
    with pytest.raises(InvalidTransition, match="You cannot postpone this task now"):
        postpone(task_of(document, anna), date(2026, 4, 1), actor=bob)
    assert Task.objects.get(assignee=anna).postponed_until is None


def test_a_substitute_postpones_on_behalf_of_the_assignee(setup, company) -> None:
    document, anna, _bob = setup
    sara = person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)

    postpone(task_of(document, anna), date(2026, 4, 1), actor=sara)

    event = HistoryEvent.objects.get(action="documents.task.postpone")
    assert event.on_behalf_of_label == f"Anna ({anna.number})"


def test_a_decided_task_cannot_be_postponed(setup) -> None:
    document, anna, _bob = setup
    task = task_of(document, anna)
    approve(task)

    with pytest.raises(InvalidTransition, match="This task is already completed"):
        postpone(Task.objects.get(pk=task.pk), date(2026, 4, 1))
