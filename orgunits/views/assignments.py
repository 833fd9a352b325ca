"""Approvers per department, project (or project task) and branch, and the exceptions
per requester: one list, one form and one delete confirmation per kind.

The kinds differ only in the unit they point at, so one set of views serves all four,
told apart by the `kind` the URL passes (see `orgunits.urls`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits import selectors
from orgunits.access import Access, company_view
from orgunits.forms import (
    BranchApproverForm,
    DepartmentApproverForm,
    ProjectApproverForm,
    RequesterExceptionForm,
)
from orgunits.models import Company
from orgunits.services_assignments import (
    Assignment,
    assignment_delete,
    branch_approver_save,
    department_approver_save,
    project_approver_save,
    requester_exception_save,
)
from orgunits.views.common import (
    add_service_error,
    company_of,
    page_context,
    paginate,
    row_or_404,
)


def _unit(obj: Any) -> str:
    return f"{obj.code} {obj.name}".strip()


@dataclass(frozen=True)
class Kind:
    """One kind of assignment as the pages show it."""

    slug: str
    title: Promise
    intro: Promise
    form: type[forms.Form]
    unit_fields: tuple[str, ...]
    list_rows: Callable[[Company], QuerySet[Any]]
    save: Callable[..., Assignment]
    search: Callable[[str], Q]
    unit_label: Promise
    describe: Callable[[Any], str]


KINDS: dict[str, Kind] = {
    "department": Kind(
        slug="department",
        title=gettext_lazy("Department approvers"),
        intro=gettext_lazy(
            "Workflow steps that find approvers by department use these rows: the "
            "approvers with the step's role for the document's department."
        ),
        form=DepartmentApproverForm,
        unit_fields=("department",),
        list_rows=lambda c: selectors.department_approver_list(company=c).order_by(
            "department__code", "role__name", "approver__name", "pk"
        ),
        save=department_approver_save,
        search=lambda q: (
            Q(department__code__icontains=q) | Q(department__name__icontains=q)
        ),
        unit_label=gettext_lazy("Department"),
        describe=lambda row: _unit(row.department),
    ),
    "project": Kind(
        slug="project",
        title=gettext_lazy("Project approvers"),
        intro=gettext_lazy(
            "Approvers per project, or per project task: a row for the task is used "
            "for lines of that task, the project's rows for its other lines."
        ),
        form=ProjectApproverForm,
        unit_fields=("project", "task"),
        list_rows=lambda c: selectors.project_approver_list(company=c).order_by(
            "project__code", "task__code", "role__name", "approver__name", "pk"
        ),
        save=project_approver_save,
        search=lambda q: (
            Q(project__code__icontains=q)
            | Q(project__name__icontains=q)
            | Q(task__code__icontains=q)
        ),
        unit_label=gettext_lazy("Project / task"),
        describe=lambda row: (
            _unit(row.project) + (f" / {row.task.code}" if row.task else "")
        ),
    ),
    "branch": Kind(
        slug="branch",
        title=gettext_lazy("Branch approvers"),
        intro=gettext_lazy(
            "Workflow steps that find approvers by branch use these rows."
        ),
        form=BranchApproverForm,
        unit_fields=("branch",),
        list_rows=lambda c: selectors.branch_approver_list(company=c).order_by(
            "branch__code", "role__name", "approver__name", "pk"
        ),
        save=branch_approver_save,
        search=lambda q: Q(branch__code__icontains=q) | Q(branch__name__icontains=q),
        unit_label=gettext_lazy("Branch"),
        describe=lambda row: _unit(row.branch),
    ),
    "exception": Kind(
        slug="exception",
        title=gettext_lazy("Requester exceptions"),
        intro=gettext_lazy(
            "For one requester, other approvers than the general rule: an exception "
            "with a role overrides the cost-unit, department, project and branch rows "
            "for that role."
        ),
        form=RequesterExceptionForm,
        unit_fields=("requester",),
        list_rows=lambda c: selectors.requester_exception_list(company=c).order_by(
            "requester__name", "role__name", "approver__name", "pk"
        ),
        save=requester_exception_save,
        search=lambda q: (
            Q(requester__name__icontains=q) | Q(requester__number__icontains=q)
        ),
        unit_label=gettext_lazy("Requester"),
        describe=lambda row: f"{row.requester.name} ({row.requester.number})",
    ),
}


def _kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError as error:
        raise Http404("No such kind of assignment.") from error


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def assignment_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    rows = spec.list_rows(company_of(request))
    q = request.GET.get("q", "").strip()[:100]
    if q:
        rows = rows.filter(
            spec.search(q) | Q(approver__name__icontains=q) | Q(role__name__icontains=q)
        )
    page, query = paginate(request, rows)
    shown = [(row, spec.describe(row)) for row in page]
    return render(
        request,
        "orgunits/assignment_list.html",
        page_context(request, kind=spec, page=page, rows=shown, q=q, query=query),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def assignment_edit(
    request: HttpRequest, kind: str, pk: int | None = None
) -> HttpResponse:
    """Add a row, or change one (its unit, role and approver)."""
    spec = _kind(kind)
    company = company_of(request)
    row = row_or_404(spec.list_rows(company), pk) if pk is not None else None
    initial = {}
    if row is not None:
        initial = {
            name: getattr(row, f"{name}_id")
            for name in (*spec.unit_fields, "role", "approver")
        }
    form = spec.form(
        request.POST if request.method == "POST" else None,
        company=company,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in (*spec.unit_fields,)}
        try:
            spec.save(
                company=company,
                assignment=row,
                role=form.cleaned_data["role"],
                approver=form.cleaned_data["approver"],
                actor=request.user,
                **values,
            )
        except (ApplicationError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Saved. New tasks use it; open tasks keep their approvers."),
            )
            return redirect(f"orgunits:{spec.slug}_list", company_code=company.code)
    return render(
        request,
        "orgunits/form_page.html",
        page_context(
            request,
            form=form,
            title=(_("Change: %(kind)s") if row else _("Add: %(kind)s"))
            % {"kind": spec.title},
            intro=spec.intro,
            back_url_name=f"orgunits:{spec.slug}_list",
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def assignment_delete_view(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = _kind(kind)
    company = company_of(request)
    row = row_or_404(spec.list_rows(company), pk)
    if request.method == "POST":
        try:
            assignment_delete(assignment=row, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Deleted. Open tasks keep the approvers they have.")
            )
        return redirect(f"orgunits:{spec.slug}_list", company_code=company.code)
    return render(
        request,
        "orgunits/confirm.html",
        page_context(
            request,
            title=_("Delete this row?"),
            intro=_(
                "%(unit)s: %(approver)s as %(role)s. Tasks already assigned stay with "
                "their approver; new documents no longer route here."
            )
            % {
                "unit": spec.describe(row),
                "approver": row.approver.name,
                "role": row.role.name,
            },
            button=_("Delete"),
            back_url_name=f"orgunits:{spec.slug}_list",
        ),
    )
