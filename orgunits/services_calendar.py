"""The company's due-date settings: the document due-date default and the holidays
that task due dates skip (DOMAIN §6, VISMA_RULES §2 r15)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from core.exceptions import ApplicationError
from orgunits.models import Company, CompanyHoliday
from orgunits.services import _require_system_admin


@transaction.atomic
def company_set_due_defaults(
    *,
    company: Company,
    due_day_of_month: int | None,
    due_after_days: int | None,
    actor: AbstractBaseUser,
) -> Company:
    """Set the document due date used when the ERP sends none: a monthly deadline day
    (1–31) or a number of days after receipt (0–366), at most one; both None clears it.

    Raises ApplicationError: not_system_admin, due_defaults_both,
    due_day_of_month_range, due_after_days_range.
    """
    _require_system_admin(company=company, actor=actor)
    if due_day_of_month is not None and due_after_days is not None:
        raise ApplicationError(
            "Choose either a monthly deadline day or a number of days after receipt, "
            "not both.",
            extra={"code": "due_defaults_both"},
        )
    if due_day_of_month is not None and not 1 <= due_day_of_month <= 31:
        raise ApplicationError(
            "The monthly deadline day must be between 1 and 31.",
            extra={"code": "due_day_of_month_range"},
        )
    if due_after_days is not None and not 0 <= due_after_days <= 366:
        raise ApplicationError(
            "The days after receipt must be between 0 and 366.",
            extra={"code": "due_after_days_range"},
        )
    locked = Company.objects.select_for_update().get(pk=company.pk)
    locked.document_due_day_of_month = due_day_of_month
    locked.document_due_after_days = due_after_days
    locked.save(
        update_fields=[
            "document_due_day_of_month",
            "document_due_after_days",
            "updated_at",
        ]
    )
    return locked


@transaction.atomic
def company_holiday_create(
    *, company: Company, day: date, name: str, actor: AbstractBaseUser
) -> CompanyHoliday:
    """Add a non-working day. Only tasks activated afterwards skip it.

    Raises ApplicationError: not_system_admin, holiday_name_empty, holiday_weekend,
    holiday_exists.
    """
    _require_system_admin(company=company, actor=actor)
    clean = " ".join(name.split())
    if not clean:
        raise ApplicationError(
            "Give the holiday a name.", extra={"code": "holiday_name_empty"}
        )
    if len(clean) > 100:
        raise ApplicationError(
            "The holiday name is too long (100 characters at most).",
            extra={"code": "holiday_name_empty"},
        )
    if day.weekday() >= 5:
        # Weekends never count as working days; a holiday there would change nothing
        # and suggest otherwise.
        raise ApplicationError(
            f"{day:%Y-%m-%d} is a weekend day, which is never a working day anyway.",
            extra={"code": "holiday_weekend"},
        )
    existing = CompanyHoliday.objects.filter(company=company, date=day).first()
    if existing is not None:
        raise ApplicationError(
            f"{day:%Y-%m-%d} is already a holiday ({existing.name}).",
            extra={"code": "holiday_exists"},
        )
    try:
        with transaction.atomic():
            return CompanyHoliday.objects.create(company=company, date=day, name=clean)
    except IntegrityError as error:
        raise ApplicationError(
            f"{day:%Y-%m-%d} was just added by someone else.",
            extra={"code": "holiday_exists"},
        ) from error


@transaction.atomic
def company_holiday_delete(*, holiday: CompanyHoliday, actor: AbstractBaseUser) -> None:
    """Remove a holiday; due dates already set are not recalculated."""
    _require_system_admin(company=holiday.company, actor=actor)
    CompanyHoliday.objects.filter(pk=holiday.pk).delete()
