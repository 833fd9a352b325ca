"""Approver roles: the list with how many rows use each, add, rename, and delete after
showing what goes with the role (DOMAIN §2: removing a role removes its assignments)."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits import selectors
from orgunits.access import Access, company_view
from orgunits.forms import ApproverRoleForm
from orgunits.services import approver_role_delete
from orgunits.services_assignments import approver_role_create, approver_role_rename
from orgunits.views.common import (
    add_service_error,
    company_of,
    page_context,
    row_or_404,
)


def usage_lines(counts: dict[str, int]) -> list[tuple[str, int]]:
    """(readable kind, count) for the kinds with rows, e.g. ("department approvers", 3)."""
    lines = []
    for label, count in counts.items():
        if count:
            model = apps.get_model(label)
            lines.append((str(model._meta.verbose_name_plural), count))
    return sorted(lines)


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def role_list(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    usage = selectors.approver_role_usage_by_role(company=company)
    roles = [
        (role, usage_lines(usage.get(role.pk, {})))
        for role in selectors.approver_role_list(company=company)
    ]
    return render(
        request,
        "orgunits/role_list.html",
        page_context(request, roles=roles, form=ApproverRoleForm()),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a role (pk None) or rename one."""
    company = company_of(request)
    role = (
        row_or_404(selectors.approver_role_list(company=company), pk)
        if pk is not None
        else None
    )
    form = ApproverRoleForm(
        request.POST if request.method == "POST" else None,
        initial={"name": role.name} if role else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if role is None:
                approver_role_create(
                    company=company, name=form.cleaned_data["name"], actor=request.user
                )
            else:
                approver_role_rename(
                    role=role, name=form.cleaned_data["name"], actor=request.user
                )
        except ApplicationError as error:
            add_service_error(form, error, field="name")
        else:
            messages.success(request, _("The role is saved."))
            return redirect("orgunits:role_list", company_code=company.code)
    return render(
        request,
        "orgunits/form_page.html",
        page_context(
            request,
            form=form,
            title=_("Rename role") if role else _("Add role"),
            intro=_(
                "Workflow steps pick approvers by role; a new role is used once rows "
                "and steps name it."
            ),
            back_url_name="orgunits:role_list",
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def role_delete(request: HttpRequest, pk: int) -> HttpResponse:
    company = company_of(request)
    role = row_or_404(selectors.approver_role_list(company=company), pk)
    if request.method == "POST":
        try:
            counts = approver_role_delete(role=role, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            removed = sum(counts.values())
            messages.success(
                request,
                _("Role “%(name)s” deleted with %(count)d rows that used it.")
                % {"name": role.name, "count": removed},
            )
        return redirect("orgunits:role_list", company_code=company.code)
    if role.is_default:
        messages.error(
            request,
            _("“%(name)s” is the default approver role and cannot be deleted.")
            % {"name": role.name},
        )
        return redirect("orgunits:role_list", company_code=company.code)
    usage = usage_lines(selectors.approver_role_usage(role=role))
    return render(
        request,
        "orgunits/confirm.html",
        page_context(
            request,
            title=_("Delete role “%(name)s”?") % {"name": role.name},
            intro=_(
                "These rows use the role and are deleted with it. Tasks already "
                "assigned stay with their approvers."
            )
            if usage
            else _("No rows use this role."),
            usage=usage,
            button=_("Delete role and its rows"),
            back_url_name="orgunits:role_list",
        ),
    )
