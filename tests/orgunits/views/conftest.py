"""A company with an administrator, a viewer, a plain approver and another company's
administrator, for the approver setup pages under `/c/<code>/setup/`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgunits.models import ApproverRole, Company, Employee
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    EmployeeFactory,
    MembershipFactory,
)


@dataclass
class Setup:
    company: Company
    other: Company
    role: ApproverRole
    admin: AbstractUser
    viewer: AbstractUser
    approver: AbstractUser
    outsider: AbstractUser
    alice: Employee
    bob: Employee
    carol: Employee

    def url(self, name: str, **kwargs: object) -> str:
        return reverse(
            f"orgunits:{name}", kwargs={"company_code": self.company.code, **kwargs}
        )

    def client(self, who: str = "admin") -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(getattr(self, who))
        return client


@pytest.fixture
def setup(db: None) -> Setup:
    company = CompanyFactory(code="acme", name="Acme")
    other = CompanyFactory(code="other", name="Other")
    role = ApproverRoleFactory(company=company, name="Approver", is_default=True)
    admin = MembershipFactory(company=company, admin=True).user
    viewer = MembershipFactory(company=company, viewer=True).user
    approver = MembershipFactory(company=company, approver=True).user
    outsider = MembershipFactory(company=other, admin=True).user
    return Setup(
        company=company,
        other=other,
        role=role,
        admin=admin,
        viewer=viewer,
        approver=approver,
        outsider=outsider,
        alice=EmployeeFactory(company=company, name="Alice", number="A1"),
        bob=EmployeeFactory(company=company, name="Bob", number="B1"),
        carol=EmployeeFactory(company=company, name="Carol", number="C1"),
    )


def assert_constant_queries(
    client: Client, url: str, add_rows: Callable[[int], object]
) -> None:
    """The page costs as many queries with 20 rows as with 1 (add_rows(n) adds n)."""
    add_rows(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_rows(19)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(url)
        assert response.status_code == 200
    assert len(twenty) == len(one), (
        f"{len(one)} queries with 1 row, {len(twenty)} with 20"
    )
