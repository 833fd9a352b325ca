"""The approver configuration home: what the company has set up, with links."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from orgunits.access import Access, company_view
from orgunits.models import (
    ApproverRole,
    BranchApprover,
    CompanyHoliday,
    CostUnitCombination,
    CostUnitType,
    DepartmentApprover,
    ProjectApprover,
    RequesterException,
    Substitution,
)
from orgunits.views.common import company_of, page_context


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def setup_home(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    today = timezone.localdate()
    hierarchy = list(
        CostUnitType.objects.filter(company=company, routing_position__isnull=False)
        .order_by("routing_position")
        .values_list("name", flat=True)
    )

    def count(model: type) -> int:
        return int(model._default_manager.filter(company=company).count())

    counts = {
        "roles": count(ApproverRole),
        "types": count(CostUnitType),
        "combinations": count(CostUnitCombination),
        "departments": count(DepartmentApprover),
        "projects": count(ProjectApprover),
        "branches": count(BranchApprover),
        "exceptions": count(RequesterException),
        "substitutions": Substitution.objects.filter(company=company)
        .active_at()
        .count(),
        "holidays": CompanyHoliday.objects.filter(
            company=company, date__gte=today
        ).count(),
    }
    return render(
        request,
        "orgunits/home.html",
        page_context(request, counts=counts, hierarchy=hierarchy),
    )
