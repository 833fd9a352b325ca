"""Administrator notices: blocked documents and tasks, batched, each block told once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import NoReverseMatch

from documents.models import Document, Task
from documents.notifications import rendering
from documents.notifications.services import admin_notices_send
from documents.services import tasks_block_for_lost_rights
from documents.tasks import send_admin_notices
from orgunits.models import Membership
from tests.documents.conftest import person, received_and_routed
from tests.documents.notifications.conftest import html_of, mails_to
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, MembershipFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(company):
    return MembershipFactory(company=company, admin=True).user


def _blocked_document(company, reference: str) -> Document:
    """No active workflow for the type: the document is blocked with a reason."""
    document = received_and_routed(company, reference=reference)
    assert document.status == Document.Status.BLOCKED
    return document


def test_one_mail_per_admin_lists_every_blocked_document_and_task(
    company, admin
) -> None:
    viewer = MembershipFactory(company=company, viewer=True).user
    first = _blocked_document(company, "B-1")
    second = _blocked_document(company, "B-2")
    anna = person(company, "Anna")
    publish_workflow(company, step(name="Managers", rules=(named(anna),)))
    in_progress = received_and_routed(company, reference="T-1")
    Membership.objects.filter(user=anna.user).update(approves_purchase_invoices=False)
    tasks_block_for_lost_rights(company_id=company.pk)
    task = Task.objects.get(document=in_progress)
    assert task.status == Task.Status.BLOCKED

    result = admin_notices_send()

    assert result.sent == 1
    assert mails_to(viewer.email) == []
    [message] = mails_to(admin.email)
    assert message.subject == "Needs your attention: 3 blocked items"
    for body in (message.body, html_of(message)):
        assert "B-1" in body
        assert "B-2" in body
        assert "T-1" in body
        assert first.blocked_reason.split(".")[0] in body
        assert "lacks the approver right" in body
        assert f"https://signoff.example.com/tasks/{task.pk}/" in body
        assert rendering.admin_document_url(second) in body
        assert "send the document for approval again" in body
        assert "reassign the task" in body


def test_a_block_is_told_once_and_a_new_one_is_told(company, admin) -> None:
    _blocked_document(company, "B-1")
    assert send_admin_notices.run() == 1
    assert send_admin_notices.run() == 0
    _blocked_document(company, "B-2")
    assert send_admin_notices.run() == 1
    [_first, message] = mail.outbox
    assert "B-2" in message.body
    assert "B-1" not in message.body


def test_only_the_companys_own_administrators(company, admin) -> None:
    other_admin = MembershipFactory(company=CompanyFactory(), admin=True).user
    _blocked_document(company, "B-1")
    admin_notices_send()
    assert mails_to(other_admin.email) == []
    assert len(mails_to(admin.email)) == 1


def test_an_admin_without_address_gets_nothing_and_no_error(company, admin) -> None:
    admin.email = ""
    admin.save(update_fields=["email"])
    _blocked_document(company, "B-1")
    assert admin_notices_send().sent == 0
    assert mail.outbox == []


def test_the_link_falls_back_to_the_simulator_page_without_the_overview(
    company,
) -> None:
    document = _blocked_document(company, "B-1")
    try:
        expected = rendering.absolute_url(
            f"/c/{company.code}/admin/documents/{document.pk}/"
        )
        rendering.reverse(
            "documents_admin:document_detail",
            kwargs={"company_code": company.code, "document_id": document.pk},
        )
    except NoReverseMatch:
        expected = rendering.absolute_url(
            f"/c/{company.code}/simulator/documents/{document.pk}/"
        )
    assert rendering.admin_document_url(document) == expected
