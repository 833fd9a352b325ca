"""My tasks: the open tasks of every company the person works in, and bulk approve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from documents.choices import TaskKind, TaskOrigin, TaskStatus
from documents.forms import SORT_LABELS, BulkSelectionForm, TaskListForm
from documents.models import Task
from documents.selectors import task_list_for_user
from documents.services import tasks_bulk_approve
from documents.views.common import (
    HtmxHttpRequest,
    memberships_of,
    preference_for,
    soon_overdue_until,
)
from documents.views.lists import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SORT,
    Cursor,
    TaskPage,
    TaskQuery,
    task_page_for_user,
)

#: Column headers of the list in display order: (sort key, label).
COLUMNS = tuple(
    (key, SORT_LABELS[key])
    for key in ("type", "party", "description", "company", "amount", "due")
)


@dataclass(frozen=True)
class TaskRow:
    """A task as the list shows it, with its markers and cell texts worked out once.

    The cells are formatted here with the same functions the template filters use
    (`floatformat`, `date_format`, `Truncator`): a variable resolved by the template
    engine costs several times a Python attribute, and a page has 25-100 rows.
    """

    task: Task
    overdue: bool
    soon_overdue: bool
    on_behalf_of: str
    can_bulk_approve: bool
    url: str
    type_label: str
    party: str
    description: str
    amount: str
    due: str

    @property
    def forwarded(self) -> bool:
        return self.task.origin == TaskOrigin.FORWARD

    @property
    def reassigned(self) -> bool:
        return self.task.origin == TaskOrigin.REASSIGN

    @property
    def review_request(self) -> bool:
        return self.task.kind == TaskKind.REVIEW

    @property
    def bulk_value(self) -> str:
        return f"{self.task.pk}:{self.task.document.version}"


#: Stands for the task id in a reversed task URL (see `_task_url_pattern`).
_ID_PLACEHOLDER = 2_147_483_647


def _task_url_pattern() -> str:
    """The task page's URL with a placeholder id: one `reverse()` per page, not per row."""
    return reverse("documents:task_detail", args=[_ID_PLACEHOLDER])


def _row(
    task: Task, *, today: date, soon_until: dict[int, date], url_pattern: str
) -> TaskRow:
    document = task.document
    due = task.due_date
    active = task.status == TaskStatus.ACTIVE
    overdue = active and due is not None and due < today
    until = soon_until.get(task.company_id)
    soon = (
        active
        and not overdue
        and due is not None
        and until is not None
        and due <= until
    )
    via_substitution = bool(getattr(task, "via_substitution", False))
    return TaskRow(
        task=task,
        overdue=overdue,
        soon_overdue=soon,
        on_behalf_of=task.assignee.name if via_substitution else "",
        can_bulk_approve=active and task.kind == TaskKind.APPROVAL,
        url=url_pattern.replace(str(_ID_PLACEHOLDER), str(task.pk)),
        type_label=document.get_document_type_display(),
        party=(
            document.supplier_name
            or (document.requester.name if document.requester else "")
            or document.requester_number
            or _("(unknown)")
        ),
        description=Truncator(document.description).chars(120),
        amount=floatformat(document.gross_amount, "2g"),
        due=date_format(due, "SHORT_DATE_FORMAT") if due else "—",
    )


def _link(base: dict[str, str], **changes: str | int | None) -> str:
    """The list URL with the current filters and `changes` (None drops a key)."""
    params = {**base}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode({k: v for k, v in params.items() if v != ""})
    return f"{reverse('documents:task_list')}{'?' + query if query else ''}"


def _filters(query: TaskQuery) -> dict[str, str]:
    """The query's filters and sort as URL parameters (cursors left out)."""
    return {
        "q": query.search,
        "company": query.company.code if query.company else "",
        "type": query.document_type,
        "due": query.due,
        "sort": "" if query.sort == DEFAULT_SORT else query.sort,
        "dir": "desc" if query.descending else "",
        "per_page": (
            "" if query.page_size == DEFAULT_PAGE_SIZE else str(query.page_size)
        ),
    }


def _headers(query: TaskQuery, base: dict[str, str]) -> list[dict[str, object]]:
    """Column headers with the link that sorts by them (again: the other direction)."""
    headers = []
    for key, label in COLUMNS:
        current = query.sort == key
        descending = not query.descending if current else False
        headers.append(
            {
                "key": key,
                "label": label,
                "current": current,
                "descending": query.descending,
                "aria_sort": (
                    ("descending" if query.descending else "ascending")
                    if current
                    else "none"
                ),
                "url": _link(
                    base,
                    sort=None if key == DEFAULT_SORT else key,
                    dir="desc" if descending else None,
                ),
                "numeric": key == "amount",
            }
        )
    return headers


def _page_links(page: TaskPage, base: dict[str, str]) -> dict[str, str | None]:
    def edge(name: str, cursor: Cursor | None) -> str | None:
        if cursor is None:
            return None
        return _link(base, **{name: cursor.key, f"{name}_id": cursor.task_id})

    return {
        "next": edge("after", page.next_cursor),
        "previous": edge("before", page.previous_cursor),
        "first": _link(base) if page.previous_cursor is not None else None,
    }


def _task_label(task: Task) -> str:
    """ "INV-1 (Acme AS)": the reference and who the document is from."""
    document = task.document
    party = (
        document.supplier_name
        or (document.requester.name if document.requester else "")
        or task.company.name
    )
    return f"{document.erp_reference} ({party})"


@require_GET
@login_required
def task_list(request: HtmxHttpRequest) -> HttpResponse:
    """My tasks across all companies; filter, search, sort any column, page by key."""
    memberships = memberships_of(request)
    form = TaskListForm(request.GET, companies=[m.company for m in memberships])
    query = form.to_query()
    preference = preference_for(request.user)
    today = timezone.localdate()
    soon_until = soon_overdue_until(
        company_ids=[m.company_id for m in memberships],
        days=preference.soon_overdue_days,
        today=today,
    )
    page = task_page_for_user(
        user=request.user, query=query, today=today, soon_until=soon_until
    )
    base = _filters(query)
    url_pattern = _task_url_pattern()
    return render(
        request,
        "documents/task_list.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "rows": [
                _row(t, today=today, soon_until=soon_until, url_pattern=url_pattern)
                for t in page.rows
            ],
            "headers": _headers(query, base),
            "links": _page_links(page, base),
            "soon_overdue_days": preference.soon_overdue_days,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def task_bulk_approve(request: HtmxHttpRequest) -> HttpResponse:
    """GET: confirm the tasks picked in the list. POST: approve them, item by item.

    The pairs carry the document version the list showed, so a task whose document
    changed since is refused with its own message while the others are approved.
    """
    data = request.POST if request.method == "POST" else request.GET
    form = BulkSelectionForm(data)
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("documents:task_list")
    items: list[tuple[int, int]] = form.cleaned_data["items"]
    tasks = {
        task.pk: task
        for task in task_list_for_user(user=request.user)
        .select_related("document__requester")
        .filter(pk__in=[task_id for task_id, _version in items])
    }
    if request.method == "GET":
        return render(
            request,
            "documents/task_bulk_confirm.html",
            {
                "items": [
                    {
                        "task_id": task_id,
                        "version": version,
                        "task": tasks.get(task_id),
                        "changed": task_id in tasks
                        and tasks[task_id].document.version != version,
                    }
                    for task_id, version in items
                ],
            },
        )

    result = tasks_bulk_approve(user=request.user, items=items)
    if result.approved:
        count = len(result.approved)
        messages.success(
            request,
            ngettext("Approved %(count)d task.", "Approved %(count)d tasks.", count)
            % {"count": count},
        )
    for refusal in result.refused:
        task = tasks.get(refusal.task_id)
        label = (
            _task_label(task)
            if task is not None
            else _("Task %(id)d") % {"id": refusal.task_id}
        )
        messages.error(
            request,
            _("%(task)s was not approved: %(reason)s")
            % {"task": label, "reason": refusal.message},
        )
    return redirect("documents:task_list")
