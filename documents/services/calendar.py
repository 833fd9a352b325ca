"""The company calendar: working days for task due dates, defaults for document ones.

Task due dates count working days per approver (VISMA_RULES §1.11): weekends and the
company's own holidays (`orgunits.CompanyHoliday`) do not count. The arithmetic is
`common.add_working_days`; this module loads the holidays it needs once per call, so
activating a step with many approvers costs one query, not one per person.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from documents.services.common import add_working_days
from orgunits.models import Company, CompanyHoliday


def company_holidays(*, company_id: int, start: date, end: date) -> frozenset[date]:
    """The company's holidays in [start, end]."""
    return frozenset(
        CompanyHoliday.objects.filter(
            company_id=company_id, date__gte=start, date__lte=end
        ).values_list("date", flat=True)
    )


def working_days_add(*, company_id: int, start: date, days: int) -> date:
    """`start` plus `days` working days of the company (weekends and holidays skipped).

    The holidays are read for a window that normally covers the result; a company
    closed for longer than that (a long closure) widens the window and reads again.
    """
    if days <= 0:
        return start
    span = timedelta(days=days * 2 + 14)
    while True:
        end = start + span
        holidays = company_holidays(company_id=company_id, start=start, end=end)
        result = add_working_days(start, days, holidays)
        if result <= end:
            return result
        span *= 2


def document_due_date_default(*, company: Company, received_on: date) -> date | None:
    """The due date of a document the ERP sent without one (VISMA_RULES §2 r15).

    A monthly deadline day gives the next such day on or after receipt, clamped to
    the last day of shorter months (31 → 30 April, 28/29 February); "N days after
    receipt" counts calendar days, as payment terms do. None when the company set
    neither: the document then simply has no due date.
    """
    if company.document_due_day_of_month is not None:
        day = company.document_due_day_of_month
        due = _day_in_month(received_on.year, received_on.month, day)
        if due < received_on:
            year, month = (
                (received_on.year + 1, 1)
                if received_on.month == 12
                else (received_on.year, received_on.month + 1)
            )
            due = _day_in_month(year, month, day)
        return due
    if company.document_due_after_days is not None:
        return received_on + timedelta(days=company.document_due_after_days)
    return None


def _day_in_month(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))
