"""What every setup page shares: the company from the URL, write access, paging,
and turning a service's refusal into a form error."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.http import urlencode

from core.exceptions import ApplicationError
from orgunits.models import Company

PAGE_SIZE = 50
M = TypeVar("M", bound=Model)


def company_of(request: HttpRequest) -> Company:
    return request.company  # type: ignore[attr-defined, no-any-return]  # set by company_view


def can_write(request: HttpRequest) -> bool:
    return bool(request.membership.is_system_admin)  # type: ignore[attr-defined]  # set by company_view


def page_context(request: HttpRequest, **values: Any) -> dict[str, Any]:
    return {"company": company_of(request), "can_write": can_write(request), **values}


def row_or_404(queryset: QuerySet[M], pk: int) -> M:
    """The company's row `pk` (the queryset is already filtered by company), or 404."""
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise Http404("No such row.")
    return row


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> tuple[Page, str]:
    """One page of rows, and the query string (without `page`) for the page links.

    A page number that is not one (or past the end) shows the nearest page, not an error.
    """
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = {k: v for k, v in request.GET.items() if k != "page"}
    return page, urlencode(keep)


def add_service_error(
    form: forms.Form,
    error: ApplicationError | ValidationError,
    field: str | None = None,
) -> None:
    """Show a service's refusal on the form: on `field` or the field the error names
    (when the form has it), else above the form."""
    if isinstance(error, ValidationError):
        form.add_error(None, " ".join(error.messages))
        return
    named = field or error.extra.get("field")
    form.add_error(named if named in form.fields else None, error.message)
