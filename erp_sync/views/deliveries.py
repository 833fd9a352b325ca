"""Deliveries: the outbox events sent to the ERP, their attempts, and redelivery."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import InvalidTransition
from documents.choices import OutboxStatus
from documents.models import OutboxEvent
from erp_sync import page_selectors
from erp_sync.forms import DeliveryFilterForm, RedeliverForm
from erp_sync.services.relay import outbox_event_redeliver
from erp_sync.views.common import company_of, page_context
from orgunits.access import Access, company_view


@company_view(Access.CONFIGURATION_READ)
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    query = DeliveryFilterForm(request.GET).query()
    page = page_selectors.delivery_page(
        company=company, status=query["status"], before=query["before"]
    )
    return render(
        request,
        "erp_sync/delivery_list.html",
        page_context(
            request,
            page=page,
            status=query["status"] or "",
            counts=page_selectors.delivery_status_counts(company=company),
            statuses=OutboxStatus.choices,
            dead=OutboxStatus.DEAD,
        ),
    )


@company_view(Access.CONFIGURATION_READ)
@require_GET
def delivery_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    try:
        event = page_selectors.delivery_get(
            company=company_of(request), event_id=event_id
        )
    except OutboxEvent.DoesNotExist as error:
        raise Http404("No such delivery.") from error
    payload = json.dumps(
        event.payload, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder
    )
    return render(
        request,
        "erp_sync/delivery_detail.html",
        page_context(request, event=event, payload=payload, dead=OutboxStatus.DEAD),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_POST
def delivery_redeliver(request: HttpRequest) -> HttpResponse:
    """Send one or many failed (dead) deliveries again, each through the service."""
    company = company_of(request)
    form = RedeliverForm(request.POST)
    list_url = reverse("erp_sync:delivery_list", kwargs={"company_code": company.code})
    back = redirect(f"{list_url}?status={OutboxStatus.DEAD}")
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("event_ids", [])))
        return back
    # Another company's ids, or events no longer dead, are left out, never acted on.
    ids = page_selectors.dead_event_ids(
        company=company, event_ids=form.cleaned_data["event_ids"]
    )
    queued = 0
    for event_id in ids:
        try:
            outbox_event_redeliver(event_id=event_id, admin_user=request.user)
        except (InvalidTransition, PermissionDenied):
            continue  # changed meanwhile (e.g. another administrator was quicker)
        queued += 1
    skipped = len(form.cleaned_data["event_ids"]) - queued
    if queued:
        messages.success(
            request,
            ngettext(
                "%(count)d delivery is queued to be sent again now.",
                "%(count)d deliveries are queued to be sent again now.",
                queued,
            )
            % {"count": queued},
        )
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)d chosen delivery was left out: it has not failed (any more).",
                "%(count)d chosen deliveries were left out: they have not failed "
                "(any more).",
                skipped,
            )
            % {"count": skipped},
        )
    if len(ids) == 1 and request.POST.get("from") == "detail":
        return redirect(
            "erp_sync:delivery_detail", company_code=company.code, event_id=ids[0]
        )
    return back
