"""The new-task e-mail: on commit, once per task and person, opt-in, in text and HTML."""

from __future__ import annotations

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction

from documents.models import NotificationKind, NotificationSent, Task
from documents.notifications.services import new_task_emails_send
from documents.services import task_forward, task_request_review
from documents.services.admin_actions import tasks_reassign
from documents.tasks import send_new_task_emails
from orgunits.models import UserPreference
from tests.documents.conftest import (
    current,
    person,
    receive,
    received_and_routed,
    route,
    sent_tasks,
    task_of,
)
from tests.documents.notifications.conftest import html_of, mails_to
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import MembershipFactory, SubstitutionFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(company):
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    publish_workflow(
        company,
        step(name="Managers", rules=(named(anna, bob),), days_to_complete=5),
        step(name="CFO", rules=(named(carl),)),
    )
    return anna, bob, carl


def _queued_ids(callbacks) -> list[int]:
    """The task ids the captured on-commit callbacks queue for the new-task mail."""
    ids: list[int] = []
    for name, args in sent_tasks(callbacks):
        if name == "documents.send_new_task_emails":
            ids.extend(args[0])
    return ids


def test_routing_queues_the_mail_on_commit_for_every_activated_task(
    company, people, django_capture_on_commit_callbacks
) -> None:
    anna, bob, _carl = people
    document = receive(company)
    with django_capture_on_commit_callbacks() as callbacks:
        route(document)
    assert sorted(_queued_ids(callbacks)) == sorted(
        [task_of(document, anna).pk, task_of(document, bob).pk]
    )
    # Queued, not sent: the transaction is the worker's business, not the request's.
    assert mail.outbox == []


def test_nothing_is_queued_when_the_transaction_rolls_back(
    company, people, django_capture_on_commit_callbacks
) -> None:
    document = receive(company)

    def route_then_fail() -> None:
        with transaction.atomic():
            route(document)
            raise RuntimeError("rolled back")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        route_then_fail()
    assert callbacks == []
    assert not Task.objects.filter(document=document).exists()
    assert mail.outbox == []


def test_each_assignee_gets_one_mail_with_what_whom_amount_due_and_link(
    company, people
) -> None:
    anna, bob, carl = people
    document = received_and_routed(company, reference="004711", gross="1250.00")
    task = task_of(document, anna)

    result = new_task_emails_send(task_ids=[task.pk, task_of(document, bob).pk])

    assert result.sent == 2
    [message] = mails_to(anna.user.email)
    assert len(mails_to(bob.user.email)) == 1
    assert mails_to(carl.user.email) == []  # a later step: not yet a task
    assert "New task" in message.subject
    assert "004711" in message.subject
    assert "Acme AS" in message.subject
    assert "1,250.00" in message.subject
    link = f"https://signoff.example.com/tasks/{task.pk}/"
    for body in (message.body, html_of(message)):
        assert "Acme AS" in body
        assert "1,250.00" in body
        assert "03/18/2026" in body  # five working days after Wednesday 11 March
        assert link in body
        assert "Managers" in body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_each_further_mail_costs_only_its_own_claim(
    company, people, django_assert_num_queries
) -> None:
    """No lazy load per task or person (a deferred column read back, a relation):
    beyond the shared reads, a mail costs the savepoint, insert and release that
    claim it, so one failed send releases only its own claim."""
    anna, bob, _carl = people
    first = received_and_routed(company, reference="A-1")
    second = received_and_routed(company, reference="A-2")

    one = [task_of(first, anna).pk]
    two = [task_of(second, anna).pk, task_of(second, bob).pk]

    # Tasks with their joins, substitutes, preferences; then the claim.
    with django_assert_num_queries(3 + 3):
        new_task_emails_send(task_ids=one)
    with django_assert_num_queries(3 + 2 * 3):
        new_task_emails_send(task_ids=two)
    assert len(mails_to(anna.user.email)) == 2
    assert len(mails_to(bob.user.email)) == 1


def test_a_retried_task_sends_nothing_twice(company, people) -> None:
    anna, bob, _carl = people
    document = received_and_routed(company)
    ids = [task_of(document, anna).pk, task_of(document, bob).pk]

    assert send_new_task_emails.run(ids) == 2
    assert send_new_task_emails.run(ids) == 0
    assert len(mail.outbox) == 2
    assert NotificationSent.objects.filter(kind=NotificationKind.NEW_TASK).count() == 2


def test_opted_out_people_and_people_without_address_get_nothing(
    company, people
) -> None:
    anna, bob, _carl = people
    UserPreference.objects.create(user=anna.user, email_new_task=False)
    bob.user.email = ""
    bob.user.save(update_fields=["email"])
    bob.email = ""
    bob.save(update_fields=["email"])
    document = received_and_routed(company)

    result = new_task_emails_send(
        task_ids=[task_of(document, anna).pk, task_of(document, bob).pk]
    )

    assert result.sent == 0
    assert mail.outbox == []


def test_the_erp_address_is_used_when_the_login_has_none(company, people) -> None:
    anna, _bob, _carl = people
    anna.user.email = ""
    anna.user.save(update_fields=["email"])
    document = received_and_routed(company)

    new_task_emails_send(task_ids=[task_of(document, anna).pk])

    assert [m.to for m in mail.outbox] == [[anna.email]]


def test_a_task_no_longer_waiting_is_not_news(company, people) -> None:
    anna, _bob, _carl = people
    document = received_and_routed(company)
    task = task_of(document, anna)
    Task.objects.filter(pk=task.pk).update(status=Task.Status.CANCELLED)

    assert new_task_emails_send(task_ids=[task.pk]).sent == 0
    assert mail.outbox == []


def test_an_active_substitute_is_told_on_behalf_of_the_assignee(
    company, people
) -> None:
    anna, _bob, _carl = people
    sam = person(company, "Sam")
    SubstitutionFactory(company=company, principal=anna, substitute=sam)
    document = received_and_routed(company)

    new_task_emails_send(task_ids=[task_of(document, anna).pk])

    assert len(mails_to(anna.user.email)) == 1
    [message] = mails_to(sam.user.email)
    assert "on behalf of Anna" in message.body
    assert "on behalf of Anna" in html_of(message)


def test_forward_review_and_reassign_queue_the_mail_and_say_why(
    company, people, django_capture_on_commit_callbacks
) -> None:
    anna, bob, carl = people
    dave = person(company, "Dave")
    document = received_and_routed(company)
    task = task_of(document, anna)

    with django_capture_on_commit_callbacks() as callbacks:
        forwarded = task_forward(
            task_id=task.pk,
            employee=anna,
            user=anna.user,
            expected_version=current(document).version,
            to_employee=dave,
        )
    assert _queued_ids(callbacks) == [forwarded.pk]
    new_task_emails_send(task_ids=[forwarded.pk])
    assert "Anna forwarded this task to you." in mails_to(dave.user.email)[0].body

    with django_capture_on_commit_callbacks() as callbacks:
        review = task_request_review(
            task_id=task_of(document, bob).pk,
            employee=bob,
            user=bob.user,
            expected_version=current(document).version,
            reviewer=carl,
        )
    assert _queued_ids(callbacks) == [review.pk]
    new_task_emails_send(task_ids=[review.pk])
    [message] = mails_to(carl.user.email)
    assert message.subject.startswith("Review requested")
    assert "Bob asks for your review" in message.body

    admin = MembershipFactory(company=company, admin=True).user
    with django_capture_on_commit_callbacks() as callbacks:
        [reassigned] = tasks_reassign(
            task_ids=[forwarded.pk],
            to_employee=anna,
            admin_user=admin,
            comment="Back to Anna.",
        )
    assert _queued_ids(callbacks) == [reassigned.pk]
    new_task_emails_send(task_ids=[reassigned.pk])
    assert "reassigned this task to you from Dave" in mails_to(anna.user.email)[0].body


def test_a_failed_send_is_released_and_retried_without_duplicates(
    company, people
) -> None:
    anna, bob, _carl = people
    document = received_and_routed(company)
    ids = [task_of(document, anna).pk, task_of(document, bob).pk]
    real_send = mail.EmailMultiAlternatives.send

    def flaky(self, *args, **kwargs):
        if anna.user.email in self.to:
            raise smtplib.SMTPServerDisconnected("gone")
        return real_send(self, *args, **kwargs)

    with mock.patch.object(mail.EmailMultiAlternatives, "send", flaky):
        first = new_task_emails_send(task_ids=ids)
    assert (first.sent, first.failed) == (1, 1)
    assert not NotificationSent.objects.filter(user=anna.user).exists()

    second = new_task_emails_send(task_ids=ids)
    assert (second.sent, second.already_sent) == (1, 1)
    assert len(mails_to(anna.user.email)) == 1
    assert len(mails_to(bob.user.email)) == 1


def test_the_celery_task_retries_when_a_mail_failed(company, people) -> None:
    anna, _bob, _carl = people
    document = received_and_routed(company)
    with (
        mock.patch.object(
            mail.EmailMultiAlternatives,
            "send",
            side_effect=smtplib.SMTPServerDisconnected("gone"),
        ),
        mock.patch.object(send_new_task_emails, "retry", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        send_new_task_emails.run([task_of(document, anna).pk])
