"""Logged-in browsers for the ERP pages: administrator, viewer, approver, outsider."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from documents.choices import OutboxEventType, OutboxStatus
from documents.models import OutboxEvent
from erp_sync.models import DeliveryAttempt, ErpClient
from orgunits.models import Company
from tests.factories.documents import DocumentFactory
from tests.factories.orgunits import CompanyFactory, MembershipFactory


def browser_for(membership_kwargs: dict, company: Company) -> Client:
    membership = MembershipFactory(company=company, **membership_kwargs)
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def admin(company: Company) -> Client:
    return browser_for({"admin": True}, company)


@pytest.fixture
def viewer(company: Company) -> Client:
    return browser_for({"viewer": True}, company)


@pytest.fixture
def approver(company: Company) -> Client:
    return browser_for({"approver": True}, company)


@pytest.fixture
def outsider() -> Client:
    """An administrator of another company."""
    return browser_for({"admin": True}, CompanyFactory())


@pytest.fixture
def make_event(company: Company) -> Callable[..., OutboxEvent]:
    def make(
        status: str = OutboxStatus.PENDING,
        *,
        attempts: int = 0,
        error: str = "",
        client: ErpClient | None = None,
        company: Company = company,
    ) -> OutboxEvent:
        event = OutboxEvent.objects.create(
            company=company,
            document=DocumentFactory(company=company),
            event_type=OutboxEventType.STATUS_CHANGED,
            payload={"type": "document.status_changed"},
            status=status,
            attempts=attempts,
            last_error=error,
        )
        for number in range(1, attempts + 1):
            DeliveryAttempt.objects.create(
                company=company,
                event=event,
                client=client,
                attempt_number=number,
                url="https://erp.example.com/hook",
                status_code=500,
                error=error,
            )
        return event

    return make
