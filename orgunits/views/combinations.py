"""The cost-unit combination table: one column per routing type in hierarchy order,
each cell a value, Any or (unspecified); add (or copy), change and delete rows; and a
"which row wins" check through the resolver that routing itself uses (DOMAIN §2)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits import selectors
from orgunits.access import Access, company_view
from orgunits.forms import CombinationFilterForm, CombinationForm, WinnerForm
from orgunits.models import Company, CostUnit, CostUnitCombination, CostUnitType
from orgunits.resolver import OrgDirectory, OrgFacts, Resolution
from orgunits.services_combinations import (
    cost_unit_combination_delete,
    cost_unit_combination_save,
    routing_hierarchy,
    row_cells,
)
from orgunits.views.common import (
    add_service_error,
    company_of,
    page_context,
    paginate,
    row_or_404,
)


def _units(company: Company, hierarchy: list[CostUnitType]) -> list[CostUnit]:
    return list(
        CostUnit.objects.filter(company=company, type__in=hierarchy).order_by(
            "type_id", "code"
        )
    )


def _winner(company: Company, form: WinnerForm) -> tuple[Resolution | None, set[int]]:
    """The resolver's answer for the tested values, and the winning row ids."""
    if not form.is_bound or not form.is_valid():
        return None, set()
    facts = OrgFacts(segment_values=form.segment_values())
    directory = OrgDirectory.load(company_id=company.pk, facts=[facts])
    resolution = directory.by_cost_units(
        role_id=form.cleaned_data["role"].pk, facts=facts
    )
    return resolution, {a.row_id for a in resolution.approvers if a.row_id}


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def combination_list(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    hierarchy = routing_hierarchy(company=company)
    rows = selectors.cost_unit_combination_list(company=company).order_by("pk")
    filters = CombinationFilterForm(request.GET or None, company=company)
    if filters.is_bound and filters.is_valid():
        if role := filters.cleaned_data["role"]:
            rows = rows.filter(role=role)
        if q := filters.cleaned_data["q"].strip():
            matching = CostUnitCombination.objects.filter(company=company).filter(
                Q(approver__name__icontains=q)
                | Q(approver__number__icontains=q)
                | Q(values__cost_unit__code__icontains=q)
            )
            rows = rows.filter(pk__in=matching.values("pk"))
    page, query = paginate(request, rows)
    winner_form = WinnerForm(
        request.GET if "t-role" in request.GET else None,
        company=company,
        hierarchy=hierarchy,
        units=_units(company, hierarchy),
        prefix="t",
    )
    resolution, winners = _winner(company, winner_form)
    table = [(row, row_cells(row, hierarchy), row.pk in winners) for row in page]
    return render(
        request,
        "orgunits/combination_list.html",
        page_context(
            request,
            hierarchy=hierarchy,
            table=table,
            page=page,
            query=query,
            filters=filters,
            winner_form=winner_form,
            resolution=resolution,
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def combination_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a row (`?copy=<id>` starts from another row's values) or change one."""
    company = company_of(request)
    hierarchy = routing_hierarchy(company=company)
    if not hierarchy:
        messages.error(
            request,
            _("Select the cost unit types that route approvers first."),
        )
        return redirect("orgunits:cost_unit_types", company_code=company.code)
    listed = selectors.cost_unit_combination_list(company=company)
    row = row_or_404(listed, pk) if pk is not None else None
    source = row
    if source is None and (copy := request.GET.get("copy", "")).isdigit():
        source = listed.filter(pk=int(copy)).first()
    initial: dict[str, Any] = {}
    if source is not None:
        initial = CombinationForm.initial_cells(row_cells(source, hierarchy), hierarchy)
        initial.update(role=source.role_id, approver=source.approver_id)
    form = CombinationForm(
        request.POST if request.method == "POST" else None,
        company=company,
        hierarchy=hierarchy,
        units=_units(company, hierarchy),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            cost_unit_combination_save(
                company=company,
                combination=row,
                role=form.cleaned_data["role"],
                approver=form.cleaned_data["approver"],
                cells=form.cells(),
                actor=request.user,
            )
        except ApplicationError as error:
            field = None
            if (type_id := error.extra.get("type_id")) is not None:
                field = f"cell_{type_id}"
            add_service_error(form, error, field=field)
        else:
            messages.success(
                request,
                _(
                    "The row is saved. New tasks use it; open tasks keep their approvers."
                ),
            )
            return redirect("orgunits:combination_list", company_code=company.code)
    return render(
        request,
        "orgunits/combination_form.html",
        page_context(request, form=form, row=row, hierarchy=hierarchy),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def combination_delete(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_of(request)
    hierarchy = routing_hierarchy(company=company)
    row = row_or_404(selectors.cost_unit_combination_list(company=company), pk)
    if request.method == "POST":
        try:
            cost_unit_combination_delete(combination=row, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Row deleted. Open tasks keep the approvers they have.")
            )
        return redirect("orgunits:combination_list", company_code=company.code)
    cells = " + ".join(
        f"{t.name}={c.cost_unit.code if c.cost_unit else c.match}"
        for t, c in zip(hierarchy, row_cells(row, hierarchy), strict=True)
    )
    return render(
        request,
        "orgunits/confirm.html",
        page_context(
            request,
            title=_("Delete combination row #%(pk)s?") % {"pk": row.pk},
            intro=_("%(cells)s → %(approver)s as %(role)s.")
            % {"cells": cells or "—", "approver": row.approver.name, "role": row.role},
            button=_("Delete"),
            back_url_name="orgunits:combination_list",
        ),
    )
