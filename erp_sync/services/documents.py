"""Documents from the ERP: submit (idempotent), cancel, attach files (ERP_API.md).

The API parses a Visma DTO into a `DocumentSubmission` (plain values, no HTTP); these
services hand it to the documents app and translate its refusals into the API's
answers: an ERP document with an open process → 409 with `existingId`; approved → 409.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.files import File
from django.db import transaction

from core.exceptions import ApplicationError
from documents.models import Attachment, Document
from documents.services import LineInput, document_cancel, document_receive
from documents.services.attachments import attachment_add_from_erp
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
    # The claim answers a known key itself (stored answer, 409 or 422), so no lookup
    # comes first: the view has done that one before validating the body.
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


def erp_attachment_add(
    *, client: ErpClient, document: Document, file: File, filename: str
) -> Attachment:
    """Store a PDF/PNG/JPEG on a document that is not finished; it gets a new version.

    The same checks and storage as an approver's upload (documents' attachment
    service). Raises ApplicationError 413/415, 409 (code "finished") for an approved,
    rejected or cancelled document, ValidationError for an empty file.
    """
    return attachment_add_from_erp(
        document_id=document.pk,
        actor_label=erp_actor_label(client),
        file=file,
        filename=filename,
    )
