"""Who gets which e-mail, and the tasks and blocks each one lists (DOMAIN §6).

Every function reads in a fixed number of queries whatever the number of people or
tasks: the people's preferences, their substitutes and the company calendars are each
loaded once, and the per-person work is done in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from documents.choices import DocumentStatus, TaskKind, TaskStatus
from documents.models import Task
from documents.services.calendar import working_days_add
from documents.services.common import add_working_days
from orgunits.models import (
    CompanyHoliday,
    Employee,
    Substitution,
    UserPreference,
)

#: soon_overdue_days is at most 30 working days (UserPreference constraint); the
#: holiday window read once for all companies covers that with room to spare.
_MAX_SOON_DAYS = 30
_HOLIDAY_WINDOW = timedelta(days=_MAX_SOON_DAYS * 2 + 60)


@dataclass(frozen=True)
class Recipient:
    """One person to mail, with the address and language to use."""

    user: AbstractBaseUser
    address: str
    language: str
    preference: UserPreference


@dataclass(frozen=True)
class TaskItem:
    """A task as one recipient sees it: their own, or held for `on_behalf_of`."""

    task: Task
    on_behalf_of: Employee | None = None


@dataclass
class PersonTasks:
    """What one person's reminder or overview lists."""

    recipient: Recipient
    items: list[TaskItem] = field(default_factory=list)


def preferences_by_user(user_ids: Collection[int]) -> dict[int, UserPreference]:
    """Each user's preference row; a user without one gets the defaults (unsaved)."""
    found = {p.user_id: p for p in UserPreference.objects.filter(user_id__in=user_ids)}
    return {uid: found.get(uid) or UserPreference(user_id=uid) for uid in user_ids}


def address_of(user: AbstractBaseUser, employee: Employee | None = None) -> str:
    """The login's e-mail, else the e-mail the ERP holds for the employee, else ""."""
    return (getattr(user, "email", "") or (employee.email if employee else "")).strip()


def recipient_for(
    user: AbstractBaseUser,
    preference: UserPreference,
    employee: Employee | None = None,
) -> Recipient | None:
    """A Recipient, or None for an inactive login or one without an address."""
    if not user.is_active:
        return None
    address = address_of(user, employee)
    if not address:
        return None
    return Recipient(
        user=user,
        address=address,
        language=preference.language,
        preference=preference,
    )


def _substitutions_for(
    principal_ids: Collection[int], at: datetime
) -> dict[int, list[Substitution]]:
    """Substitutes in force at `at` for these principals, who can receive mail."""
    by_principal: dict[int, list[Substitution]] = defaultdict(list)
    rows = (
        Substitution.objects.active_at(at)
        .filter(
            principal_id__in=principal_ids,
            substitute__active=True,
            substitute__user__isnull=False,
            substitute__user__is_active=True,
        )
        .select_related("substitute__user", "principal")
        .order_by("pk")
    )
    for row in rows:
        by_principal[row.principal_id].append(row)
    return by_principal


def _notify_pairs(
    tasks: Iterable[Task], at: datetime
) -> list[tuple[Task, AbstractBaseUser, Employee, Employee | None]]:
    """(task, user to mail, their employee row, principal or None) for each task.

    The assignee, and everyone substituting for them now: while a substitution is
    active both hold the task (DOMAIN §5), so both are told, the substitute "on
    behalf of" the assignee.
    """
    tasks = list(tasks)
    subs = _substitutions_for({t.assignee_id for t in tasks}, at)
    pairs: list[tuple[Task, AbstractBaseUser, Employee, Employee | None]] = []
    for task in tasks:
        assignee = task.assignee
        if assignee.active and assignee.user is not None:
            pairs.append((task, assignee.user, assignee, None))
        for row in subs.get(task.assignee_id, ()):
            if row.substitute.user_id != assignee.user_id:
                pairs.append((task, row.substitute.user, row.substitute, assignee))
    return pairs


def _task_queryset() -> QuerySet[Task]:
    return (
        Task.objects.filter(
            status=TaskStatus.ACTIVE,
            company__is_active=True,
            document__status=DocumentStatus.IN_PROGRESS,
        )
        .select_related(
            "company",
            "document",
            "document__requester",
            "assignee__user",
            "step_run",
            "forwarded_from__assignee",
            "reassigned_from__assignee",
            "review_of__assignee",
        )
        .defer(
            # Never in a mail; the ERP's payload is the widest column of all.
            "document__raw_payload",
            "step_run__reasons",
        )
    )


# --- new task ----------------------------------------------------------------------------


def new_task_recipients(
    *, task_ids: Sequence[int], at: datetime | None = None
) -> list[tuple[Recipient, TaskItem]]:
    """Who is told about each of these tasks now, if they are still waiting.

    A task already decided, cancelled or blocked by the time this runs is not news
    any more. Only people who want new-task mail and have an address.
    """
    moment = at or timezone.now()
    # Sorted here, not by ORDER BY: Django hashes every selected column of an ordered
    # query (about 200 with these joins), which cost more than the query itself.
    tasks = sorted(
        _task_queryset().filter(pk__in=task_ids).order_by(), key=lambda t: t.pk
    )
    pairs = _notify_pairs(tasks, moment)
    prefs = preferences_by_user({user.pk for _t, user, _e, _p in pairs})
    result: list[tuple[Recipient, TaskItem]] = []
    for task, user, employee, principal in pairs:
        preference = prefs[user.pk]
        if not preference.email_new_task:
            continue
        recipient = recipient_for(user, preference, employee)
        if recipient is not None:
            result.append((recipient, TaskItem(task=task, on_behalf_of=principal)))
    return result


# --- daily reminder and overview ----------------------------------------------------------


class DueCalendar:
    """Working-day arithmetic per company from one holiday query for all of them."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.end = today + _HOLIDAY_WINDOW
        self.holidays: dict[int, set[date]] = defaultdict(set)
        # Every company's holidays in the window: a few rows each, one query.
        for company_id, day in CompanyHoliday.objects.filter(
            date__gte=today, date__lte=self.end
        ).values_list("company_id", "date"):
            self.holidays[company_id].add(day)
        self._cache: dict[tuple[int, int], date] = {}

    def soon_until(self, company_id: int, days: int) -> date:
        """The last due date that counts as soon overdue for this warning setting."""
        key = (company_id, days)
        if key not in self._cache:
            result = add_working_days(
                self.today, days, frozenset(self.holidays[company_id])
            )
            if result > self.end:
                # A closure longer than the window: the exact (queried) answer.
                result = working_days_add(
                    company_id=company_id, start=self.today, days=days
                )
            self._cache[key] = result
        return self._cache[key]


def _opted_out_user_ids(flag: str) -> QuerySet[UserPreference]:
    return UserPreference.objects.filter(**{flag: False}).values("user_id")


def _waiting_tasks_for(
    *, flag: str, default_on: bool, at: datetime, due_until: date | None = None
) -> list[tuple[Task, AbstractBaseUser, Employee, Employee | None]]:
    """Active tasks of people who want mail `flag`, with every person to tell."""
    tasks = _task_queryset().filter(kind__in=(TaskKind.APPROVAL, TaskKind.REVIEW))
    if due_until is not None:
        tasks = tasks.filter(due_date__isnull=False, due_date__lte=due_until)
    if default_on:
        # Everyone but those who switched it off (no row = the default, on).
        wanted = ~Q(assignee__user_id__in=_opted_out_user_ids(flag))
        sub_wanted = ~Q(substitute__user_id__in=_opted_out_user_ids(flag))
    else:
        wanted = Q(
            assignee__user_id__in=UserPreference.objects.filter(**{flag: True}).values(
                "user_id"
            )
        )
        sub_wanted = Q(
            substitute__user_id__in=UserPreference.objects.filter(
                **{flag: True}
            ).values("user_id")
        )
    substituted = (
        Substitution.objects.active_at(at)
        .filter(sub_wanted, substitute__active=True)
        .values("principal_id")
    )
    tasks = tasks.filter(wanted | Q(assignee_id__in=substituted)).order_by(
        "due_date", "pk"
    )
    return _notify_pairs(tasks, at)


def _postponed(task: Task, today: date) -> bool:
    """Postponed: no reminders until the new date (VISMA_RULES §1.7)."""
    return task.postponed_until is not None and task.postponed_until > today


def daily_reminder_list(
    *,
    today: date | None = None,
    at: datetime | None = None,
    calendar: DueCalendar | None = None,
) -> list[PersonTasks]:
    """Per person (across companies): their soon-overdue and overdue tasks.

    "Soon" follows each person's own warning days and each company's calendar.
    People with nothing to be reminded of are left out. Constant query count.
    """
    moment = at or timezone.now()
    today = today or timezone.localdate(moment)
    # The furthest due date anybody's setting can reach: bounded by the calendar.
    pairs = _waiting_tasks_for(
        flag="email_daily_reminder",
        default_on=True,
        at=moment,
        due_until=today + _HOLIDAY_WINDOW,
    )
    pairs = [p for p in pairs if not _postponed(p[0], today)]
    calendar = calendar or DueCalendar(today)
    prefs = preferences_by_user({user.pk for _t, user, _e, _p in pairs})
    people: dict[int, PersonTasks] = {}
    seen: set[tuple[int, int]] = set()
    for task, user, employee, principal in pairs:
        preference = prefs[user.pk]
        if not preference.email_daily_reminder or (user.pk, task.pk) in seen:
            continue
        until = calendar.soon_until(task.company_id, preference.soon_overdue_days)
        assert task.due_date is not None  # filtered above
        if task.due_date > until:
            continue
        if user.pk not in people:
            recipient = recipient_for(user, preference, employee)
            if recipient is None:
                continue
            people[user.pk] = PersonTasks(recipient=recipient)
        seen.add((user.pk, task.pk))
        people[user.pk].items.append(TaskItem(task=task, on_behalf_of=principal))
    return [people[uid] for uid in sorted(people)]


def overview_list(*, at: datetime | None = None) -> list[PersonTasks]:
    """Per person who asked for the overview: every task waiting for them."""
    moment = at or timezone.now()
    pairs = _waiting_tasks_for(flag="email_overview", default_on=False, at=moment)
    prefs = preferences_by_user({user.pk for _t, user, _e, _p in pairs})
    people: dict[int, PersonTasks] = {}
    seen: set[tuple[int, int]] = set()
    for task, user, employee, principal in pairs:
        preference = prefs[user.pk]
        if not preference.email_overview or (user.pk, task.pk) in seen:
            continue
        if user.pk not in people:
            recipient = recipient_for(user, preference, employee)
            if recipient is None:
                continue
            people[user.pk] = PersonTasks(recipient=recipient)
        seen.add((user.pk, task.pk))
        people[user.pk].items.append(TaskItem(task=task, on_behalf_of=principal))
    return [people[uid] for uid in sorted(people)]
