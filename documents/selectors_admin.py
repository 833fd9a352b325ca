"""Reads of the administrator pages: document, task and process overviews, one document.

Access is the caller's to check (`company_view` with CONFIGURATION_READ): every read
here takes the company from the URL and never leaves it, so an id of another company
reads as missing.

The lists page by key, never by OFFSET: documents and processes newest first on their
id (the primary key, always indexed, and growing with time), tasks by (due date, id)
like My tasks. Each list is a fixed number of queries (a count and a page) whatever
its length; related rows come through select_related / prefetch_related.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Generic, TypeVar

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

from documents.choices import ProcessStatus, TaskKind
from documents.models import (
    Comment,
    Decision,
    Document,
    Line,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)
from documents.models.process import task_due_sort_key
from documents.selectors import task_overview_list
from documents.transitions import REASSIGNABLE_TASK_STATUSES
from orgunits.models import Company, Employee, Membership
from workflows.models import Workflow

DEFAULT_PAGE_SIZE = 25
#: Lists count at most this many rows and show "10000+" beyond: an exact count of a
#: million finished documents costs half a second, a capped one a few milliseconds.
COUNT_CAP = 10_000
PAGE_SIZES = (10, 25, 50, 100)


T = TypeVar("T")


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page and the keys of its edges; None where there is nothing further."""

    rows: Sequence[T]
    total: int
    next_key: str | None
    previous_key: str | None

    @property
    def total_capped(self) -> bool:
        """`total` stopped at COUNT_CAP: there are more."""
        return self.total > COUNT_CAP


def _search(documents_prefix: str, term: str, company: Company) -> Q:
    """Reference, supplier (name or number), sender or requester, case-insensitive.

    Requesters by a subquery on the company's employees (few) rather than a join:
    a join ORed with the document's own columns keeps PostgreSQL from filtering the
    documents in one pass.
    """
    p = documents_prefix
    requesters = Employee.objects.filter(company=company, name__icontains=term)
    return (
        Q(**{f"{p}erp_reference__icontains": term})
        | Q(**{f"{p}supplier_name__icontains": term})
        | Q(**{f"{p}supplier_number__iexact": term})
        | Q(**{f"{p}sender_number__iexact": term})
        | Q(**{f"{p}requester_id__in": requesters.values("pk")})
        | Q(**{f"{p}requester_number__iexact": term})
    )


def _capped_count(rows: QuerySet) -> int:
    """How many rows match, up to COUNT_CAP + 1: ids only, no joins or annotations."""
    return rows.order_by().values("pk")[: COUNT_CAP + 1].count()


def _id_page(
    rows_qs: QuerySet, *, after: int | None, before: int | None, size: int
) -> KeysetPage:
    """Newest first by id: `after` pages towards older rows, `before` back again."""
    total = _capped_count(rows_qs)
    if before is not None:
        rows = list(rows_qs.filter(pk__gt=before).order_by("pk")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        rows.reverse()
        has_next, has_previous = True, more
    else:
        if after is not None:
            rows_qs = rows_qs.filter(pk__lt=after)
        rows = list(rows_qs.order_by("-pk")[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = after is not None
    return KeysetPage(
        rows=rows,
        total=total,
        next_key=str(rows[-1].pk) if rows and has_next else None,
        previous_key=str(rows[0].pk) if rows and has_previous else None,
    )


# --- documents --------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentQuery:
    status: str = ""
    document_type: str = ""
    search: str = ""
    after: int | None = None
    before: int | None = None
    page_size: int = DEFAULT_PAGE_SIZE


def document_status_counts(*, company: Company) -> dict[str, int]:
    """How many documents wait in each open status (one grouped query).

    Only the open ones, which are what needs attention and stay few: counting the
    finished ones would read every document the company ever had.
    """
    counts = dict.fromkeys(Document.OPEN_STATUSES, 0)
    rows = (
        Document.objects.filter(company=company, status__in=Document.OPEN_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    for status, n in rows:
        counts[status] = n
    return counts


def document_overview_page(
    *, company: Company, query: DocumentQuery
) -> KeysetPage[Document]:
    """A page of the company's documents, newest first, with what the rows show."""
    documents = Document.objects.filter(company=company)
    if query.status:
        documents = documents.filter(status=query.status)
    if query.document_type:
        documents = documents.filter(document_type=query.document_type)
    if query.search:
        documents = documents.filter(_search("", query.search, company))
    documents = documents.select_related("requester").annotate(
        # A document blocked after some steps were decided cannot be resent; the
        # row says so instead of pointing at the setup.
        blocked_midway=Exists(
            StepRun.objects.filter(
                process__document=OuterRef("pk"), process__status=ProcessStatus.BLOCKED
            )
        ),
    )
    return _id_page(
        documents, after=query.after, before=query.before, size=query.page_size
    )


def admin_documents_in(
    *, company: Company, document_ids: Sequence[int]
) -> dict[int, Document]:
    """The company's documents among `document_ids` (others are simply absent)."""
    return {
        document.pk: document
        for document in Document.objects.filter(
            company=company, pk__in=list(document_ids)
        ).select_related("requester")
    }


def document_get_for_admin(*, company: Company, document_id: int) -> Document:
    """One document with every process, step, task, decision and delivery, or 404."""
    tasks = Task.objects.select_related(
        "assignee", "on_behalf_of", "decision", "reassigned_from__assignee"
    ).order_by("pk")
    steps = StepRun.objects.order_by("position").prefetch_related(
        Prefetch("tasks", queryset=tasks)
    )
    processes = (
        Process.objects.select_related("workflow_version__workflow")
        .order_by("number")
        .prefetch_related(
            Prefetch("step_runs", queryset=steps),
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related(
                    "decided_by", "on_behalf_of"
                ).order_by("at", "pk"),
            ),
        )
    )
    document = (
        Document.objects.filter(pk=document_id, company=company)
        .select_related("company", "requester")
        .prefetch_related(
            Prefetch("lines", queryset=Line.objects.order_by("line_number")),
            "attachments",
            Prefetch(
                "comments",
                queryset=Comment.objects.select_related("author").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch("processes", queryset=processes),
            Prefetch(
                "outbox_events",
                queryset=OutboxEvent.objects.order_by("created_at", "pk"),
            ),
        )
        .first()
    )
    if document is None:
        raise Http404("No such document.")
    return document


# --- tasks ------------------------------------------------------------------------------


class TaskDue:
    OVERDUE = "overdue"
    SOON = "soon"


@dataclass(frozen=True)
class TaskQuery:
    status: str = ""  # a TaskOverviewFilter value; "" = every waiting task
    assignee_id: int | None = None
    step_name: str = ""
    due: str = ""
    document_type: str = ""
    document_id: int | None = None
    after: tuple[date, int] | None = None
    before: tuple[date, int] | None = None
    page_size: int = DEFAULT_PAGE_SIZE


def task_overview_page(
    *, company: Company, query: TaskQuery, today: date, soon_until: date
) -> KeysetPage[Task]:
    """A page of the company's waiting tasks by (due date, id), soonest first.

    `soon_until` is the last due date that counts as soon overdue (working days of
    the company calendar, worked out by the caller).
    """
    tasks = task_overview_list(
        company=company, status=query.status or None, today=today
    )
    if query.assignee_id is not None:
        tasks = tasks.filter(assignee_id=query.assignee_id)
    if query.step_name:
        tasks = tasks.filter(step_run__name=query.step_name)
    if query.document_type:
        tasks = tasks.filter(document__document_type=query.document_type)
    if query.document_id is not None:
        tasks = tasks.filter(document_id=query.document_id)
    if query.due == TaskDue.OVERDUE:
        tasks = tasks.overdue(today)
    elif query.due == TaskDue.SOON:
        tasks = tasks.soon_overdue(until=soon_until, today=today)
    tasks = tasks.select_related("document__requester").annotate(
        sort_key=task_due_sort_key()
    )
    total = tasks.count()
    backwards = query.before is not None
    edge = query.before if backwards else query.after
    if edge is not None:
        key, task_id = edge
        if backwards:
            tasks = tasks.filter(Q(sort_key__lt=key) | Q(sort_key=key, pk__lt=task_id))
        else:
            tasks = tasks.filter(Q(sort_key__gt=key) | Q(sort_key=key, pk__gt=task_id))
    ordering = ("-sort_key", "-pk") if backwards else ("sort_key", "pk")
    rows = list(tasks.order_by(*ordering)[: query.page_size + 1])
    more = len(rows) > query.page_size
    rows = rows[: query.page_size]
    if backwards:
        rows.reverse()
    has_next = True if backwards else more
    has_previous = more if backwards else edge is not None

    def key_of(task: Task) -> str:
        return f"{task.sort_key.isoformat()}_{task.pk}"  # type: ignore[attr-defined]  # annotated above

    return KeysetPage(
        rows=rows,
        total=total,
        next_key=key_of(rows[-1]) if rows and has_next else None,
        previous_key=key_of(rows[0]) if rows and has_previous else None,
    )


def task_step_names(*, company: Company) -> list[str]:
    """The step names of the company's waiting tasks, for the step filter."""
    return list(
        task_overview_list(company=company)
        .order_by("step_run__name")
        .values_list("step_run__name", flat=True)
        .distinct()[:200]
    )


def task_assignees(*, company: Company) -> QuerySet[Employee]:
    """People who hold waiting tasks now, for the assignee filter."""
    holding = task_overview_list(company=company).values("assignee_id")
    return Employee.objects.filter(company=company, pk__in=holding).order_by(
        "name", "pk"
    )


def admin_tasks_in(*, company: Company, task_ids: Sequence[int]) -> dict[int, Task]:
    """The company's tasks among `task_ids` with what a confirmation page shows."""
    return {
        task.pk: task
        for task in Task.objects.filter(company=company, pk__in=list(task_ids))
        .select_related("document__requester", "assignee", "step_run")
        .order_by("pk")
    }


def reassign_candidates(*, company: Company) -> QuerySet[Employee]:
    """Active employees who can sign in to the company: who a task may go to.

    The service checks the approver right for each task's document type and the
    other rules (not the requester, not already in the step) and says why.
    """
    logins = Membership.objects.filter(company=company).values("user_id")
    return Employee.objects.filter(
        company=company, active=True, user_id__in=logins
    ).order_by("name", "pk")


def reassignable(task: Task) -> bool:
    """Worth a checkbox in the overview (the service and confirmation page decide)."""
    return task.kind == TaskKind.APPROVAL and task.status in REASSIGNABLE_TASK_STATUSES


# --- processes --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessQuery:
    status: str = ""
    workflow_id: int | None = None
    document_type: str = ""
    search: str = ""
    started_from: date | None = None
    started_to: date | None = None
    after: int | None = None
    before: int | None = None
    page_size: int = DEFAULT_PAGE_SIZE


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def process_overview_page(
    *, company: Company, query: ProcessQuery
) -> KeysetPage[Process]:
    """A page of the company's processes (active and finished), newest first."""
    processes = Process.objects.filter(company=company)
    if query.status:
        processes = processes.filter(status=query.status)
    if query.workflow_id is not None:
        processes = processes.filter(workflow_version__workflow_id=query.workflow_id)
    if query.document_type:
        processes = processes.filter(document__document_type=query.document_type)
    if query.search:
        processes = processes.filter(_search("document__", query.search, company))
    if query.started_from is not None:
        processes = processes.filter(started_at__gte=_day_start(query.started_from))
    if query.started_to is not None:
        processes = processes.filter(
            started_at__lt=_day_start(query.started_to + timedelta(days=1))
        )
    processes = processes.select_related(
        "document__requester", "workflow_version__workflow"
    )
    return _id_page(
        processes, after=query.after, before=query.before, size=query.page_size
    )


def workflow_choices(*, company: Company) -> list[tuple[int, str]]:
    """The company's workflows for the process filter."""
    return [
        (w.pk, f"{w.name} ({w.get_document_type_display()})")
        for w in Workflow.objects.filter(company=company).order_by("name", "pk")
    ]
