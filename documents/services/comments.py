"""Comments: public, immutable once posted, visible across processes (DOMAIN §4)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.exceptions import InvalidTransition
from documents.choices import DocumentStatus
from documents.models import Comment, Process
from documents.permissions import can_comment_document
from documents.services.common import (
    COMMENT_MAX_LENGTH,
    HistoryWriter,
    document_lock,
    employee_label,
)
from orgunits.models import Employee


@transaction.atomic
def comment_add(
    *,
    document_id: int,
    author_employee: Employee,
    user: AbstractBaseUser,
    text: str,
) -> Comment:
    """Post a comment on an unfinished document; it can never be changed afterwards.

    Raises ValidationError for an empty or too long text, PermissionDenied if the
    person has no part in the document, InvalidTransition once it is finished.
    """
    cleaned = text.strip()
    if not cleaned:
        raise ValidationError({"text": "A comment cannot be empty."})
    if len(cleaned) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"text": f"A comment can be at most {COMMENT_MAX_LENGTH} characters."}
        )
    document = document_lock(document_id)
    if not can_comment_document(user=user, employee=author_employee, document=document):
        raise PermissionDenied("You cannot comment on this document.")
    if document.status not in (
        DocumentStatus.RECEIVED,
        DocumentStatus.IN_PROGRESS,
        DocumentStatus.BLOCKED,
    ):
        raise InvalidTransition(
            "The document is finished; comments are closed.",
            {"code": "finished", "status": document.status},
        )
    process = Process.objects.filter(document=document).order_by("-number").first()
    comment = Comment.objects.create(
        company_id=document.company_id,
        document=document,
        process=process,
        author=author_employee,
        author_user=user,
        author_label=employee_label(author_employee),
        text=cleaned,
    )
    HistoryWriter(
        document, actor_label=employee_label(author_employee), actor_user=user
    ).record("documents.comment.add", process=process, data={"comment": comment.pk})
    # No new document version: a comment changes nothing an approver decides on, and
    # a page opened before it must still be able to approve (RELIABILITY 14).
    return comment
