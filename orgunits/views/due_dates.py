"""Due-date settings (DOMAIN §6): the document due-date default and the holidays that
task due dates skip."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits.access import Access, company_view
from orgunits.forms import DueDefaultsForm, HolidayForm
from orgunits.models import Company, CompanyHoliday
from orgunits.services_calendar import (
    company_holiday_create,
    company_holiday_delete,
    company_set_due_defaults,
)
from orgunits.views.common import (
    add_service_error,
    company_of,
    page_context,
    paginate,
    row_or_404,
)


def _render(
    request: HttpRequest,
    *,
    defaults: DueDefaultsForm | None = None,
    holiday: HolidayForm | None = None,
) -> HttpResponse:
    company = company_of(request)
    holidays = CompanyHoliday.objects.filter(company=company).order_by("-date")
    page, query = paginate(request, holidays)
    return render(
        request,
        "orgunits/due_dates.html",
        page_context(
            request,
            defaults=defaults
            or DueDefaultsForm(initial=DueDefaultsForm.initial_for(company)),
            holiday=holiday or HolidayForm(),
            page=page,
            query=query,
        ),
    )


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def due_dates(request: HttpRequest) -> HttpResponse:
    return _render(request)


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["POST"])
def due_defaults_save(request: HttpRequest) -> HttpResponse:
    company: Company = company_of(request)
    form = DueDefaultsForm(request.POST)
    if form.is_valid():
        day, after = form.values()
        try:
            company_set_due_defaults(
                company=company,
                due_day_of_month=day,
                due_after_days=after,
                actor=request.user,
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "The due-date default is saved; it applies to documents received "
                    "from now on."
                ),
            )
            return redirect("orgunits:due_dates", company_code=company.code)
    return _render(request, defaults=form)


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["POST"])
def holiday_create(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            company_holiday_create(
                company=company,
                day=form.cleaned_data["date"],
                name=form.cleaned_data["name"],
                actor=request.user,
            )
        except ApplicationError as error:
            add_service_error(form, error, field="date")
        else:
            messages.success(
                request,
                _("Holiday added; tasks activated from now on skip it."),
            )
            return redirect("orgunits:due_dates", company_code=company.code)
    return _render(request, holiday=form)


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["POST"])
def holiday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_of(request)
    holiday = row_or_404(CompanyHoliday.objects.filter(company=company), pk)
    try:
        company_holiday_delete(holiday=holiday, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Holiday %(date)s removed.") % {"date": f"{holiday.date:%Y-%m-%d}"},
        )
    return redirect("orgunits:due_dates", company_code=company.code)
