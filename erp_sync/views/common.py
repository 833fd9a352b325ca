"""What every ERP page shares: the company from the URL, the role, the error text."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.exceptions import ApplicationError
from orgunits.models import Company


def company_of(request: HttpRequest) -> Company:
    return request.company  # type: ignore[attr-defined, no-any-return]  # set by company_view


def can_write(request: HttpRequest) -> bool:
    return bool(request.membership.is_system_admin)  # type: ignore[attr-defined]  # set by company_view


def page_context(request: HttpRequest, **values: Any) -> dict[str, Any]:
    return {"company": company_of(request), "can_write": can_write(request), **values}


def error_text(error: ApplicationError | ValidationError) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    return " ".join(error.messages)
