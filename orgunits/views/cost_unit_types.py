"""Cost unit types: which segments route approvers and in which order (the hierarchy),
and the name and active flag of types created in Signoff (synced ones are the ERP's)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits import selectors
from orgunits.access import Access, company_view
from orgunits.forms import CostUnitTypeForm, RoutingMoveForm
from orgunits.models import CostUnitCombinationValue, CostUnitType
from orgunits.services_assignments import (
    cost_unit_type_set_routing_order,
    cost_unit_type_update,
)
from orgunits.views.common import (
    add_service_error,
    company_of,
    page_context,
    row_or_404,
)


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def cost_unit_type_list(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    types = list(
        selectors.cost_unit_type_list(company=company).annotate(
            unit_count=Count("units", distinct=True),
        )
    )
    # How many combination rows hold a value for each type: shown as a warning before
    # a type stops routing (its values are then ignored, not deleted).
    used = dict(
        CostUnitCombinationValue.objects.filter(company=company)
        .exclude(match=CostUnitCombinationValue.Match.ANY)
        .values("type")
        .annotate(n=Count("combination", distinct=True))
        .values_list("type", "n")
    )
    routing = sorted(
        (t for t in types if t.routing_position is not None),
        key=lambda t: t.routing_position or 0,
    )
    unused = [t for t in types if t.routing_position is None]
    return render(
        request,
        "orgunits/cost_unit_type_list.html",
        page_context(
            request,
            routing=[(t, used.get(t.pk, 0)) for t in routing],
            unused=[(t, used.get(t.pk, 0)) for t in unused],
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["POST"])
def cost_unit_type_move(request: HttpRequest) -> HttpResponse:
    """Move a type up or down in the routing order, or select or unselect it."""
    company = company_of(request)
    form = RoutingMoveForm(request.POST, company=company)
    if not form.is_valid():
        messages.error(request, _("That cost unit type or change is not known here."))
        return redirect("orgunits:cost_unit_types", company_code=company.code)
    current = list(
        CostUnitType.objects.filter(company=company, routing_position__isnull=False)
        .order_by("routing_position")
        .values_list("pk", flat=True)
    )
    order = form.new_order(current)
    if order != current:
        try:
            cost_unit_type_set_routing_order(
                company=company, ordered_type_ids=order, actor=request.user
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "The routing order is saved. Existing combination rows are kept; "
                    "new documents are routed with the new order."
                ),
            )
            if form.cleaned_data["action"] == "unselect":
                messages.warning(
                    request,
                    _(
                        "“%(name)s” no longer routes: its values in combination rows "
                        "are ignored until it is selected again."
                    )
                    % {"name": form.cleaned_data["type"].name},
                )
    return redirect("orgunits:cost_unit_types", company_code=company.code)


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def cost_unit_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename or (de)activate a type created in Signoff."""
    company = company_of(request)
    unit_type = row_or_404(
        CostUnitType.objects.filter(company=company).filter(~Q(erp_synced=True)), pk
    )
    form = CostUnitTypeForm(
        request.POST if request.method == "POST" else None,
        initial={"name": unit_type.name, "active": unit_type.active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            cost_unit_type_update(
                cost_unit_type=unit_type,
                name=form.cleaned_data["name"],
                active=form.cleaned_data["active"],
                actor=request.user,
            )
        except ApplicationError as error:
            add_service_error(form, error, field="name")
        else:
            messages.success(request, _("The cost unit type is saved."))
            return redirect("orgunits:cost_unit_types", company_code=company.code)
    return render(
        request,
        "orgunits/form_page.html",
        page_context(
            request,
            form=form,
            title=_("Cost unit type %(segment)s") % {"segment": unit_type.segment_id},
            intro=_(
                "This type was created in Signoff, so its name and state are yours."
            ),
            back_url_name="orgunits:cost_unit_types",
        ),
    )
