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

from core.exceptions import InvalidTransition
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


def _sniff(file: File, *, filename: str, content_type: str) -> tuple[str, int]:
    """The detected content type and the size; ValidationError when not acceptable."""
    limit = int(settings.SIGNOFF_ATTACHMENT_MAX_BYTES)
    size = file.size
    if size is None or size > limit:
        raise ValidationError(
            {"file": f"The file is larger than {limit // (1024 * 1024)} MB."}
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
        raise ValidationError({"file": "Only PDF, PNG and JPEG files can be attached."})
    suffix = PurePosixPath(filename.lower()).suffix
    declared = content_type.split(";")[0].strip().lower()
    if suffix not in FILE_TYPES[detected][1] or declared not in (
        _UNSPECIFIC_TYPES | {detected}
    ):
        raise ValidationError(
            {"file": "The file's content does not match its name or type."}
        )
    return detected, size


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
    name = _display_name(filename)
    detected, size = _sniff(file, filename=name, content_type=content_type)
    document = document_lock(document_id)
    if ADD_ATTACHMENT not in available_document_actions(
        document=document, employee=employee_or_none, user=user
    ):
        raise InvalidTransition(
            "You cannot add attachments to this document now.",
            {"code": "action_not_available", "action": ADD_ATTACHMENT},
        )
    attachment = Attachment(
        company_id=document.company_id,
        document=document,
        filename=name,
        content_type=detected,
        size=size,
        uploaded_by=user,
    )
    # Storage is not transactional: the file is written under the lock, and removed
    # again if anything after it fails, so a refused or failed add leaves no file.
    attachment.file.save(name, file, save=False)
    try:
        attachment.save()
        _record(document, attachment, employee_or_none, user)
        # The attachment list is part of what approvers look at: a new version.
        document_save(document)
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


def _record(
    document: Document,
    attachment: Attachment,
    employee: Employee | None,
    user: AbstractBaseUser,
) -> None:
    process = Process.objects.filter(document=document).order_by("-number").first()
    HistoryWriter(
        document,
        actor_label=employee_label(employee) if employee else user_label(user),
        actor_user=user,
    ).record(
        "documents.attachment.add",
        process=process,
        data={
            "attachment": attachment.pk,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
        },
    )
