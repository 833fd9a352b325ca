"""Settings: personal preferences and, per company, my substitute (DOMAIN §5, §6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError
from documents.forms import PreferenceForm, SubstituteForm, SubstituteMode
from documents.views.common import (
    HtmxHttpRequest,
    error_text,
    memberships_of,
    preference_for,
)
from orgunits.models import Company, Employee, Substitution
from orgunits.selectors import employee_list
from orgunits.services import substitution_end, substitution_set


@dataclass(frozen=True)
class CompanySubstitute:
    """My substitute in one company: what is set now and the form to change it."""

    company: Company
    employee: Employee
    mine: Sequence[Substitution]
    form: SubstituteForm


def _not_ended() -> Q:
    return Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now())


def _candidates(employee: Employee) -> QuerySet[Employee]:
    return (
        employee_list(company=employee.company)
        .filter(active=True)
        .exclude(pk=employee.pk)
    )


def _initial(rows: Sequence[Substitution]) -> dict[str, object]:
    """The form as the current (or next) substitution reads."""
    if not rows:
        return {"mode": SubstituteMode.INACTIVE}
    row = rows[0]
    now = timezone.now()
    if row.starts_at <= now and row.ends_at is None:
        return {"mode": SubstituteMode.NOW, "substitute": row.substitute_id}
    return {
        "mode": SubstituteMode.PERIOD,
        "substitute": row.substitute_id,
        "starts_on": timezone.localdate(row.starts_at),
        # Periods end at midnight after their last day: show that last day.
        "ends_on": (
            None
            if row.ends_at is None
            else timezone.localdate(row.ends_at - timedelta(seconds=1))
        ),
    }


def _employees(request: HtmxHttpRequest) -> list[Employee]:
    company_ids = [m.company_id for m in memberships_of(request)]
    return list(
        Employee.objects.filter(
            user_id=request.user.pk, active=True, company_id__in=company_ids
        )
        .select_related("company")
        .order_by("company__name")
    )


def _render_settings(
    request: HtmxHttpRequest,
    *,
    preference_form: PreferenceForm | None = None,
    bound: Mapping[str, SubstituteForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    employees = _employees(request)
    rows = (
        Substitution.objects.filter(principal__in=employees)
        .filter(_not_ended())
        .select_related("substitute")
        .order_by("starts_at")
    )
    mine: dict[int, list[Substitution]] = {}
    for row in rows:
        mine.setdefault(row.principal_id, []).append(row)
    standing_in = (
        Substitution.objects.filter(substitute__in=employees)
        .filter(_not_ended())
        .select_related("principal", "company")
        .order_by("starts_at")
    )
    sections = []
    for employee in employees:
        code = employee.company.code
        current = mine.get(employee.pk, [])
        form = (bound or {}).get(code) or SubstituteForm(
            prefix=code, initial=_initial(current), candidates=_candidates(employee)
        )
        sections.append(
            CompanySubstitute(
                company=employee.company, employee=employee, mine=current, form=form
            )
        )
    return render(
        request,
        "documents/settings.html",
        {
            "preference_form": preference_form
            or PreferenceForm(instance=preference_for(request.user)),
            "sections": sections,
            "standing_in": standing_in,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def settings_page(request: HtmxHttpRequest) -> HttpResponse:
    """GET shows the settings; POST saves the preferences."""
    if request.method == "GET":
        return _render_settings(request)
    form = PreferenceForm(request.POST, instance=preference_for(request.user))
    if not form.is_valid():
        return _render_settings(request, preference_form=form, status=400)
    # A plain settings row without side effects: the ModelForm saves it.
    form.save()
    messages.success(request, _("Your preferences are saved."))
    return redirect("documents:settings")


@require_POST
@login_required
def substitute_set(request: HtmxHttpRequest, company_code: str) -> HttpResponse:
    """Set, change or switch off my substitute in one company."""
    employee = next(
        (e for e in _employees(request) if e.company.code == company_code), None
    )
    if employee is None:
        raise Http404("No such company.")
    form = SubstituteForm(
        request.POST, prefix=company_code, candidates=_candidates(employee)
    )
    if not form.is_valid():
        return _render_settings(request, bound={company_code: form}, status=400)
    try:
        if form.cleaned_data["mode"] == SubstituteMode.INACTIVE:
            current = Substitution.objects.filter(principal=employee).filter(
                _not_ended()
            )
            for row in current:
                substitution_end(substitution=row, actor=request.user)
            messages.success(
                request,
                _("You have no substitute in %(company)s now.")
                % {"company": employee.company.name},
            )
            return redirect("documents:settings")
        starts_at, ends_at = form.period()
        result = substitution_set(
            company=employee.company,
            principal=employee,
            substitute=form.cleaned_data["substitute"],
            starts_at=starts_at,
            ends_at=ends_at,
            actor=request.user,
            replace_current=True,
        )
    except ApplicationError as error:
        form.add_error(None, error_text(error))
        return _render_settings(request, bound={company_code: form}, status=400)
    for warning in result.warnings:
        messages.warning(request, warning)
    messages.success(
        request,
        _("%(name)s is your substitute in %(company)s.")
        % {
            "name": result.substitution.substitute.name,
            "company": employee.company.name,
        },
    )
    return redirect("documents:settings")
