"""Limit pages: the list and one limit's amounts, one per currency."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits.access import Access, company_view
from workflows import selectors, services
from workflows.forms import LimitAmountFormSet, LimitForm
from workflows.models import Limit
from workflows.views.common import company_of, error_text, page_context


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def limit_list(request: HttpRequest) -> HttpResponse:
    limits = selectors.limit_list(company=company_of(request)).order_by("name")
    return render(
        request, "workflows/limit_list.html", page_context(request, limits=limits)
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def limit_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a limit or change its amounts (one per currency)."""
    company = company_of(request)
    limit: Limit | None = None
    if pk is not None:
        limit = selectors.limit_list(company=company).filter(pk=pk).first()
        if limit is None:
            raise Http404("No such limit.")
    initial = {"name": limit.name, "description": limit.description} if limit else {}
    amounts_initial = (
        [{"currency": a.currency, "amount": a.amount} for a in limit.amounts.all()]
        if limit
        else [{"currency": company.currency}]
    )
    data = request.POST if request.method == "POST" else None
    if data is not None and limit is not None:
        # The name is the limit's key (steps and versions refer to it): fixed here.
        data = data.copy()
        data["name"] = limit.name
    form = LimitForm(data, initial=initial)
    amounts = LimitAmountFormSet(data, prefix="amounts", initial=amounts_initial)
    if data is not None and form.is_valid() and amounts.is_valid():
        name = form.cleaned_data["name"].strip()
        exists = selectors.limit_list(company=company).filter(name=name).exists()
        if limit is None and exists:
            form.add_error(
                "name",
                _("A limit called “%(name)s” exists; open it to change its amounts.")
                % {"name": name},
            )
        else:
            try:
                services.limit_save(
                    company=company,
                    name=name,
                    amounts=amounts.amounts(),
                    description=form.cleaned_data["description"],
                    actor=request.user,
                    comment=form.cleaned_data["comment"],
                )
            except (ApplicationError, ValidationError) as error:
                messages.error(request, error_text(error))
            else:
                messages.success(
                    request,
                    _(
                        "Limit “%(name)s” is saved. Active workflows that use it were "
                        "published again with the new amounts."
                    )
                    % {"name": name},
                )
                return redirect("workflows:limits", company_code=company.code)
    return render(
        request,
        "workflows/limit_edit.html",
        page_context(request, limit=limit, form=form, amounts=amounts),
    )
