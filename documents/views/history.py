"""My history: the processes the person had a task in, active and finished."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from documents.forms import HistoryFilterForm
from documents.views.common import HtmxHttpRequest
from documents.views.lists import process_page_for_user


def _url(filters: dict[str, str]) -> str:
    params = {key: value for key, value in filters.items() if value}
    query = urlencode(params)
    return reverse("documents:history") + (f"?{query}" if query else "")


@require_GET
@login_required
def history_list(request: HtmxHttpRequest) -> HttpResponse:
    """Newest first, filtered by document type, ERP reference and sender."""
    form = HistoryFilterForm(request.GET)
    query = form.to_query()
    page = process_page_for_user(user=request.user, query=query)
    filters = {
        "type": query.document_type,
        "reference": query.reference,
        "sender": query.sender,
    }
    return render(
        request,
        "documents/history.html",
        {
            "form": form,
            "rows": [(process, page.task_ids.get(process.pk)) for process in page.rows],
            "next_url": (
                None
                if page.next_after is None
                else _url({**filters, "after": str(page.next_after)})
            ),
            "first_url": None if query.after is None else _url(filters),
        },
    )
