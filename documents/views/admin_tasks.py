"""The administrators' task overview and reassigning tasks, one or many, with a comment.

Which tasks may move comes from `available_admin_task_actions`: the confirmation page
asks it for every picked task, and `tasks_admin_reassign` asks it again under the
document's lock before `tasks_reassign` runs.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from documents.forms_admin import ReassignForm, TaskOverviewForm, selected_pairs
from documents.models import Task
from documents.selectors_admin import (
    DEFAULT_PAGE_SIZE,
    admin_tasks_in,
    reassign_candidates,
    reassignable,
    task_assignees,
    task_overview_page,
    task_step_names,
)
from documents.services.admin_pages import tasks_admin_reassign
from documents.transitions import REASSIGN, available_admin_task_actions
from documents.views.admin_common import (
    admin_url,
    can_act,
    company_of,
    page_context,
    page_links,
)
from documents.views.common import preference_for, soon_overdue_until
from orgunits.access import Access, company_view


@company_view(Access.CONFIGURATION_READ)
@require_GET
def task_overview(request: HttpRequest) -> HttpResponse:
    """The company's waiting tasks, soonest due first, with filters; pick to reassign."""
    company = company_of(request)
    today = timezone.localdate()
    days = preference_for(request.user).soon_overdue_days
    soon_until = soon_overdue_until(company_ids=[company.pk], days=days, today=today)[
        company.pk
    ]
    form = TaskOverviewForm(
        request.GET,
        assignees=list(task_assignees(company=company)),
        step_names=task_step_names(company=company),
    )
    query = form.to_query()
    page = task_overview_page(
        company=company, query=query, today=today, soon_until=soon_until
    )
    url = admin_url(request, "task_list")
    base = {
        "status": query.status,
        "assignee": query.assignee_id,
        "step": query.step_name,
        "due": query.due,
        "type": query.document_type,
        "document": query.document_id,
        "per_page": None if query.page_size == DEFAULT_PAGE_SIZE else query.page_size,
    }
    acting = can_act(request)
    rows = []
    for task in page.rows:
        overdue = (
            task.status == "active"
            and task.due_date is not None
            and (task.due_date < today)
        )
        rows.append(
            {
                "task": task,
                "overdue": overdue,
                "soon": (
                    task.status == "active"
                    and not overdue
                    and task.due_date is not None
                    and task.due_date <= soon_until
                ),
                "selectable": acting and reassignable(task),
                "bulk_value": f"{task.pk}:{task.document.version}",
            }
        )
    return render(
        request,
        "documents/admin/task_list.html",
        page_context(
            request,
            form=form,
            query=query,
            page=page,
            rows=rows,
            soon_overdue_days=days,
            links=page_links(
                url, base, next_key=page.next_key, previous_key=page.previous_key
            ),
            clear_url=url,
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def task_reassign(request: HttpRequest) -> HttpResponse:
    """GET: the picked tasks and the form. POST: reassign each, then the results."""
    company = company_of(request)
    overview = admin_url(request, "task_list")
    data = request.POST if request.method == "POST" else None
    raw_items = (request.POST if data is not None else request.GET).getlist("item")
    pairs = selected_pairs(raw_items)
    if pairs is None:
        messages.error(request, _("Select at least one task."))
        return redirect(overview)
    form = ReassignForm(
        data, candidates=reassign_candidates(company=company), raw_items=raw_items
    )
    tasks = admin_tasks_in(company=company, task_ids=[pk for pk, _v in pairs])
    if data is None or not form.is_valid():
        return render(
            request,
            "documents/admin/task_reassign.html",
            page_context(
                request,
                form=form,
                rows=[_confirm_row(request, tasks.get(pk), pk, v) for pk, v in pairs],
                back_url=overview,
            ),
            status=200 if data is None else 400,
        )
    to_employee = form.cleaned_data["to_employee"]
    results = tasks_admin_reassign(
        items=form.cleaned_data["items"],
        company_id=company.pk,
        to_employee=to_employee,
        admin_user=request.user,
        comment=form.cleaned_data["comment"],
    )
    done = sum(1 for result in results if result.ok)
    messages.info(
        request,
        ngettext(
            "%(done)d of %(all)d task reassigned to %(name)s.",
            "%(done)d of %(all)d tasks reassigned to %(name)s.",
            len(results),
        )
        % {"done": done, "all": len(results), "name": to_employee.name},
    )
    return render(
        request,
        "documents/admin/bulk_results.html",
        page_context(
            request,
            title=_("Reassign tasks"),
            results=[
                {
                    "result": result,
                    "label": _task_label(tasks.get(result.item_id), result.item_id),
                    "url": (
                        admin_url(
                            request,
                            "document_detail",
                            tasks[result.item_id].document_id,
                        )
                        if result.item_id in tasks
                        else ""
                    ),
                    "done_text": _("Reassigned to %(name)s")
                    % {"name": to_employee.name},
                }
                for result in results
            ],
            back_url=overview,
            back_label=_("Back to the task overview"),
        ),
    )


def _confirm_row(
    request: HttpRequest, task: Task | None, task_id: int, version: int
) -> dict[str, object]:
    refused = ""
    if task is None:
        refused = _("No such task.")
    elif task.document.version != version:
        refused = _("Its document changed since the list was shown: it will be left.")
    elif REASSIGN not in available_admin_task_actions(task=task, user=request.user):
        refused = _(
            "Only active, overdue or blocked approval tasks whose step still takes "
            "decisions can be reassigned: it will be left."
        )
    return {
        "id": task_id,
        "version": version,
        "task": task,
        "refused": refused,
    }


def _task_label(task: Task | None, task_id: int) -> str:
    if task is None:
        return _("Task %(id)d") % {"id": task_id}
    document = task.document
    return _("%(type)s %(reference)s · %(step)s · %(name)s") % {
        "type": document.get_document_type_display(),
        "reference": document.erp_reference,
        "step": task.step_run.name,
        "name": task.assignee.name,
    }
