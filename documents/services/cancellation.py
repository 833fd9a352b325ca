"""Cancelling a document, from the ERP or by an administrator (DOMAIN §4)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from core.exceptions import ApplicationError
from documents.choices import DocumentStatus, OutboxEventType, ProcessStatus
from documents.models import Document
from documents.services import outbox
from documents.services.common import (
    HistoryWriter,
    document_lock,
    document_state_save,
    open_process_lock,
    system_admin_require,
)
from documents.services.processes import process_close
from documents.transitions import ensure_transition


@transaction.atomic
def document_cancel(
    *,
    document_id: int,
    actor_label: str,
    by_admin_user: AbstractBaseUser | None = None,
) -> Document:
    """Cancel a document now: its process ends, open tasks are cancelled, ERP told.

    Cancelling a cancelled document returns it unchanged and writes nothing. Raises
    ApplicationError (code "finished") for an approved or rejected document, and
    PermissionDenied when `by_admin_user` is not a system administrator of the
    document's company ("Cancel directly", VISMA_RULES §1.12).
    """
    # The document lock first: a step transition running now finishes before this
    # continues, and anything after sees the cancelled document (RELIABILITY 8).
    document = document_lock(document_id)
    if by_admin_user is not None:
        # Before any answer about the document's state: a non-administrator learns
        # nothing from trying.
        system_admin_require(user=by_admin_user, company_id=document.company_id)
    if document.status == DocumentStatus.CANCELLED:
        return document
    if document.status in (DocumentStatus.APPROVED, DocumentStatus.REJECTED):
        raise ApplicationError(
            f"The document is already {document.get_status_display().lower()} "
            "and can no longer be cancelled.",
            {"code": "finished", "status": document.status},
        )
    ensure_transition("document", document.status, DocumentStatus.CANCELLED)
    history = HistoryWriter(document, actor_label=actor_label, actor_user=by_admin_user)
    process = open_process_lock(document)
    if process is not None:
        process_close(
            process=process,
            status=ProcessStatus.CANCELLED,
            history=history,
            reason=f"document cancelled by {history.actor_label}",
        )
    document.status = DocumentStatus.CANCELLED
    document.blocked_reason = ""
    history.record(
        "documents.document.cancel",
        process=process,
        data={"by_admin": by_admin_user is not None},
    )
    # Same transaction as the cancellation: both commit or neither does (INV-2).
    outbox.outbox_event_add(
        document=document,
        process=process,
        event_type=OutboxEventType.CANCELLED,
        status_text=f"Cancelled by {history.actor_label}",
    )
    # A status change, not new content: every action on a cancelled document is
    # refused by its status, so the version stays.
    document_state_save(document, "status", "blocked_reason")
    return document
