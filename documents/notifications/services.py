"""Send the notification e-mails, each at most once per recipient (DOMAIN §6).

Each mail is claimed before it is sent (`claims`), so retries never duplicate it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from documents.models import Document, NotificationKind, Task
from documents.notifications import admin_selectors, rendering, selectors
from documents.notifications.admin_selectors import BlockNotice
from documents.notifications.claims import (
    Outgoing,
    SendResult,
    claim,
    claim_many,
    deliver,
)
from documents.notifications.selectors import (
    DueCalendar,
    PersonTasks,
    TaskItem,
)
from orgunits.models import Company, Employee

#: How many of the oldest waiting tasks the overview lists.
OVERVIEW_OLDEST = 5


# --- new task ----------------------------------------------------------------------------


def new_task_emails_send(
    *, task_ids: Sequence[int], at: datetime | None = None
) -> SendResult:
    """Tell each assignee (and their active substitutes) about these new tasks.

    Only tasks still active when this runs; only people who want the mail and have
    an address. Each (task, person) is mailed once, whatever the retries.
    """
    result = SendResult()
    outgoing: list[Outgoing] = []
    for recipient, item in selectors.new_task_recipients(task_ids=task_ids, at=at):
        key = f"task:{item.task.pk}"
        user_id = recipient.user.pk
        if not claim(
            kind=NotificationKind.NEW_TASK,
            key=key,
            user_id=user_id,
            company_id=item.task.company_id,
        ):
            result.already_sent += 1
            continue
        message = rendering.email_build(
            name="new_task",
            to=recipient.address,
            language=recipient.language,
            context={
                "recipient": recipient.user,
                "task": item.task,
                "document": item.task.document,
                "on_behalf_of": item.on_behalf_of,
                "task_url": rendering.task_url(item.task),
            },
        )
        outgoing.append(Outgoing(message, NotificationKind.NEW_TASK, user_id, (key,)))
    return deliver(outgoing, result)


# --- daily reminder and overview ------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """One task line of a reminder or overview."""

    task: Task
    on_behalf_of: Employee | None
    overdue: bool
    soon: bool
    url: str

    @property
    def document(self) -> Document:
        return self.task.document

    @property
    def company(self) -> Company:
        return self.task.company


@dataclass
class CompanyTally:
    """The overview's counts for one company."""

    company: Company
    total: int = 0
    overdue: int = 0
    soon: int = 0


def _task_rows(
    items: Iterable[TaskItem], *, today: date, soon_until: Callable[[int], date]
) -> list[TaskRow]:
    rows = []
    for item in items:
        task = item.task
        due = task.due_date
        overdue = due is not None and due < today
        soon = not overdue and due is not None and due <= soon_until(task.company_id)
        rows.append(
            TaskRow(
                task=task,
                on_behalf_of=item.on_behalf_of,
                overdue=overdue,
                soon=soon,
                url=rendering.task_url(task),
            )
        )
    return rows


def _batched_send(
    *,
    kind: str,
    name: str,
    key: str,
    people: Sequence[PersonTasks],
    context_for: Callable[[PersonTasks], dict[str, object]],
) -> SendResult:
    """One mail per person, claimed under `key` (the run's date) in two queries."""
    result = SendResult()
    claimed = claim_many(kind=kind, wanted=[(p.recipient.user.pk, key) for p in people])
    outgoing = []
    for person in people:
        user_id = person.recipient.user.pk
        if (user_id, key) not in claimed:
            result.already_sent += 1
            continue
        message = rendering.email_build(
            name=name,
            to=person.recipient.address,
            language=person.recipient.language,
            context={"recipient": person.recipient.user, **context_for(person)},
        )
        outgoing.append(Outgoing(message, kind, user_id, (key,)))
    return deliver(outgoing, result)


def daily_reminders_send(
    *, today: date | None = None, at: datetime | None = None
) -> SendResult:
    """Each person's soon-overdue and overdue tasks, one mail across companies, once a day.

    Nothing for a person with nothing due. A constant number of queries whatever the
    number of people.
    """
    moment = at or timezone.now()
    today = today or timezone.localdate(moment)
    calendar = DueCalendar(today)
    people = selectors.daily_reminder_list(today=today, at=moment, calendar=calendar)

    def context_for(person: PersonTasks) -> dict[str, object]:
        days = person.recipient.preference.soon_overdue_days
        rows = _task_rows(
            person.items,
            today=today,
            soon_until=lambda company_id: calendar.soon_until(company_id, days),
        )
        return {
            "rows": rows,
            "overdue_count": sum(1 for r in rows if r.overdue),
            "soon_count": sum(1 for r in rows if not r.overdue),
            "today": today,
            "task_list_url": rendering.task_list_url(),
        }

    return _batched_send(
        kind=NotificationKind.DAILY_REMINDER,
        name="daily_reminder",
        key=today.isoformat(),
        people=people,
        context_for=context_for,
    )


def overviews_send(
    *, today: date | None = None, at: datetime | None = None
) -> SendResult:
    """To those who asked: their open tasks counted per company, and the oldest ones.

    Sent on the configured schedule (weekly by default); at most once per day.
    """
    moment = at or timezone.now()
    today = today or timezone.localdate(moment)
    people = selectors.overview_list(at=moment)
    calendar = DueCalendar(today)

    def context_for(person: PersonTasks) -> dict[str, object]:
        days = person.recipient.preference.soon_overdue_days
        rows = _task_rows(
            person.items,
            today=today,
            soon_until=lambda company_id: calendar.soon_until(company_id, days),
        )
        tallies: dict[int, CompanyTally] = {}
        for row in rows:
            tally = tallies.setdefault(row.company.pk, CompanyTally(row.company))
            tally.total += 1
            tally.overdue += row.overdue
            tally.soon += row.soon
        companies = sorted(tallies.values(), key=lambda t: t.company.name)
        oldest = sorted(rows, key=lambda r: (r.task.activated_at or moment, r.task.pk))[
            :OVERVIEW_OLDEST
        ]
        return {
            "companies": companies,
            "total": len(rows),
            "oldest": oldest,
            "today": today,
            "task_list_url": rendering.task_list_url(),
        }

    return _batched_send(
        kind=NotificationKind.OVERVIEW,
        name="overview",
        key=today.isoformat(),
        people=people,
        context_for=context_for,
    )


# --- administrator notices ---------------------------------------------------------------


def _fix_hint(notice: BlockNotice) -> str:
    """Which fix the mail suggests, by what blocks it (the template words it)."""
    if notice.task is None:
        return "document"
    assignee = notice.task.assignee
    if not assignee.active:
        return "inactive"
    if assignee.user_id is None:
        return "no_login"
    return "no_right"


def admin_notices_send() -> SendResult:
    """Tell each system administrator about new blocks in their companies, batched.

    One mail per administrator per run listing every blocked document and blocked
    task not told to them before; a block already told is never told again.
    """
    result = SendResult()
    pending = admin_selectors.admin_notice_list()
    claimed = claim_many(
        kind=NotificationKind.ADMIN_NOTICE,
        wanted=[(a.recipient.user.pk, n.key) for a in pending for n in a.notices],
        companies={n.key: n.company_id for a in pending for n in a.notices},
    )
    outgoing = []
    for admin in pending:
        user_id = admin.recipient.user.pk
        notices = [n for n in admin.notices if (user_id, n.key) in claimed]
        if not notices:
            result.already_sent += 1
            continue
        documents = [
            {
                "document": n.document,
                "company": n.document.company,
                "reason": n.document.blocked_reason,
                "url": rendering.admin_document_url(n.document),
            }
            for n in notices
            if n.task is None
        ]
        tasks = [
            {
                "task": n.task,
                "document": n.document,
                "company": n.task.company,
                "reason": n.task.blocked_reason,
                "fix": _fix_hint(n),
                "url": rendering.task_url(n.task),
            }
            for n in notices
            if n.task is not None
        ]
        message = rendering.email_build(
            name="admin_notice",
            to=admin.recipient.address,
            language=admin.recipient.language,
            context={
                "recipient": admin.recipient.user,
                "documents": documents,
                "tasks": tasks,
                "count": len(documents) + len(tasks),
            },
        )
        outgoing.append(
            Outgoing(
                message,
                NotificationKind.ADMIN_NOTICE,
                user_id,
                tuple(n.key for n in notices),
            )
        )
    return deliver(outgoing, result)
