"""Due-date settings: the document due-date default and the holiday calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from orgunits.models import CompanyHoliday
from tests.orgunits.views.conftest import Setup, assert_constant_queries

pytestmark = pytest.mark.django_db


def test_set_and_clear_the_due_default(setup: Setup) -> None:
    admin = setup.client()
    url = setup.url("due_defaults_save")
    assert (
        admin.post(
            url, {"mode": "day", "day_of_month": 31, "after_days": 10}
        ).status_code
        == 302
    )
    setup.company.refresh_from_db()
    assert (
        setup.company.document_due_day_of_month,
        setup.company.document_due_after_days,
    ) == (31, None)
    assert 'value="31"' in admin.get(setup.url("due_dates")).content.decode()
    assert admin.post(url, {"mode": "after", "after_days": 14}).status_code == 302
    setup.company.refresh_from_db()
    assert (
        setup.company.document_due_day_of_month,
        setup.company.document_due_after_days,
    ) == (None, 14)
    assert admin.post(url, {"mode": "none"}).status_code == 302
    setup.company.refresh_from_db()
    assert (
        setup.company.document_due_day_of_month,
        setup.company.document_due_after_days,
    ) == (None, None)


@pytest.mark.parametrize(
    "data",
    [
        {"mode": "day", "day_of_month": 32},
        {"mode": "day", "day_of_month": 0},
        {"mode": "day"},
        {"mode": "after", "after_days": 367},
        {"mode": "after", "after_days": "soon"},
        {"mode": "sometimes"},
        {},
    ],
)
def test_bad_defaults_are_form_errors(setup: Setup, data: dict[str, object]) -> None:
    response = setup.client().post(setup.url("due_defaults_save"), data)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    setup.company.refresh_from_db()
    assert setup.company.document_due_day_of_month is None
    assert setup.company.document_due_after_days is None


def test_add_and_remove_holidays(setup: Setup) -> None:
    admin = setup.client()
    response = admin.post(
        setup.url("holiday_create"), {"date": "2026-12-24", "name": "Christmas Eve"}
    )
    assert response.status_code == 302
    holiday = CompanyHoliday.objects.get(company=setup.company)
    assert "Christmas Eve" in admin.get(setup.url("due_dates")).content.decode()
    response = admin.post(
        setup.url("holiday_create"), {"date": "2026-12-24", "name": "Again"}
    )
    assert response.status_code == 200
    assert "already a holiday" in response.content.decode()
    assert admin.post(setup.url("holiday_delete", pk=holiday.pk)).status_code == 302
    assert not CompanyHoliday.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2026-12-26", "name": "Saturday"}, "weekend day"),
        ({"date": "2026-02-30", "name": "Nope"}, "Enter a valid date"),
        ({"date": "", "name": "Nope"}, "This field is required"),
        ({"date": "2026-12-28", "name": "   "}, "This field is required"),
    ],
)
def test_bad_holidays_are_form_errors(
    setup: Setup, data: dict[str, str], message: str
) -> None:
    response = setup.client().post(setup.url("holiday_create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CompanyHoliday.objects.exists()


def test_another_company_holiday_is_404(setup: Setup) -> None:
    foreign = CompanyHoliday.objects.create(
        company=setup.other, date=date(2026, 5, 1), name="May Day"
    )
    assert (
        setup.client().post(setup.url("holiday_delete", pk=foreign.pk)).status_code
        == 404
    )
    assert CompanyHoliday.objects.filter(pk=foreign.pk).exists()


def test_list_queries_do_not_grow_with_holidays(setup: Setup) -> None:
    def add(n: int) -> None:
        start = date(2026, 1, 1) + timedelta(days=CompanyHoliday.objects.count())
        for i in range(n):
            CompanyHoliday.objects.create(
                company=setup.company, date=start + timedelta(days=i), name=f"H{i}"
            )

    assert_constant_queries(setup.client(), setup.url("due_dates"), add)
