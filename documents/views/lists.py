"""The approver lists' reads: My tasks (filter, search, sort, keyset pages), My history.

Both start from the access-checked selectors of `documents.selectors` and only narrow
and order what those return, so nothing here widens what a person may see.

Keyset pagination: rows are ordered by (sort key, id) and a page starts after (or
before) the key of the row at its edge, never at an OFFSET, so page 200 costs what
page 1 costs and a row approved meanwhile does not shift the next page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    CharField,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Coalesce, NullIf

from documents.choices import TaskStatus
from documents.models import Decision, Process, Task
from documents.models.process import TASK_NO_DUE_DATE, task_due_sort_key
from documents.selectors import task_list_for_user
from orgunits.models import Company, Membership

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25


def _party() -> Expression:
    """The supplier for invoices, the requester for time sheets and expense claims."""
    return Coalesce(
        NullIf(F("document__supplier_name"), Value("")),
        F("document__requester__name"),
        Value(""),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class SortKey:
    """One whitelisted sort: the expression ordered by and how a cursor value parses."""

    expression: Callable[[], Expression]
    parse: Callable[[str], Any]


SORT_KEYS: Mapping[str, SortKey] = {
    "due": SortKey(
        task_due_sort_key,
        date.fromisoformat,
    ),
    "type": SortKey(lambda: F("document__document_type"), str),
    "party": SortKey(_party, str),
    "description": SortKey(lambda: F("document__description"), str),
    "company": SortKey(lambda: F("company__name"), str),
    "amount": SortKey(lambda: F("document__gross_amount"), Decimal),
}
DEFAULT_SORT = "due"


class DueFilter:
    OVERDUE = "overdue"
    SOON = "soon"


@dataclass(frozen=True)
class Cursor:
    """The edge row of a page: its sort key (as text) and id."""

    key: str
    task_id: int


@dataclass(frozen=True)
class TaskQuery:
    """What the My tasks page asks for, already validated by its form."""

    company: Company | None = None
    document_type: str = ""
    due: str = ""
    search: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False
    after: Cursor | None = None
    before: Cursor | None = None
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class TaskPage:
    rows: Sequence[Task]
    total: int
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def cursor_value(value: object) -> str:
    """A sort key as it travels in a link (dates ISO, decimals plain, text as is)."""
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _parsed(sort: SortKey, cursor: Cursor) -> Any | None:
    try:
        return sort.parse(cursor.key)
    except (ValueError, InvalidOperation):
        return None


def _after(value: Any, task_id: int, *, descending: bool) -> Q:
    """Rows strictly after (value, id) in the page order."""
    if descending:
        return Q(sort_key__lt=value) | Q(sort_key=value, pk__lt=task_id)
    return Q(sort_key__gt=value) | Q(sort_key=value, pk__gt=task_id)


#: What a My tasks row reads: the task's markers, the document's cells, the names.
_ROW_FIELDS = (
    "company_id",
    "status",
    "kind",
    "origin",
    "due_date",
    "assignee__name",
    "assignee__active",
    "assignee__user_id",
    "document__version",
    "document__document_type",
    "document__erp_reference",
    "document__supplier_name",
    "document__requester_number",
    "document__description",
    "document__gross_amount",
    "document__currency",
    "document__requester__name",
)


def task_page_for_user(
    *,
    user: AbstractBaseUser | AnonymousUser,
    query: TaskQuery,
    today: date,
    soon_until: Mapping[int, date],
) -> TaskPage:
    """One page of the person's open tasks: two queries (count, page) at any size.

    `soon_until` is the last "soon overdue" due date per company (the person's own
    number of working days). A cursor that does not parse starts at the first page.
    """
    # Only the joins the rows show: the selector's step and process joins cost
    # PostgreSQL's planner more than the rows at 1 M documents, and a join to the few
    # companies made it loop over the user's tasks once per company (bench/PERF_NOTES.md);
    # the companies come in one small query instead.
    tasks = (
        task_list_for_user(user=user, company=query.company)
        .select_related(None)
        .select_related("assignee", "document__requester")
        # The columns the rows show (TaskRow and the template): building 25-100
        # rows of four models was the biggest part of the page's CPU after rendering.
        # A field missing here would be read back once per row; the query count test
        # for 1 and 40 tasks catches that.
        .only(*_ROW_FIELDS)
        .prefetch_related("company")
    )
    if query.document_type:
        tasks = tasks.filter(document__document_type=query.document_type)
    if query.search:
        term = query.search
        tasks = tasks.filter(
            Q(document__supplier_name__icontains=term)
            | Q(document__erp_reference__icontains=term)
            | Q(document__description__icontains=term)
            | Q(document__requester__name__icontains=term)
        )
    if query.due == DueFilter.OVERDUE:
        tasks = tasks.filter(status=TaskStatus.ACTIVE, due_date__lt=today)
    elif query.due == DueFilter.SOON:
        soon = Q(pk__in=[])
        for company_id, until in soon_until.items():
            soon |= Q(company_id=company_id, due_date__gte=today, due_date__lte=until)
        tasks = tasks.filter(soon, status=TaskStatus.ACTIVE)

    sort = SORT_KEYS[query.sort]
    tasks = tasks.annotate(sort_key=sort.expression())
    total = tasks.count()

    # Walking backwards reads the rows before the cursor in reverse order, then
    # flips them, so "previous" is as cheap as "next".
    backwards = query.before is not None
    edge = query.before if backwards else query.after
    reading_descending = query.descending != backwards
    if edge is not None:
        value = _parsed(sort, edge)
        if value is not None:
            tasks = tasks.filter(
                _after(value, edge.task_id, descending=reading_descending)
            )
        else:
            edge = None
    ordering = ("-sort_key", "-pk") if reading_descending else ("sort_key", "pk")
    rows = list(tasks.order_by(*ordering)[: query.page_size + 1])
    more = len(rows) > query.page_size
    rows = rows[: query.page_size]
    if backwards:
        rows.reverse()

    def cursor(task: Task) -> Cursor:
        return Cursor(cursor_value(task.sort_key), task.pk)  # type: ignore[attr-defined]  # annotated above

    has_next = more if not backwards else edge is not None
    has_previous = (edge is not None) if not backwards else more
    return TaskPage(
        rows=rows,
        total=total,
        next_cursor=cursor(rows[-1]) if rows and has_next else None,
        previous_cursor=cursor(rows[0]) if rows and has_previous else None,
    )


def next_task_for_user(
    *, user: AbstractBaseUser | AnonymousUser, after: Task
) -> Task | None:
    """The task after `after` in the default My tasks order, wrapping to the first.

    "After handling a task, open the next one" (VISMA_RULES §1.9): `after` is usually
    closed by then, so its (due date, id) only marks the place in the list.
    """
    tasks = (
        task_list_for_user(user=user)
        .exclude(pk=after.pk)
        .annotate(sort_key=SORT_KEYS[DEFAULT_SORT].expression())
        .order_by("sort_key", "pk")
    )
    key = after.due_date or TASK_NO_DUE_DATE
    return tasks.filter(_after(key, after.pk, descending=False)).first() or (
        tasks.first()
    )


# --- My history ---------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryQuery:
    document_type: str = ""
    reference: str = ""
    sender: str = ""
    after: int | None = None
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class HistoryPage:
    rows: Sequence[Process]
    next_after: int | None
    #: Per process, the person's latest task in it: where the row links to.
    task_ids: Mapping[int, int]


def process_page_for_user(
    *, user: AbstractBaseUser | AnonymousUser, query: HistoryQuery
) -> HistoryPage:
    """Processes the person had a task in (active and finished), newest first.

    "Had a task" means a task assigned to one of their employees, or a decision they
    took as someone's substitute, in any company they still work in (VISMA_RULES §1.9 My history). Keyset on the process id, which grows
    with time, so the list pages as cheaply as My tasks.
    """
    if not user.is_authenticated:
        return HistoryPage(rows=(), next_after=None, task_ids={})
    had_task = Task.objects.filter(process=OuterRef("pk"), assignee__user_id=user.pk)
    # Decisions taken as someone's substitute sit on the principal's task.
    decided = Decision.objects.filter(process=OuterRef("pk"), by_user_id=user.pk)
    processes = Process.objects.filter(
        Exists(had_task) | Exists(decided),
        company__is_active=True,
        company_id__in=Membership.objects.filter(user_id=user.pk).values("company_id"),
    )
    if query.document_type:
        processes = processes.filter(document__document_type=query.document_type)
    if query.reference:
        processes = processes.filter(document__erp_reference__icontains=query.reference)
    if query.sender:
        sender = query.sender
        processes = processes.filter(
            Q(document__supplier_name__icontains=sender)
            | Q(document__supplier_number__iexact=sender)
            | Q(document__sender_number__iexact=sender)
            | Q(document__requester__name__icontains=sender)
            | Q(document__requester_number__iexact=sender)
        )
    if query.after is not None:
        processes = processes.filter(pk__lt=query.after)
    rows = list(
        processes.select_related("company", "document", "document__requester").order_by(
            "-pk"
        )[: query.page_size + 1]
    )
    more = len(rows) > query.page_size
    rows = rows[: query.page_size]
    task_ids: dict[int, int] = {}
    own_tasks = (
        Task.objects.filter(process__in=[p.pk for p in rows])
        .filter(Q(assignee__user_id=user.pk) | Q(decision__by_user_id=user.pk))
        .order_by("-pk")
        .values_list("process_id", "pk")
    )
    for process_id, task_id in own_tasks:
        task_ids.setdefault(process_id, task_id)
    return HistoryPage(
        rows=rows,
        next_after=rows[-1].pk if more and rows else None,
        task_ids=task_ids,
    )
