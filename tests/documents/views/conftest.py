"""People and documents for the approver page tests.

One company with a two-step workflow (Anna, then Carl), a colleague with the same
right but no part in the document (Bob), a system viewer, an administrator, and a
user of another company. Documents come in through `document_receive` and
`document_route`, so the pages show what the services really wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from documents.models import Document, Task
from documents.services import LineInput
from orgunits.models import Company, Employee
from tests.documents.conftest import person, received_and_routed, task_of
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, MembershipFactory
from tests.factories.workflows import named, step


@dataclass
class Cast:
    company: Company
    anna: Employee
    bob: Employee
    carl: Employee
    viewer: AbstractUser
    admin: AbstractUser
    outsider: Employee

    def document(self, reference: str = "INV-1", **kwargs: Any) -> Document:
        """A routed invoice waiting for Anna (step 1), then Carl (step 2)."""
        kwargs.setdefault(
            "lines",
            (
                LineInput(line_number=1, amount=Decimal("1000.00"), description="Desk"),
                LineInput(line_number=2, amount=Decimal("250.00"), description="Lamp"),
            ),
        )
        return received_and_routed(self.company, reference=reference, **kwargs)

    def task(self, document: Document, employee: Employee | None = None) -> Task:
        return task_of(document, employee or self.anna)


@pytest.fixture
def cast(db: None) -> Cast:
    company = CompanyFactory(name="Nordlys AS")
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    publish_workflow(
        company,
        step(position=1, name="Managers", rules=(named(anna),)),
        step(position=2, name="CFO", rules=(named(carl),)),
    )
    viewer = MembershipFactory(company=company, viewer=True).user
    admin = MembershipFactory(company=company, admin=True).user
    other = CompanyFactory(name="Other Co")
    outsider = person(other, "Olga")
    return Cast(
        company=company,
        anna=anna,
        bob=bob,
        carl=carl,
        viewer=viewer,
        admin=admin,
        outsider=outsider,
    )


def login(user: AbstractUser | None = None, *, csrf_checks: bool = False) -> Client:
    """A client signed in as `user` (anonymous for None).

    `csrf_checks=True` refuses a POST without the token, as a browser session would.
    """
    client = Client(enforce_csrf_checks=csrf_checks)
    if user is not None:
        client.force_login(user)
    return client
