"""What the approver pages share: the caller's companies, employee and preferences.

The pages live outside `/c/<company>/` because a person sees one task list across all
their companies (DOMAIN §1); each action finds the acting employee in the company of
the task it touches, never in a company picked by the URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from core.exceptions import ApplicationError
from documents.services.common import add_working_days
from orgunits.models import CompanyHoliday, Employee, Membership, UserPreference
from orgunits.selectors import membership_list_for_user

_MEMBERSHIPS_ATTR = "_signoff_memberships"


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (`request.htmx`)."""

    htmx: HtmxDetails


def memberships_of(request: HttpRequest) -> Sequence[Membership]:
    """The caller's memberships (with their companies), read once per request.

    The navigation's company switcher and the pages' company filters both need them;
    caching on the request keeps that to one query.
    """
    cached: Sequence[Membership] | None = getattr(request, _MEMBERSHIPS_ATTR, None)
    if cached is None:
        cached = tuple(membership_list_for_user(user=request.user))
        setattr(request, _MEMBERSHIPS_ATTR, cached)
    return cached


def preference_for(user: AbstractBaseUser | AnonymousUser) -> UserPreference:
    """The login's preferences, or unsaved defaults when it never changed them.

    Reading never writes: a row appears only once the person saves their settings.
    """
    if user.is_authenticated:
        found = UserPreference.objects.filter(user_id=user.pk).first()
        if found is not None:
            return found
        return UserPreference(user_id=user.pk)
    return UserPreference()


def acting_employee(
    *, user: AbstractBaseUser | AnonymousUser, company_id: int
) -> Employee | None:
    """The login's own active employee in the company: who acts on its tasks."""
    if not user.is_authenticated:
        return None
    return (
        Employee.objects.filter(company_id=company_id, user_id=user.pk, active=True)
        .order_by("pk")
        .first()
    )


def oversees(memberships: Sequence[Membership], company_id: int) -> bool:
    """Administrator or system viewer of the company: sees why approvers were chosen."""
    return any(
        m.company_id == company_id and (m.is_system_admin or m.is_system_viewer)
        for m in memberships
    )


def error_text(error: ApplicationError | ValidationError) -> str:
    """A refusal as one sentence for `messages`."""
    if isinstance(error, ApplicationError):
        return error.message
    return " ".join(error.messages)


def soon_overdue_until(
    *, company_ids: Sequence[int], days: int, today: date
) -> dict[int, date]:
    """Per company, the last due date that counts as "soon overdue" for the person.

    `days` are working days of each company's calendar, like the due dates themselves
    (DOMAIN §6). One query for all companies: the task list spans them, and a query
    per company would grow with the number of memberships.
    """
    if not company_ids:
        return {}
    if days <= 0:
        return dict.fromkeys(company_ids, today)
    # Weekends and holidays stretch the window; this span covers weeks of closure.
    window_end = today + timedelta(days=days * 2 + 60)
    holidays: dict[int, set[date]] = {company_id: set() for company_id in company_ids}
    rows = CompanyHoliday.objects.filter(
        company_id__in=company_ids, date__gt=today, date__lte=window_end
    ).values_list("company_id", "date")
    for company_id, day in rows:
        holidays[company_id].add(day)
    return {
        company_id: add_working_days(today, days, holidays[company_id])
        for company_id in company_ids
    }
