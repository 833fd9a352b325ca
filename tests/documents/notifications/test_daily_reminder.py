"""The daily reminder: soon-overdue and overdue tasks, one mail per person, once a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from documents.models import NotificationSent, Task
from documents.notifications.services import daily_reminders_send
from documents.tasks import send_daily_reminders
from orgunits.models import CompanyHoliday, UserPreference
from tests.documents.conftest import person, received_and_routed, task_of
from tests.documents.notifications.conftest import html_of, mails_to
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, SubstitutionFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 11)  # the frozen Wednesday


def _due(task: Task, due: date) -> None:
    Task.objects.filter(pk=task.pk).update(due_date=due)


@pytest.fixture
def anna(company):
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),), days_to_complete=5))
    return anna


def test_one_mail_lists_overdue_and_soon_overdue_tasks_across_companies(
    company, anna
) -> None:
    overdue = task_of(received_and_routed(company, reference="OLD-1"), anna)
    soon = task_of(received_and_routed(company, reference="SOON-1"), anna)
    later = task_of(received_and_routed(company, reference="LATER-1"), anna)
    _due(overdue, TODAY - timedelta(days=2))
    _due(soon, TODAY + timedelta(days=2))  # Friday: within the default 3 days
    _due(later, TODAY + timedelta(days=14))
    other = CompanyFactory(name="Other Ltd")
    anna_there = person(other, "Anna Other", user=anna.user)
    publish_workflow(other, step(rules=(named(anna_there),)))
    there = task_of(received_and_routed(other, reference="THERE-1"), anna_there)
    _due(there, TODAY)

    result = daily_reminders_send()

    assert result.sent == 1
    [message] = mail.outbox
    assert message.to == [anna.user.email]
    assert message.subject == "Reminder: 3 tasks are due soon or overdue"
    for body in (message.body, html_of(message)):
        assert "OLD-1" in body
        assert "SOON-1" in body
        assert "THERE-1" in body
        assert "LATER-1" not in body
        assert "Other Ltd" in body
        assert f"https://signoff.example.com/tasks/{overdue.pk}/" in body
    assert "[OVERDUE]" in message.body
    assert "1 overdue, 2 due soon" in message.body


def test_soon_follows_the_persons_own_days_and_the_company_calendar(
    company, anna
) -> None:
    task = task_of(received_and_routed(company), anna)
    _due(task, date(2026, 3, 16))  # Monday: 3 working days from Wednesday
    UserPreference.objects.create(user=anna.user, soon_overdue_days=2)
    assert daily_reminders_send().sent == 0
    # A holiday on Thursday moves "2 working days" to Monday.
    CompanyHoliday.objects.create(company=company, date=date(2026, 3, 12), name="X")
    NotificationSent.objects.all().delete()
    assert daily_reminders_send().sent == 1


def test_nothing_when_nothing_is_due_and_nothing_for_opted_out_people(
    company, anna
) -> None:
    task = task_of(received_and_routed(company), anna)
    _due(task, TODAY + timedelta(days=20))
    assert daily_reminders_send().sent == 0

    _due(task, TODAY - timedelta(days=1))
    UserPreference.objects.create(user=anna.user, email_daily_reminder=False)
    assert daily_reminders_send().sent == 0
    assert mail.outbox == []


def test_no_address_means_no_mail_and_no_error(company, anna) -> None:
    _due(task_of(received_and_routed(company), anna), TODAY)
    anna.user.email = ""
    anna.user.save(update_fields=["email"])
    anna.email = ""
    anna.save(update_fields=["email"])
    assert daily_reminders_send().sent == 0
    assert mail.outbox == []


def test_postponed_tasks_are_not_reminded_until_the_new_date(company, anna) -> None:
    task = task_of(received_and_routed(company), anna)
    Task.objects.filter(pk=task.pk).update(
        due_date=TODAY - timedelta(days=1), postponed_until=TODAY + timedelta(days=1)
    )
    assert daily_reminders_send().sent == 0


def test_a_substitute_is_reminded_on_behalf_of_the_assignee(company, anna) -> None:
    sam = person(company, "Sam")
    SubstitutionFactory(company=company, principal=anna, substitute=sam)
    _due(task_of(received_and_routed(company), anna), TODAY)

    assert daily_reminders_send().sent == 2
    [message] = mails_to(sam.user.email)
    assert "on behalf of Anna" in message.body


def test_a_second_run_the_same_day_sends_nothing(company, anna, frozen) -> None:
    _due(task_of(received_and_routed(company), anna), TODAY)
    assert send_daily_reminders.run() == 1
    assert send_daily_reminders.run() == 0
    assert len(mail.outbox) == 1
    # The next day is a new reminder.
    frozen.shift(timedelta(days=1))
    assert send_daily_reminders.run() == 1


def _people_with_due_tasks(company, count: int) -> None:
    for n in range(count):
        someone = person(company, f"P{n}")
        publish_workflow(company, step(rules=(named(someone),)))
        _due(task_of(received_and_routed(company, reference=f"R{n}"), someone), TODAY)


def test_queries_do_not_grow_with_the_number_of_recipients(
    company, django_assert_num_queries
) -> None:
    _people_with_due_tasks(company, 2)
    SubstitutionFactory(
        company=company,
        principal=Task.objects.first().assignee,
        substitute=person(company, "Sub"),
    )
    with django_assert_num_queries(8) as few:
        assert daily_reminders_send().sent == 3
    NotificationSent.objects.all().delete()
    mail.outbox.clear()
    _people_with_due_tasks(CompanyFactory(), 6)
    with django_assert_num_queries(len(few.captured_queries)):
        assert daily_reminders_send().sent == 9
