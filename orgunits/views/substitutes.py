"""Substitutes for everyone (DOMAIN §5): the company's substitutions (current, upcoming,
past), setting one for any person, ending one. The rules are `substitution_set`'s: its
refusals show on the form, its warnings (missing approver rights) as messages."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits import selectors
from orgunits.access import Access, company_view
from orgunits.forms import (
    SUBSTITUTION_ERROR_FIELD,
    SubstitutionFilterForm,
    SubstitutionSetForm,
)
from orgunits.services import substitution_end, substitution_set
from orgunits.views.common import (
    add_service_error,
    company_of,
    page_context,
    paginate,
    row_or_404,
)


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def substitution_list(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    now = timezone.now()
    filters = SubstitutionFilterForm(request.GET)
    when, q = "current", ""
    if filters.is_valid():
        when = filters.cleaned_data["when"] or "current"
        q = filters.cleaned_data["q"].strip()
    rows = selectors.substitution_list(company=company).select_related("created_by")
    if when == "current":
        rows = rows.active_at(now).order_by("principal__name", "starts_at", "pk")
    elif when == "upcoming":
        rows = rows.filter(starts_at__gt=now).order_by("starts_at", "pk")
    elif when == "past":
        rows = rows.filter(ends_at__lte=now).order_by("-ends_at", "-pk")
    else:
        rows = rows.order_by("-starts_at", "-pk")
    if q:
        rows = rows.filter(
            Q(principal__name__icontains=q)
            | Q(principal__number__icontains=q)
            | Q(substitute__name__icontains=q)
            | Q(substitute__number__icontains=q)
        )
    page, query = paginate(request, rows)
    shown = [
        (row, row.ends_at is None or row.ends_at > now) for row in page
    ]  # (row, can still be ended)
    return render(
        request,
        "orgunits/substitution_list.html",
        page_context(
            request, page=page, rows=shown, query=query, filters=filters, when=when
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def substitution_create(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    form = SubstitutionSetForm(
        request.POST if request.method == "POST" else None,
        company=company,
        initial={"principal": request.GET.get("principal", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = substitution_set(
                company=company,
                principal=data["principal"],
                substitute=data["substitute"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                actor=request.user,
                replace_current=data["replace_current"],
            )
        except ApplicationError as error:
            code = str(error.extra.get("code", ""))
            add_service_error(form, error, field=SUBSTITUTION_ERROR_FIELD.get(code))
            if code == "substitution_principal_has_substitute":
                form.offer_replace = True  # type: ignore[attr-defined]  # for the template
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(
                request,
                _("%(substitute)s now substitutes for %(principal)s as set.")
                % {
                    "substitute": data["substitute"].name,
                    "principal": data["principal"].name,
                },
            )
            return redirect("orgunits:substitution_list", company_code=company.code)
    return render(
        request,
        "orgunits/form_page.html",
        page_context(
            request,
            form=form,
            title=_("Set a substitute"),
            intro=_(
                "The substitute sees the person's existing and new tasks while the "
                "substitution is in force; either may act."
            ),
            back_url_name="orgunits:substitution_list",
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["POST"])
def substitution_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """End a substitution now (one that has not started yet is removed)."""
    company = company_of(request)
    row = row_or_404(selectors.substitution_list(company=company), pk)
    try:
        kept = substitution_end(substitution=row, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if kept is None:
            messages.success(request, _("The upcoming substitution is removed."))
        else:
            messages.success(
                request,
                _("%(substitute)s no longer substitutes for %(principal)s.")
                % {"substitute": row.substitute.name, "principal": row.principal.name},
            )
    return redirect("orgunits:substitution_list", company_code=company.code)
