"""The periodic overview: open tasks per company and the oldest ones, to those who asked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from documents.models import Task
from documents.notifications.services import overviews_send
from documents.tasks import send_overviews
from orgunits.models import UserPreference
from tests.documents.conftest import person, received_and_routed, task_of
from tests.documents.notifications.conftest import html_of
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 11)


@pytest.fixture
def anna(company):
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),), days_to_complete=5))
    return anna


def test_counts_per_company_and_the_oldest_tasks_to_those_who_asked(
    company, anna, frozen
) -> None:
    UserPreference.objects.create(user=anna.user, email_overview=True)
    tasks = []
    for n in range(7):
        tasks.append(task_of(received_and_routed(company, reference=f"R{n}"), anna))
        frozen.shift(timedelta(hours=1))
    Task.objects.filter(pk=tasks[0].pk).update(due_date=TODAY - timedelta(days=1))
    other = CompanyFactory(name="Other Ltd")
    anna_there = person(other, "Anna O", user=anna.user)
    publish_workflow(other, step(rules=(named(anna_there),)))
    received_and_routed(other, reference="THERE")
    # Bob did not ask for the overview.
    bob = person(company, "Bob")
    publish_workflow(company, step(rules=(named(bob),)))
    received_and_routed(company, reference="BOB-1")

    result = overviews_send()

    assert result.sent == 1
    [message] = mail.outbox
    assert message.to == [anna.user.email]
    assert message.subject == "Overview: 8 open tasks"
    assert f"{company.name}: 7 open, 1 overdue, 0 due soon" in message.body
    assert "Other Ltd: 1 open, 0 overdue, 0 due soon" in message.body
    oldest = message.body.split("The oldest ones:")[1]
    assert all(f"R{n}" in oldest for n in range(5))
    assert "R5" not in oldest
    assert "R6" not in oldest
    assert "THERE" not in oldest
    html = html_of(message)
    assert "Other Ltd" in html
    assert "R0" in html
    assert "BOB-1" not in message.body


def test_nobody_asked_or_nothing_open_means_no_mail(company, anna) -> None:
    received_and_routed(company)
    assert overviews_send().sent == 0  # the overview is off by default
    UserPreference.objects.create(user=anna.user, email_overview=True)
    Task.objects.update(status=Task.Status.COMPLETED)
    assert overviews_send().sent == 0
    assert mail.outbox == []


def test_a_repeated_run_the_same_day_sends_nothing(company, anna) -> None:
    UserPreference.objects.create(user=anna.user, email_overview=True)
    received_and_routed(company)
    assert send_overviews.run() == 1
    assert send_overviews.run() == 0
    assert len(mail.outbox) == 1
