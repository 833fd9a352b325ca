"""Reads of the documents app, with their access rules and related rows preloaded.

Every list query here has a constant number of queries whatever the number of rows:
related rows come through select_related / prefetch_related, and visibility is one
subquery, not a loop.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.choices import (
    DocumentStatus,
    ProcessStatus,
    StepRunStatus,
    TaskKind,
    TaskStatus,
)
from documents.models import (
    Comment,
    Decision,
    Document,
    HistoryEvent,
    Line,
    Process,
    StepRun,
    Task,
)
from documents.services.calendar import working_days_add
from orgunits.models import Company, Employee, Membership, Substitution

#: What an approver's task list shows: tasks waiting for them. A task in review leaves
#: the list until the reviewer answers (the reviewer's review task is active and shows
#: in theirs), then comes back as active.
VISIBLE_TASK_STATUSES = (TaskStatus.ACTIVE,)


def _principals(user: AbstractBaseUser, at: datetime) -> QuerySet[Substitution]:
    """Employees the user's active employees stand in for at `at` (as a subquery)."""
    return (
        Substitution.objects.active_at(at)
        .filter(substitute__user=user, substitute__active=True)
        .values("principal_id")
    )


def _overseen_companies(user: AbstractBaseUser) -> QuerySet[Membership]:
    """Companies where the user is administrator or viewer (sees every document)."""
    return (
        Membership.objects.filter(user=user, company__is_active=True)
        .filter(Q(is_system_admin=True) | Q(is_system_viewer=True))
        .values("company_id")
    )


def task_list_for_user(
    *,
    user: AbstractBaseUser | AnonymousUser,
    company: Company | None = None,
    statuses: tuple[str, ...] = VISIBLE_TASK_STATUSES,
    at: datetime | None = None,
) -> QuerySet[Task]:
    """Open tasks for the user across all their companies (or one).

    The user's own tasks plus those of the people their employees substitute for right
    now; the latter carry `via_substitution=True`. One small query for the assignees
    now, then the tasks in one query whatever their count.
    """
    if not user.is_authenticated:
        return Task.objects.none()
    moment = at or timezone.now()
    own = Q(assignee__user=user, assignee__active=True)
    # The assignees first, as a literal list (one small query): filtering by
    # `own | substituted` across the assignee join, or by an IN subquery, leaves
    # PostgreSQL without an estimate for the user's share of the open tasks, and
    # under ORDER BY … LIMIT it walked every open task of every company in due-date
    # order (200 k at 1 M documents: 250 ms to 4 s). With the ids it starts from the
    # task index `task_assignee_due` (assignee, status, due date, id), already in My
    # tasks' default order. EXPLAIN ANALYZE in bench/PERF_NOTES.md.
    # Only employees of active companies: a task belongs to its assignee's company, so
    # the tasks query needs no join to the companies (with one, PostgreSQL looped over
    # every company, re-reading the user's tasks once per company).
    assignees = list(
        Employee.objects.filter(user=user, active=True, company__is_active=True)
        .order_by()
        .values_list("pk", flat=True)
        .union(
            _principals(user, moment)
            .filter(principal__company__is_active=True)
            .order_by()
            .values_list("principal_id")
        )
    )
    tasks = Task.objects.filter(
        status__in=statuses,
        document__status=DocumentStatus.IN_PROGRESS,
        assignee_id__in=assignees,
    )
    if company is not None:
        tasks = tasks.filter(company=company)
    return (
        tasks.annotate(
            via_substitution=Case(
                When(own, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .select_related(
            "company",
            "document",
            "assignee",
            "on_behalf_of",
            "step_run",
            "process",
        )
        # Lists never show the ERP's original payload or the routing plan and reasons;
        # at 50 rows their JSON was most of the time spent building the rows.
        .defer("document__raw_payload", "process__plan", "step_run__reasons")
        .order_by("due_date", "pk")
    )


def _task_visible(user: AbstractBaseUser, moment: datetime) -> Q:
    return (
        Q(assignee__user=user)
        | Q(assignee_id__in=_principals(user, moment))
        | Q(company_id__in=_overseen_companies(user))
    )


def task_get_for_user(*, user: AbstractBaseUser | AnonymousUser, task_id: int) -> Task:
    """One task with all a detail page shows, or 404 when the user may not see it.

    Visible to its assignee, their active substitute, and the company's
    administrators and viewers. Another company's task is a plain 404, like a
    missing one, so ids reveal nothing.
    """
    if not user.is_authenticated:
        raise Http404("No such task.")
    moment = timezone.now()
    step_tasks = Task.objects.select_related("assignee", "decision").order_by("pk")
    task = (
        Task.objects.filter(pk=task_id, company__is_active=True)
        .filter(_task_visible(user, moment))
        .annotate(
            via_substitution=Case(
                When(assignee__user=user, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .select_related(
            "company",
            "document",
            "document__requester",
            "assignee",
            "on_behalf_of",
            "step_run",
            "process",
            "process__workflow_version",
        )
        .prefetch_related(
            Prefetch("document__lines", queryset=Line.objects.order_by("line_number")),
            "document__attachments",
            Prefetch(
                "document__comments",
                queryset=Comment.objects.select_related("author").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch(
                "process__step_runs",
                queryset=StepRun.objects.order_by("position").prefetch_related(
                    Prefetch("tasks", queryset=step_tasks)
                ),
            ),
            Prefetch(
                "process__decisions",
                queryset=Decision.objects.select_related(
                    "decided_by", "on_behalf_of"
                ).order_by("at", "pk"),
            ),
        )
        .first()
    )
    if task is None:
        raise Http404("No such task.")
    return task


def document_get_for_user(
    *, user: AbstractBaseUser | AnonymousUser, document_id: int
) -> Document:
    """One document, or 404 unless the user oversees the company or has a part in it."""
    if not user.is_authenticated:
        raise Http404("No such document.")
    own_task = Task.objects.filter(document=OuterRef("pk"), assignee__user=user)
    substitute_task = Task.objects.filter(
        document=OuterRef("pk"),
        assignee_id__in=_principals(user, timezone.now()),
        status__in=Task.OPEN_STATUSES,
    )
    document = (
        Document.objects.filter(pk=document_id, company__is_active=True)
        .filter(
            Q(company_id__in=_overseen_companies(user))
            | Exists(own_task)
            | Exists(substitute_task)
        )
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
            Prefetch("processes", queryset=Process.objects.order_by("number")),
        )
        .first()
    )
    if document is None:
        raise Http404("No such document.")
    return document


def document_history_list(*, document: Document) -> QuerySet[HistoryEvent]:
    """The whole history of a document, every process, oldest first.

    Call it with a document from `document_get_for_user`: access is checked there.
    """
    return (
        HistoryEvent.objects.filter(document=document)
        .select_related("process")
        .order_by("at", "pk")
    )


# --- reconciliation: due work re-derived from the database ------------------------------

_GRACE = timedelta(minutes=1)


def reconcile_grace() -> timedelta:
    """How old unrouted/unadvanced work must be before the reconciler takes it over:
    the minute of grace by default, SIGNOFF_RECONCILE_GRACE_SECONDS when set."""
    seconds = getattr(settings, "SIGNOFF_RECONCILE_GRACE_SECONDS", None)
    return _GRACE if seconds is None else timedelta(seconds=float(seconds))


def document_ids_awaiting_routing(
    *, older_than: timedelta | None = None, limit: int = 500
) -> list[int]:
    """Documents received more than `older_than` ago and still not routed."""
    cutoff = timezone.now() - (older_than or reconcile_grace())
    return list(
        Document.objects.filter(status=DocumentStatus.RECEIVED, received_at__lt=cutoff)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def process_ids_awaiting_advance(
    *, older_than: timedelta | None = None, limit: int = 500
) -> list[int]:
    """Running processes whose requested advance never ran, oldest request first.

    An approval marks its process (`advance_due_at`) in its own transaction and the
    advance clears the mark, so a lost `advance_process` message leaves a mark older
    than the grace. One read of a partial index: the reconciler's minute costs the same
    at 1 M documents as at 100. Whether the step is complete is left to
    `process_advance`, which answers the mark either way.
    """
    cutoff = timezone.now() - (older_than or reconcile_grace())
    return list(
        Process.objects.filter(status=ProcessStatus.RUNNING, advance_due_at__lt=cutoff)
        .order_by("advance_due_at")
        .values_list("pk", flat=True)[:limit]
    )


def process_ids_without_active_step(
    *, older_than: timedelta | None = None, limit: int = 1000
) -> list[int]:
    """Running processes with no active step, untouched for longer than the grace.

    No committed transaction should leave one (routing, advancing and recalculation
    activate the next step or finish in the same transaction), so this is a sweep for
    what a defect might strand, not the path of a lost message. It reads every running
    process (about a second at 1 M documents), hence nightly, not every minute.
    """
    cutoff = timezone.now() - (older_than or reconcile_grace())
    with_active_step = StepRun.objects.filter(status=StepRunStatus.ACTIVE).values(
        "process_id"
    )
    return list(
        Process.objects.filter(status=ProcessStatus.RUNNING, updated_at__lt=cutoff)
        .exclude(pk__in=with_active_step)
        .order_by()
        .values_list("pk", flat=True)[:limit]
    )


def document_ids_blocked(*, limit: int = 1000) -> list[int]:
    """Blocked documents, for the nightly retry."""
    return list(
        Document.objects.filter(status=DocumentStatus.BLOCKED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- administrators' task overview and due dates (DOMAIN §6, §7) -------------------------


class TaskOverviewFilter(models.TextChoices):
    """The task overview's filters. As in Visma, "active" is every task still waiting
    (so it includes the overdue and the blocked ones); the other two narrow it down.
    """

    ACTIVE = "active", _("Active")
    OVERDUE = "overdue", _("Overdue")
    BLOCKED = "blocked", _("Blocked")


#: Tasks that wait for someone now (planned ones have not started yet).
WAITING_TASK_STATUSES = (TaskStatus.ACTIVE, TaskStatus.IN_REVIEW, TaskStatus.BLOCKED)


def task_overview_list(
    *,
    company: Company,
    status: str | None = None,
    today: date | None = None,
) -> QuerySet[Task]:
    """The company's waiting tasks for the administrators' task overview.

    `status` is a `TaskOverviewFilter` value (None = "active"). Tasks of finished
    documents never show: their open tasks were cancelled when the process ended.
    Overdue is derived (active and past due, `Task.is_overdue`). Access is the
    caller's to check: system administrators and viewers of the company.
    """
    wanted = TaskOverviewFilter(status or TaskOverviewFilter.ACTIVE)
    tasks = Task.objects.filter(
        company=company,
        status__in=WAITING_TASK_STATUSES,
        document__status__in=Document.OPEN_STATUSES,
    )
    if wanted == TaskOverviewFilter.OVERDUE:
        tasks = tasks.overdue(today)
    elif wanted == TaskOverviewFilter.BLOCKED:
        tasks = tasks.filter(status=TaskStatus.BLOCKED)
    return tasks.select_related(
        "document",
        "assignee",
        "on_behalf_of",
        "step_run",
        "process",
        "reassigned_from__assignee",
    ).order_by("due_date", "pk")


def task_soon_overdue_list(
    *,
    company: Company,
    days: int,
    assignee: Employee | None = None,
    today: date | None = None,
) -> QuerySet[Task]:
    """Active tasks due within `days` working days from today, not yet overdue.

    `days` is the person's own warning setting (VISMA_RULES §1.11); 0 means "due
    today". Working days per the company calendar, like the due dates themselves.
    """
    today = today or timezone.localdate()
    until = working_days_add(company_id=company.pk, start=today, days=days)
    tasks = Task.objects.filter(
        company=company, document__status=DocumentStatus.IN_PROGRESS
    ).soon_overdue(until=until, today=today)
    if assignee is not None:
        tasks = tasks.filter(assignee=assignee)
    return tasks.select_related("document", "assignee", "step_run").order_by(
        "due_date", "pk"
    )


def company_ids_with_waiting_tasks() -> list[int]:
    """Active companies with active or blocked approval tasks (the rights check).

    One `EXISTS … LIMIT 1` per active company (tenants are few), each stopping at the
    company's first such task. The DISTINCT over the join, and a correlated EXISTS
    (planned as a semi-join over all of them), took 2.2 s at 1 M documents: every
    in-progress document joined with every open task (bench/PERF_NOTES.md).
    """
    waiting = Task.objects.filter(
        kind=TaskKind.APPROVAL,
        status__in=(TaskStatus.ACTIVE, TaskStatus.BLOCKED),
        document__status=DocumentStatus.IN_PROGRESS,
    )
    return [
        company_id
        for company_id in Company.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        if waiting.filter(company_id=company_id).exists()
    ]
