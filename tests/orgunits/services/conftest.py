"""Setup shared by the orgunits service tests: one company, its admin, and people."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AbstractUser
from pytest_django import Settings

from orgunits.models import Company, DocumentType, Employee
from tests.factories.orgunits import CompanyFactory, EmployeeFactory, MembershipFactory

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@dataclass
class Office:
    company: Company
    admin: AbstractUser
    anna: Employee
    berit: Employee
    carl: Employee
    dina: Employee


@pytest.fixture(autouse=True)
def oslo_time(settings: Settings) -> None:
    """Messages show local time; pin the zone so they read the same on every machine."""
    settings.TIME_ZONE = "Europe/Oslo"


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def office(db: None) -> Office:
    """Anna approves invoices and expenses; Berit only invoices; Carl and Dina nothing."""
    company = CompanyFactory(name="Acme")
    admin = MembershipFactory(company=company, admin=True).user
    return Office(
        company=company,
        admin=admin,
        anna=EmployeeFactory(
            company=company,
            name="Anna",
            rights=[DocumentType.PURCHASE_INVOICE, DocumentType.EXPENSE_CLAIM],
        ),
        berit=EmployeeFactory(
            company=company, name="Berit", rights=[DocumentType.PURCHASE_INVOICE]
        ),
        carl=EmployeeFactory(company=company, name="Carl", with_login=True),
        dina=EmployeeFactory(company=company, name="Dina", with_login=True),
    )
