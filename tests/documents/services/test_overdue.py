"""Due dates in working days per company calendar, overdue and soon overdue (DOMAIN §6)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from documents.choices import TaskStatus
from documents.models import Task
from documents.selectors import (
    TaskOverviewFilter,
    task_overview_list,
    task_soon_overdue_list,
)
from documents.services import (
    document_due_date_default,
    document_route,
    working_days_add,
)
from documents.services.common import add_working_days
from orgunits.models import Company, CompanyHoliday
from tests.documents.conftest import (
    approve_and_advance,
    person,
    receive,
    received_and_routed,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

WEDNESDAY = date(2026, 3, 11)
FRIDAY = date(2026, 3, 13)


def holiday(company: Company, day: date, name: str = "Holiday") -> CompanyHoliday:
    return CompanyHoliday.objects.create(company=company, date=day, name=name)


# --- working days -----------------------------------------------------------------------


def test_add_working_days_skips_weekends_and_the_given_holidays() -> None:
    assert add_working_days(FRIDAY, 1) == date(2026, 3, 16)
    assert add_working_days(WEDNESDAY, 5) == date(2026, 3, 18)
    assert add_working_days(WEDNESDAY, 2, {FRIDAY}) == date(2026, 3, 16)
    assert add_working_days(WEDNESDAY, 0) == WEDNESDAY


def test_working_days_use_only_the_company_s_own_holidays(
    company, django_assert_num_queries
) -> None:
    holiday(company, FRIDAY, "Company day")
    holiday(CompanyFactory(), date(2026, 3, 12), "Someone else's")

    with django_assert_num_queries(1):
        due = working_days_add(company_id=company.pk, start=WEDNESDAY, days=2)

    assert due == date(2026, 3, 16)


def test_a_long_closure_is_still_counted_correctly(company) -> None:
    # Closed for the whole of April: far beyond the first window read.
    for day in range(1, 31):
        holiday(company, date(2026, 4, day), "Closed")

    due = working_days_add(company_id=company.pk, start=date(2026, 3, 30), days=5)

    assert due == date(2026, 5, 6)


def test_task_due_date_at_activation_skips_company_holidays(company) -> None:
    """VISMA_RULES §2 r15: working days per approver, per company calendar."""
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),), days_to_complete=2))
    holiday(company, FRIDAY, "Company day")
    document = receive(company)

    document_route(document_id=document.pk, today=WEDNESDAY)

    assert task_of(document, anna).due_date == date(2026, 3, 16)


def test_each_approver_gets_the_full_allowance_from_their_own_activation(
    company,
) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(rules=(named(anna),), days_to_complete=1),
        step(rules=(named(bob),), days_to_complete=3),
    )
    document = receive(company)
    document_route(document_id=document.pk, today=WEDNESDAY)

    with time_machine.travel(date(2026, 3, 16), tick=False):
        approve_and_advance(task_of(document, anna))

    assert task_of(document, bob).due_date == date(2026, 3, 19)


# --- the document due date default ------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "received", "due"),
    [
        (20, date(2026, 3, 11), date(2026, 3, 20)),  # later this month
        (20, date(2026, 3, 20), date(2026, 3, 20)),  # on the day itself
        (10, date(2026, 3, 11), date(2026, 4, 10)),  # passed: next month
        (31, date(2026, 2, 10), date(2026, 2, 28)),  # 31 = last day of February
        (31, date(2028, 2, 10), date(2028, 2, 29)),  # leap year
        (31, date(2026, 4, 10), date(2026, 4, 30)),  # a 30-day month
        (30, date(2026, 1, 31), date(2026, 2, 28)),  # the next month is shorter
        (5, date(2026, 12, 20), date(2027, 1, 5)),  # over the year end
    ],
)
def test_monthly_deadline_day(day: int, received: date, due: date) -> None:
    """VISMA_RULES §1.11: a monthly deadline day, 31 = last day in shorter months."""
    company = CompanyFactory(document_due_day_of_month=day)

    assert document_due_date_default(company=company, received_on=received) == due


def test_days_after_receipt() -> None:
    company = CompanyFactory(document_due_after_days=14)

    assert document_due_date_default(company=company, received_on=WEDNESDAY) == date(
        2026, 3, 25
    )


def test_no_default_means_no_due_date(company) -> None:
    assert document_due_date_default(company=company, received_on=WEDNESDAY) is None


def test_receive_applies_the_company_default_when_the_erp_sends_no_due_date() -> None:
    company = CompanyFactory(document_due_after_days=30)

    with time_machine.travel(date(2026, 3, 11), tick=False):
        defaulted = receive(company, reference="A")
        from_erp = receive(company, reference="B", due_date=date(2026, 4, 1))

    assert defaulted.due_date == date(2026, 4, 10)
    # The ERP's own due date wins (VISMA_RULES §2 r15).
    assert from_erp.due_date == date(2026, 4, 1)


def test_a_company_has_at_most_one_due_date_default() -> None:
    company = CompanyFactory.build(
        code="both", document_due_day_of_month=20, document_due_after_days=30
    )
    with pytest.raises(ValidationError, match="company_one_document_due_default"):
        company.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        company.save()


@pytest.mark.parametrize("day", [0, 32])
def test_the_monthly_deadline_day_is_a_day_of_the_month(day: int) -> None:
    company = CompanyFactory.build(code="bad", document_due_day_of_month=day)
    with pytest.raises(ValidationError, match="document_due_day_of_month"):
        company.full_clean()


def test_one_holiday_per_company_and_date(company) -> None:
    holiday(company, FRIDAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        holiday(company, FRIDAY, "Again")
    holiday(CompanyFactory(), FRIDAY)


# --- overdue and soon overdue -----------------------------------------------------------


@pytest.fixture
def anna_tasks(company) -> dict[str, Task]:
    """Anna's active tasks due on different days, and one completed, seen on 16 March."""
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),), days_to_complete=1))
    tasks: dict[str, Task] = {}
    for name, routed_on in (
        ("overdue", date(2026, 3, 11)),  # due 12 March
        ("due_today", date(2026, 3, 13)),  # due 16 March
        ("due_tomorrow", date(2026, 3, 16)),  # due 17 March
        ("due_friday", date(2026, 3, 19)),  # due 20 March
        ("done", date(2026, 3, 11)),
    ):
        document = receive(company, reference=name)
        document_route(document_id=document.pk, today=routed_on)
        tasks[name] = task_of(document, anna)
    approve_and_advance(tasks["done"])
    tasks["done"].refresh_from_db()
    return tasks


def test_overdue_is_active_and_past_the_due_date(anna_tasks) -> None:
    today = date(2026, 3, 16)

    overdue = set(Task.objects.overdue(today).values_list("pk", flat=True))

    assert overdue == {anna_tasks["overdue"].pk}
    assert anna_tasks["done"].status == TaskStatus.COMPLETED
    with time_machine.travel(today, tick=False):
        assert anna_tasks["overdue"].is_overdue
        assert not anna_tasks["due_today"].is_overdue


def test_soon_overdue_counts_the_person_s_warning_days_in_working_days(
    company, anna_tasks
) -> None:
    def soon(days: int, today: date) -> set[str]:
        found = set(
            task_soon_overdue_list(company=company, days=days, today=today).values_list(
                "pk", flat=True
            )
        )
        return {name for name, task in anna_tasks.items() if task.pk in found}

    # Seen on Monday 16 March: due today counts, overdue ones do not.
    assert soon(0, date(2026, 3, 16)) == {"due_today"}
    assert soon(4, date(2026, 3, 16)) == {"due_today", "due_tomorrow", "due_friday"}
    # Seen on Friday 13 March: one working day ahead is Monday, not Saturday.
    assert soon(1, FRIDAY) == {"due_today"}
    # A company holiday on Monday pushes the window to Tuesday.
    holiday(company, date(2026, 3, 16))
    assert soon(1, FRIDAY) == {"due_today", "due_tomorrow"}


def test_soon_overdue_for_one_person(company, anna_tasks) -> None:
    other = person(company, "Otto")

    assert not task_soon_overdue_list(
        company=company, days=5, assignee=other, today=date(2026, 3, 16)
    ).exists()
    assert task_soon_overdue_list(
        company=company,
        days=5,
        assignee=anna_tasks["due_today"].assignee,
        today=date(2026, 3, 16),
    ).exists()


# --- the administrators' task overview --------------------------------------------------


def test_task_overview_filters(company, anna_tasks) -> None:
    blocked_person = person(company, "Nils", rights=())
    publish_workflow(company, step(rules=(named(blocked_person),)))
    blocked = Task.objects.get(document=received_and_routed(company, reference="blk"))

    def listed(status: str | None) -> set[int]:
        return set(
            task_overview_list(
                company=company, status=status, today=date(2026, 3, 16)
            ).values_list("pk", flat=True)
        )

    waiting = {
        anna_tasks[name].pk
        for name in ("overdue", "due_today", "due_tomorrow", "due_friday")
    }
    assert listed(None) == listed(TaskOverviewFilter.ACTIVE) == {*waiting, blocked.pk}
    assert listed(TaskOverviewFilter.OVERDUE) == {anna_tasks["overdue"].pk}
    assert listed(TaskOverviewFilter.BLOCKED) == {blocked.pk}
    # A completed task waits for nobody.
    assert anna_tasks["done"].pk not in listed(None)
    assert not task_overview_list(company=CompanyFactory()).exists()


def test_task_overview_is_one_query(company, anna_tasks, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(task_overview_list(company=company))
        for row in rows:
            _ = (row.document.erp_reference, row.assignee.name, row.step_run.name)
    assert len(rows) == 4


def test_task_overview_refuses_an_unknown_filter(company) -> None:
    with pytest.raises(ValueError, match="is not a valid TaskOverviewFilter"):
        task_overview_list(company=company, status="planned")
