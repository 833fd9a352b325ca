"""Adding an attachment during approval (VISMA_RULES §1.7 "Add attachment").

Only PDF, PNG and JPEG files are taken, recognised by their first bytes: a name or a
declared content type can say anything. The limit is `SIGNOFF_ATTACHMENT_MAX_BYTES`.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from core.exceptions import ApplicationError, InvalidTransition
from documents.models import Attachment, Document, Process
from documents.services.common import (
    HistoryWriter,
    document_lock,
    document_save,
    employee_label,
    user_label,
)
from documents.transitions import ADD_ATTACHMENT, available_document_actions
from orgunits.models import Employee

#: Detected type → (the signature its content starts with, the file name endings).
FILE_TYPES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}
#: Declared types that say nothing (some browsers send these for any file).
_UNSPECIFIC_TYPES = frozenset({"", "application/octet-stream"})


def _display_name(filename: str) -> str:
    """The name without any folder part or control characters, at most 255 long."""
    name = PureWindowsPath(PurePosixPath(filename).name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name or name in {".", ".."}:
        raise ValidationError({"filename": "The file needs a name."})
    return name[-255:]


class AttachmentRefused(ApplicationError):
    """The upload is not acceptable: too large (413) or not a PDF/PNG/JPEG (415)."""


def attachment_max_bytes() -> int:
    return int(settings.SIGNOFF_ATTACHMENT_MAX_BYTES)


def attachment_check(
    file: File, *, filename: str, content_type: str = ""
) -> tuple[str, str, int]:
    """(display name, detected content type, size) of an acceptable upload.

    The type comes from the first bytes, never from the name or the declared type; the
    name's ending (and a specific declared type) must agree with it. Raises
    AttachmentRefused (with the HTTP status for the API) or ValidationError (no name,
    empty file).
    """
    name = _display_name(filename)
    limit = attachment_max_bytes()
    size = file.size
    if size is None or size > limit:
        raise AttachmentRefused(
            f"The file is larger than {limit / (1024 * 1024):g} MB.",
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
        raise AttachmentRefused(
            "Only PDF, PNG and JPEG files can be attached.",
            {"code": "unsupported_attachment_type", "status": 415},
        )
    suffix = PurePosixPath(name.lower()).suffix
    declared = content_type.split(";")[0].strip().lower()
    if suffix not in FILE_TYPES[detected][1] or declared not in (
        _UNSPECIFIC_TYPES | {detected}
    ):
        raise AttachmentRefused(
            "The file's content does not match its name or type.",
            {"code": "unsupported_attachment_type", "status": 415},
        )
    return name, detected, size


def _store(
    *,
    document: Document,
    file: File,
    checked: tuple[str, str, int],
    uploaded_by: AbstractBaseUser | None,
    history: HistoryWriter,
) -> Attachment:
    """Save the file and its row on a locked document, with history and a new version."""
    name, detected, size = checked
    attachment = Attachment(
        company_id=document.company_id,
        document=document,
        filename=name,
        content_type=detected,
        size=size,
        uploaded_by=uploaded_by,
    )
    # Storage is not transactional: the file is written under the lock, and removed
    # again if anything after it fails, so a refused or failed add leaves no file.
    attachment.file.save(name, file, save=False)
    try:
        attachment.save()
        process = Process.objects.filter(document=document).order_by("-number").first()
        history.record(
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
        document_save(document)
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_add(
    *,
    document_id: int,
    employee_or_none: Employee | None,
    user: AbstractBaseUser,
    file: File,
    filename: str,
    content_type: str,
) -> Attachment:
    """Store a PDF/PNG/JPEG on an unfinished document; the document gets a new version.

    For people with an open task on the document, their active substitutes and the
    company's administrators (`employee_or_none` may be None for an administrator
    without an employee row). Raises ValidationError for a file that is too large,
    empty, of another type, or whose content does not match its name, and
    InvalidTransition when the person may not add attachments now.
    """
    try:
        checked = attachment_check(file, filename=filename, content_type=content_type)
    except AttachmentRefused as refused:
        # On the page the refusal belongs to the file field.
        raise ValidationError({"file": refused.message}) from refused
    document = document_lock(document_id)
    if ADD_ATTACHMENT not in available_document_actions(
        document=document, employee=employee_or_none, user=user
    ):
        raise InvalidTransition(
            "You cannot add attachments to this document now.",
            {"code": "action_not_available", "action": ADD_ATTACHMENT},
        )
    actor = employee_label(employee_or_none) if employee_or_none else user_label(user)
    return _store(
        document=document,
        file=file,
        checked=checked,
        uploaded_by=user,
        history=HistoryWriter(document, actor_label=actor, actor_user=user),
    )


@transaction.atomic
def attachment_add_from_erp(
    *, document_id: int, actor_label: str, file: File, filename: str
) -> Attachment:
    """The ERP adds a PDF/PNG/JPEG to a document that is not finished; a new version.

    Raises AttachmentRefused (413/415), ValidationError (empty, no name), and
    ApplicationError code "finished" (409) for an approved, rejected or cancelled
    document.
    """
    checked = attachment_check(file, filename=filename)
    # The lock orders this against a cancel or a decision finishing the document.
    document = document_lock(document_id)
    if document.status in Document.FINISHED_STATUSES:
        raise ApplicationError(
            f"The document is {document.get_status_display().lower()}; attachments "
            "can be added only while it is in approval.",
            {"code": "finished", "status": 409, "documentStatus": document.status},
        )
    return _store(
        document=document,
        file=file,
        checked=checked,
        uploaded_by=None,
        history=HistoryWriter(document, actor_label=actor_label),
    )
