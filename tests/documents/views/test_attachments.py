"""Attachments: uploaded through the task page, served inline behind the access check."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Attachment
from tests.documents.conftest import current
from tests.documents.views.conftest import Cast, login

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(cast: Cast, task_id: int, name: str, content: bytes, kind: str):
    return login(cast.anna.user).post(
        f"/tasks/{task_id}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type=kind)},
        follow=True,
    )


def test_an_approver_uploads_a_pdf_and_the_page_shows_it_inline(cast: Cast) -> None:
    task = cast.task(cast.document())
    version = current(task.document).version

    response = upload(cast, task.pk, "invoice.pdf", PDF, "application/pdf")

    assert response.redirect_chain == [(f"/tasks/{task.pk}/", 302)]
    attachment = Attachment.objects.get()
    body = response.content.decode()
    assert "Attachment added." in body
    assert (
        f'<object data="/attachments/{attachment.pk}/" type="application/pdf"' in body
    )
    # The attachment list is part of what approvers saw: pages before it are stale.
    assert current(task.document).version == version + 1


def test_an_image_is_shown_with_img(cast: Cast) -> None:
    task = cast.task(cast.document())
    upload(cast, task.pk, "receipt.png", PNG, "image/png")
    attachment = Attachment.objects.get()

    body = login(cast.anna.user).get(f"/tasks/{task.pk}/").content.decode()

    assert f'<img src="/attachments/{attachment.pk}/" alt="receipt.png"' in body


def test_a_file_of_another_type_is_refused_on_the_form(cast: Cast) -> None:
    task = cast.task(cast.document())

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/attachments/",
        {"file": SimpleUploadedFile("run.html", b"<script>x</script>", "text/html")},
    )

    assert response.status_code == 400
    assert "Only PDF, PNG and JPEG files can be attached." in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_file_is_served_inline_with_its_type_and_nosniff(cast: Cast) -> None:
    task = cast.task(cast.document())
    upload(cast, task.pk, "invoice.pdf", PDF, "application/pdf")
    attachment = Attachment.objects.get()

    for user in (cast.anna.user, cast.viewer, cast.admin):
        response = login(user).get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'inline; filename="invoice.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        # Shown in an <object> on the task page: same-origin framing only.
        assert response["X-Frame-Options"] == "SAMEORIGIN"
        assert b"".join(response.streaming_content) == PDF


def test_a_stored_file_of_an_unexpected_type_is_only_ever_a_download(
    cast: Cast,
) -> None:
    """ERP attachments keep the type they came with; only PDFs and images go inline."""
    task = cast.task(cast.document())
    upload(cast, task.pk, "invoice.pdf", PDF, "application/pdf")
    Attachment.objects.update(content_type="text/html", filename="page.html")
    attachment = Attachment.objects.get()

    response = login(cast.anna.user).get(f"/attachments/{attachment.pk}/")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'


@pytest.mark.parametrize("who", ["bob", "outsider"])
def test_other_people_get_404(cast: Cast, who: str) -> None:
    task = cast.task(cast.document())
    upload(cast, task.pk, "invoice.pdf", PDF, "application/pdf")
    attachment = Attachment.objects.get()

    response = login(getattr(cast, who).user).get(f"/attachments/{attachment.pk}/")

    assert response.status_code == 404


def test_anonymous_goes_to_the_login_page(cast: Cast) -> None:
    task = cast.task(cast.document())
    upload(cast, task.pk, "invoice.pdf", PDF, "application/pdf")
    attachment = Attachment.objects.get()

    response = login(None).get(f"/attachments/{attachment.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_viewer_cannot_upload(cast: Cast) -> None:
    task = cast.task(cast.document())

    response = login(cast.viewer).post(
        f"/tasks/{task.pk}/attachments/",
        {"file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
    )

    assert response.status_code == 403
    assert not Attachment.objects.exists()
