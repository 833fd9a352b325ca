"""Documents from the ERP: submit (idempotent), cancel, attach files (ERP_API.md).

The API parses a Visma DTO into a `DocumentSubmission` (plain values, no HTTP); these
services hand it to the documents app and translate its refusals into the API's
answers: an ERP document with an open process → 409 with `existingId`; approved → 409.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from core.exceptions import ApplicationError
from documents.models import Attachment, Document, Process
from documents.services import LineInput, document_cancel, document_receive
from documents.services.attachments import FILE_TYPES
from documents.services.common import HistoryWriter, document_lock, document_save
from erp_sync.models import ErpClient
from erp_sync.services.idempotency import (
    StoredResponse,
    idempotency_key_claim,
    idempotency_key_complete,
    idempotency_key_find,
    idempotency_key_release,
)

#: The status code of an accepted submission: routing happens asynchronously.
SUBMIT_STATUS = 202


@dataclass(frozen=True)
class DocumentSubmission:
    """One document as parsed from the ERP's DTO, ready for `document_receive`.

    `currency` is None for time cards (they carry hours, not money); the company's
    currency is used then, because every document row has one.
    """

    document_type: str
    erp_document_type: str
    erp_reference: str
    gross_amount: Decimal
    currency: str | None
    lines: Sequence[LineInput]
    net_amount: Decimal | None = None
    vat_amount: Decimal | None = None
    requester_number: str = ""
    initial_approver_number: str = ""
    sender_number: str = ""
    supplier_number: str = ""
    supplier_name: str = ""
    description: str = ""
    document_date: date | None = None
    due_date: date | None = None
    branch_code: str = ""
    department_code: str = ""


def erp_actor_label(client: ErpClient) -> str:
    """How the ERP client appears in a document's history."""
    return f"ERP ({client.name})"


class _KeyTakenOver(Exception):
    """This request lost its idempotency key to a retry; roll the work back."""


def erp_document_submit(
    *,
    client: ErpClient,
    idempotency_key: str,
    method: str,
    path: str,
    fingerprint: str,
    submission: DocumentSubmission,
    raw_payload: Mapping[str, Any],
    document_url: Callable[[UUID], str],
) -> StoredResponse:
    """Receive the document once per idempotency key; the answer to send back.

    A retry with the same key and body gets the first answer (`replayed`). Raises
    ApplicationError: 422 (key reused with another body), 409 (key still in progress,
    or the ERP document has an open process / is approved, with `existingId`), and
    ValidationError for input the documents app refuses.
    """
    found = idempotency_key_find(
        client=client, key=idempotency_key, fingerprint=fingerprint
    )
    if found is not None:
        return found
    claim = idempotency_key_claim(
        client=client,
        key=idempotency_key,
        method=method,
        path=path,
        fingerprint=fingerprint,
    )
    if isinstance(claim, StoredResponse):
        return claim
    try:
        # The document, its history row, the routing enqueue (on commit) and the stored
        # answer commit together: the answer exists exactly when the document does.
        with transaction.atomic():
            document = _receive(client, submission, raw_payload)
            body = {
                "id": str(document.public_id),
                "status": "received",
                "erpReference": document.erp_reference,
                "url": document_url(document.public_id),
            }
            if not idempotency_key_complete(
                claim=claim, status=SUBMIT_STATUS, body=body
            ):
                raise _KeyTakenOver
    except _KeyTakenOver:
        # A retry took the key over after this request's lease ran out; its answer
        # (or its "still running") is the answer.
        answer = idempotency_key_find(
            client=client, key=idempotency_key, fingerprint=fingerprint
        )
        if answer is None:
            raise ApplicationError(
                "A request with this Idempotency-Key is still being processed.",
                {"code": "idempotency_key_in_progress", "status": 409},
            ) from None
        return answer
    except ApplicationError as error:
        idempotency_key_release(claim=claim)
        raise _conflict(client, submission, error) from error
    except BaseException:
        # Anything else (bad input caught late, a bug, the database going away): the
        # key is free for a retry. If the database is gone the release fails too, and
        # the lease lets the retry take the key over later.
        # The original error is the one to report.
        with contextlib.suppress(Exception):
            idempotency_key_release(claim=claim)
        raise
    return StoredResponse(status=SUBMIT_STATUS, body=body, replayed=False)


def _receive(
    client: ErpClient, submission: DocumentSubmission, raw_payload: Mapping[str, Any]
) -> Document:
    return document_receive(
        company=client.company,
        document_type=submission.document_type,
        erp_document_type=submission.erp_document_type,
        erp_reference=submission.erp_reference,
        gross_amount=submission.gross_amount,
        currency=submission.currency or client.company.currency,
        lines=submission.lines,
        net_amount=submission.net_amount,
        vat_amount=submission.vat_amount,
        requester_number=submission.requester_number,
        initial_approver_number=submission.initial_approver_number,
        sender_number=submission.sender_number,
        supplier_number=submission.supplier_number,
        supplier_name=submission.supplier_name,
        description=submission.description,
        document_date=submission.document_date,
        due_date=submission.due_date,
        branch_code=submission.branch_code,
        department_code=submission.department_code,
        raw_payload=raw_payload,
        actor_label=erp_actor_label(client),
    )


def _conflict(
    client: ErpClient, submission: DocumentSubmission, error: ApplicationError
) -> ApplicationError:
    """The documents app's refusal as the API's 409, pointing at the document."""
    code = error.extra.get("code")
    if code not in ("open_process", "finished"):
        return error
    existing = Document.objects.filter(
        company_id=client.company_id,
        document_type=submission.document_type,
        erp_document_type=submission.erp_document_type,
        erp_reference=submission.erp_reference,
    ).first()
    extra: dict[str, object] = {"code": code, "status": 409}
    if existing is not None:
        extra["existingId"] = str(existing.public_id)
        extra["existingStatus"] = existing.status
    return ApplicationError(error.message, extra)


def erp_document_cancel(*, client: ErpClient, document: Document) -> Document:
    """Cancel the document for the ERP; cancelling again returns it unchanged.

    Raises ApplicationError 409 (code "finished") for an approved or rejected document,
    which stays as it was.
    """
    try:
        return document_cancel(
            document_id=document.pk, actor_label=erp_actor_label(client)
        )
    except ApplicationError as error:
        if error.extra.get("code") == "finished":
            raise ApplicationError(
                error.message,
                {
                    "code": "finished",
                    "status": 409,
                    "documentStatus": str(error.extra.get("status", "")),
                },
            ) from error
        raise


# --- attachments ----------------------------------------------------------------------


def _display_name(filename: str) -> str:
    """The name without folders or control characters, at most 255 characters."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name or name in {".", ".."}:
        raise ValidationError({"file": "The file needs a name."})
    return name[-255:]


def attachment_max_bytes() -> int:
    return int(settings.SIGNOFF_ATTACHMENT_MAX_BYTES)


def attachment_sniff(file: File, *, filename: str) -> tuple[str, str, int]:
    """(display name, detected content type, size) of an acceptable upload.

    The type comes from the first bytes, never from the name or the declared type; the
    name's ending must agree with it. Raises ApplicationError 413 (too large) and 415
    (not a PDF, PNG or JPEG, or a name that says otherwise), ValidationError (empty).
    """
    name = _display_name(filename)
    limit = attachment_max_bytes()
    size = file.size
    if size is None or size > limit:
        raise ApplicationError(
            f"An attachment may be at most {limit} bytes.",
            {"code": "attachment_too_large", "status": 413, "maxBytes": limit},
        )
    if size == 0:
        raise ValidationError({"file": "The file is empty."})
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    detected = next(
        (kind for kind, (magic, _) in FILE_TYPES.items() if head.startswith(magic)),
        None,
    )
    if detected is None:
        raise ApplicationError(
            "Only PDF, PNG and JPEG files can be attached.",
            {"code": "unsupported_attachment_type", "status": 415},
        )
    if PurePosixPath(name.lower()).suffix not in FILE_TYPES[detected][1]:
        raise ApplicationError(
            "The file's content does not match its name.",
            {"code": "unsupported_attachment_type", "status": 415},
        )
    return name, detected, size


@transaction.atomic
def erp_attachment_add(
    *, client: ErpClient, document: Document, file: File, filename: str
) -> Attachment:
    """Store a PDF/PNG/JPEG on a document that is not finished; it gets a new version.

    Raises ApplicationError 413/415 (see `attachment_sniff`), 409 (code "finished") for
    an approved, rejected or cancelled document, ValidationError for an empty file.
    """
    name, detected, size = attachment_sniff(file, filename=filename)
    # The lock orders this against a cancel or a decision finishing the document.
    locked = document_lock(document.pk)
    if locked.status in Document.FINISHED_STATUSES:
        raise ApplicationError(
            f"The document is {locked.get_status_display().lower()}; attachments can "
            "be added only while it is in approval.",
            {"code": "finished", "status": 409, "documentStatus": locked.status},
        )
    attachment = Attachment(
        company_id=locked.company_id,
        document=locked,
        filename=name,
        content_type=detected,
        size=size,
        uploaded_by=None,
    )
    # Storage is not transactional: remove the file again if anything after fails.
    attachment.file.save(name, file, save=False)
    try:
        attachment.save()
        process = Process.objects.filter(document=locked).order_by("-number").first()
        HistoryWriter(locked, actor_label=erp_actor_label(client)).record(
            "documents.attachment.add",
            process=process,
            data={
                "attachment": attachment.pk,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
            },
        )
        # The attachment list is part of what approvers look at: a new version.
        document_save(locked)
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment
