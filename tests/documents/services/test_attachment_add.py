"""attachment_add: PDF/PNG/JPEG by content, size limit, who may add."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import InvalidTransition
from documents.models import Attachment, HistoryEvent
from documents.services import attachment_add, document_cancel
from orgunits.models import Employee
from tests.documents.conftest import current, person, received_and_routed
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    EmployeeFactory,
    MembershipFactory,
    SubstitutionFactory,
)
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


@pytest.fixture
def setup(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="One", rules=(named(anna),)),
        step(name="Two", rules=(named(bob),)),
    )
    return received_and_routed(company), anna, bob


def add(
    document,
    employee: Employee | None,
    content: bytes = PDF,
    filename: str = "invoice.pdf",
    content_type: str = "application/pdf",
    user=None,
) -> Attachment:
    return attachment_add(
        document_id=document.pk,
        employee_or_none=employee,
        user=user or employee.user,
        file=SimpleUploadedFile(filename, content, content_type=content_type),
        filename=filename,
        content_type=content_type,
    )


def stored_files(document) -> list[str]:
    """The files stored under the document's folder (storage outlives the test DB)."""
    folder = f"documents/{document.company_id}/{document.public_id}"
    if not default_storage.exists(folder):
        return []
    return default_storage.listdir(folder)[1]


@pytest.mark.parametrize(
    ("content", "filename", "declared", "stored_type"),
    [
        (PDF, "invoice.pdf", "application/pdf", "application/pdf"),
        (PNG, "receipt.PNG", "image/png", "image/png"),
        (JPEG, "photo.jpeg", "application/octet-stream", "image/jpeg"),
        (JPEG, "photo.jpg", "", "image/jpeg"),
    ],
)
def test_an_approver_adds_a_pdf_png_or_jpeg(
    setup, content: bytes, filename: str, declared: str, stored_type: str
) -> None:
    document, anna, _bob = setup
    version = current(document).version

    attachment = add(document, anna, content, filename, declared)

    attachment.refresh_from_db()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        filename,
        stored_type,
        len(content),
    )
    assert attachment.uploaded_by == anna.user
    assert attachment.file.read() == content
    assert f"documents/{document.company_id}/{document.public_id}/" in (
        attachment.file.name
    )
    assert len(stored_files(document)) == 1
    # The attachment list is part of what approvers see.
    assert current(document).version == version + 1
    event = HistoryEvent.objects.get(action="documents.attachment.add")
    assert event.data == {
        "attachment": attachment.pk,
        "filename": filename,
        "content_type": stored_type,
        "size": len(content),
    }
    assert event.actor_label == f"Anna ({anna.number})"


@pytest.mark.parametrize(
    ("content", "filename", "declared", "message"),
    [
        (b"MZ\x90\x00 not a pdf", "invoice.pdf", "application/pdf", "Only PDF, PNG"),
        (b"<html><script>", "page.html", "text/html", "Only PDF, PNG and JPEG"),
        (PDF, "invoice.exe", "application/pdf", "does not match its name or type"),
        (PNG, "invoice.pdf", "application/pdf", "does not match its name or type"),
        (PDF, "invoice.pdf", "image/png", "does not match its name or type"),
        (b"", "empty.pdf", "application/pdf", "The file is empty"),
    ],
)
def test_other_files_are_refused_by_their_content(
    setup, content: bytes, filename: str, declared: str, message: str
) -> None:
    document, anna, _bob = setup
    version = current(document).version

    with pytest.raises(ValidationError, match=message):
        add(document, anna, content, filename, declared)

    assert not Attachment.objects.exists()
    assert current(document).version == version


def test_the_size_limit_comes_from_the_setting(setup, settings) -> None:
    document, anna, _bob = setup
    settings.SIGNOFF_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = PDF + b"\x00" * (1024 * 1024)

    with pytest.raises(ValidationError, match="The file is larger than 1 MB"):
        add(document, anna, big)

    add(document, anna, PDF + b"\x00" * (1024 * 1024 - len(PDF)))
    assert Attachment.objects.count() == 1


def test_the_default_limit_is_20_mb() -> None:
    assert django_settings.SIGNOFF_ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024


def test_folder_parts_and_control_characters_leave_the_name(setup) -> None:
    document, anna, _bob = setup
    attachment = add(document, anna, filename="..\\..\\evil\x00/in\u202evoice.pdf")
    assert attachment.filename == "invoice.pdf"


def test_a_planned_approver_of_a_later_step_may_add_too(setup) -> None:
    """An open task, even one not active yet, gives a part in the document."""
    document, _anna, bob = setup
    add(document, bob)
    assert Attachment.objects.count() == 1


def test_an_active_substitute_may_add(setup, company) -> None:
    document, anna, _bob = setup
    sara = person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)
    add(document, sara)
    assert Attachment.objects.get().uploaded_by == sara.user


def test_an_administrator_without_an_employee_may_add(setup, company) -> None:
    document, _anna, _bob = setup
    admin = MembershipFactory(company=company, admin=True).user

    add(document, None, user=admin)

    event = HistoryEvent.objects.get(action="documents.attachment.add")
    assert event.actor_user == admin


def test_people_without_a_part_may_not_add(setup, company) -> None:
    document, _anna, _bob = setup
    outsider = person(company, "Otto")
    viewer = EmployeeFactory(company=company, with_login=True)
    MembershipFactory(company=company, user=viewer.user, viewer=True)

    for employee in (outsider, viewer):
        with pytest.raises(
            InvalidTransition, match="You cannot add attachments to this document now"
        ):
            add(document, employee)
    with pytest.raises(InvalidTransition):
        add(document, None, user=outsider.user)

    assert not Attachment.objects.exists()


def test_nothing_is_added_to_a_finished_document(setup) -> None:
    document, anna, _bob = setup
    document_cancel(document_id=document.pk, actor_label="ERP")

    with pytest.raises(InvalidTransition):
        add(document, anna)

    assert not Attachment.objects.exists()
    assert stored_files(document) == []


def test_a_failure_after_the_file_was_stored_removes_it_again(setup) -> None:
    document, anna, _bob = setup
    with (
        mock.patch(
            "documents.services.attachments.document_save",
            side_effect=RuntimeError("boom"),
        ),
        pytest.raises(RuntimeError, match="boom"),
    ):
        add(document, anna)

    assert not Attachment.objects.exists()
    assert stored_files(document) == []
