"""What every workflow page shares: the company and role from the URL, 404s, context."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse

from core.exceptions import ApplicationError
from orgunits.models import Company
from workflows import selectors
from workflows.forms import ADD_LINE, ADD_RULE_PREFIX, ADD_STEP, DefinitionEditor
from workflows.models import Workflow


def company_of(request: HttpRequest) -> Company:
    return request.company  # type: ignore[attr-defined, no-any-return]  # set by company_view


def can_write(request: HttpRequest) -> bool:
    return bool(request.membership.is_system_admin)  # type: ignore[attr-defined]  # set by company_view


def workflow_or_404(request: HttpRequest, pk: int) -> Workflow:
    try:
        return selectors.workflow_get(company=company_of(request), pk=pk)
    except Workflow.DoesNotExist as error:
        raise Http404("No such workflow.") from error


def page_context(request: HttpRequest, **values: Any) -> dict[str, Any]:
    return {"company": company_of(request), "can_write": can_write(request), **values}


def error_text(error: ApplicationError | ValidationError) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    return " ".join(error.messages)


def detail_url(request: HttpRequest, workflow: Workflow) -> str:
    return reverse(
        "workflows:detail",
        kwargs={"company_code": company_of(request).code, "pk": workflow.pk},
    )


def posted_editor(request: HttpRequest, workflow: Workflow) -> DefinitionEditor:
    company = company_of(request)
    action = request.POST.get("action", "")
    if action == ADD_STEP or action.startswith(ADD_RULE_PREFIX):
        return DefinitionEditor.with_row_added(
            company=company,
            document_type=workflow.document_type,
            data=request.POST,
            action=action,
        )
    return DefinitionEditor(
        company=company, document_type=workflow.document_type, data=request.POST
    )


def adds_row(request: HttpRequest) -> bool:
    action = request.POST.get("action", "")
    return action in (ADD_STEP, ADD_LINE) or action.startswith(ADD_RULE_PREFIX)
