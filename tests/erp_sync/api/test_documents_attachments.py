"""POST|GET /api/v1/documents/{id}/attachments and GET …/attachments/{att_id}:
PDF/PNG/JPEG by their first bytes, a size limit (413), other types 415."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Attachment, Document, HistoryEvent
from orgunits.models import Company
from tests.erp_sync.conftest import ErpApi, assert_problem
from tests.factories.orgunits import CompanyFactory

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def submitted(api: ErpApi) -> Document:
    body = json.loads((PAYLOADS / "supplier_invoice_read.json").read_text())
    response = api.post("documents/supplier-invoices", body, key=str(uuid.uuid4()))
    return Document.objects.get(public_id=response.json()["id"])


def upload(
    api: ErpApi, document: Document, name: str, content: bytes, kind: str = ""
) -> Any:
    file = SimpleUploadedFile(
        name, content, content_type=kind or "application/octet-stream"
    )
    return api.http.post(
        f"/api/v1/documents/{document.public_id}/attachments", data={"file": file}
    )


@pytest.mark.parametrize(
    ("name", "content", "detected"),
    [
        ("F-88812.pdf", PDF, "application/pdf"),
        ("scan.PNG", PNG, "image/png"),
        ("receipt.jpeg", JPEG, "image/jpeg"),
    ],
)
def test_an_attachment_is_stored_listed_and_downloaded(
    api: ErpApi, erp_client: Any, name: str, content: bytes, detected: str
) -> None:
    document = submitted(api)

    response = upload(api, document, name, content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["filename"], body["contentType"], body["size"]) == (
        name,
        detected,
        len(content),
    )
    assert response["Location"] == body["url"]
    listing = api.get(f"documents/{document.public_id}/attachments").json()
    assert listing == {"results": [body]}
    download = api.http.get(body["url"], HTTP_ACCEPT=detected)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == detected
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Security-Policy"] == "sandbox"
    assert document.version < Document.objects.get(pk=document.pk).version
    history = HistoryEvent.objects.filter(document=document).last()
    assert history is not None
    assert history.action == "documents.attachment.add"
    assert history.actor_label == f"ERP ({erp_client.name})"
    assert api.get(f"documents/{document.public_id}").json()["attachments"] == [body]


def test_a_folder_in_the_name_is_dropped(api: ErpApi) -> None:
    document = submitted(api)

    response = upload(api, document, "../../etc/invoice.pdf", PDF)

    assert response.json()["filename"] == "invoice.pdf"


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("notes.txt", b"just text", 415, "unsupported_attachment_type"),
        ("evil.pdf", b"MZ\x90\x00 an executable", 415, "unsupported_attachment_type"),
        ("invoice.png", PDF, 415, "unsupported_attachment_type"),
        (
            "page.html",
            b"<html><script>alert(1)</script>",
            415,
            "unsupported_attachment_type",
        ),
        ("empty.pdf", b"", 400, "invalid"),
    ],
    ids=["text", "executable-named-pdf", "pdf-named-png", "html", "empty"],
)
def test_other_content_is_refused_and_nothing_is_stored(
    api: ErpApi, name: str, content: bytes, status: int, code: str
) -> None:
    document = submitted(api)
    version = document.version

    response = upload(api, document, name, content)

    assert_problem(response, status, code)
    assert not Attachment.objects.exists()
    assert Document.objects.get(pk=document.pk).version == version


def test_a_file_over_the_limit_is_a_413(api: ErpApi, settings: Any) -> None:
    settings.SIGNOFF_ATTACHMENT_MAX_BYTES = 1024
    document = submitted(api)

    just_right = upload(api, document, "a.pdf", PDF + b"0" * (1024 - len(PDF)))
    too_large = upload(api, document, "b.pdf", PDF + b"0" * (1025 - len(PDF)))
    far_too_large = upload(api, document, "c.pdf", PDF + b"0" * 200_000)

    assert just_right.status_code == 201
    body = assert_problem(too_large, 413, "attachment_too_large")
    assert body["maxBytes"] == 1024
    assert_problem(far_too_large, 413, "attachment_too_large")
    assert Attachment.objects.count() == 1


def test_a_missing_file_field_is_a_400(api: ErpApi) -> None:
    document = submitted(api)

    response = api.http.post(
        f"/api/v1/documents/{document.public_id}/attachments", data={"other": "x"}
    )

    problem = assert_problem(response, 400, "invalid")
    assert problem["errors"][0]["path"] == "file"


def test_json_instead_of_multipart_is_a_415(api: ErpApi) -> None:
    document = submitted(api)

    response = api.post(f"documents/{document.public_id}/attachments", {"file": "x"})

    assert_problem(response, 415, "unsupported_media_type")


def test_a_finished_document_takes_no_attachments(api: ErpApi) -> None:
    document = submitted(api)
    api.post(f"documents/{document.public_id}/cancel", {})

    response = upload(api, document, "late.pdf", PDF)

    body = assert_problem(response, 409, "finished")
    assert body["documentStatus"] == "cancelled"
    assert not Attachment.objects.exists()


def test_other_companies_attachments_are_404(
    api: ErpApi, api_for: Callable[[Company], ErpApi]
) -> None:
    other = api_for(CompanyFactory(code="other", currency="EUR"))
    theirs = submitted(other)
    their_file = upload(other, theirs, "theirs.pdf", PDF).json()
    mine = submitted(api)

    via_their_document = api.http.get(their_file["url"])
    via_my_document = api.get(
        f"documents/{mine.public_id}/attachments/{their_file['id']}"
    )
    upload_to_theirs = upload(api, theirs, "x.pdf", PDF)

    assert_problem(via_their_document, 404, "not_found")
    assert_problem(via_my_document, 404, "not_found")
    assert_problem(upload_to_theirs, 404, "not_found")
    assert via_their_document.json() == via_my_document.json()
    assert Attachment.objects.count() == 1
