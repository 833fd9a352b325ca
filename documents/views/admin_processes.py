"""The administrators' process overview: every approval round, active and finished.

A list of processes, not of documents: a document sent again after a rejection or a
cancellation has one process per round, each with its own workflow version, status
and dates, and those are what this overview filters on. Each row opens the document's
page, which shows every process and the complete history.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from documents.forms_admin import ProcessOverviewForm
from documents.selectors_admin import (
    DEFAULT_PAGE_SIZE,
    process_overview_page,
    workflow_choices,
)
from documents.views.admin_common import (
    admin_url,
    company_of,
    page_context,
    page_links,
)
from orgunits.access import Access, company_view


@company_view(Access.CONFIGURATION_READ)
@require_GET
def process_overview(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    form = ProcessOverviewForm(request.GET, workflows=workflow_choices(company=company))
    query = form.to_query()
    page = process_overview_page(company=company, query=query)
    url = admin_url(request, "process_list")
    base = {
        "status": query.status,
        "workflow": query.workflow_id,
        "type": query.document_type,
        "q": query.search,
        "started_from": query.started_from.isoformat() if query.started_from else "",
        "started_to": query.started_to.isoformat() if query.started_to else "",
        "per_page": None if query.page_size == DEFAULT_PAGE_SIZE else query.page_size,
    }
    return render(
        request,
        "documents/admin/process_list.html",
        page_context(
            request,
            form=form,
            query=query,
            page=page,
            links=page_links(
                url, base, next_key=page.next_key, previous_key=page.previous_key
            ),
            clear_url=url,
        ),
    )
