"""The administrator actions as the admin pages call them: only on what the page showed.

The pages carry the document version they were built from (as the approver pages do).
Each action here locks the document first, refuses a stale page or a document of
another company, asks `available_admin_document_actions` / `available_admin_task_actions`
(the functions that draw the buttons), and then calls the service of
`documents.services.admin_actions` / `cancellation` inside the same transaction, so the
check and the change see the same row. Many documents or tasks: each one in its own
transaction, so a refused one never holds back the others; the result says, per item,
what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.exceptions import ApplicationError, InvalidTransition
from documents.models import Document, Task
from documents.services.admin_actions import (
    document_approve_directly,
    document_reject_directly,
    document_resend,
    documents_approve_directly,
    documents_reject_directly,
    tasks_reassign,
)
from documents.services.cancellation import document_cancel
from documents.services.common import comment_clean, user_label, version_check
from documents.transitions import (
    APPROVE_DIRECTLY,
    CANCEL_DIRECTLY,
    REASSIGN,
    REJECT_DIRECTLY,
    RESEND,
    available_admin_document_actions,
    available_admin_task_actions,
)
from orgunits.models import Employee

#: The document actions the admin pages offer, single and (except resend) many.
DOCUMENT_ACTIONS = (APPROVE_DIRECTLY, REJECT_DIRECTLY, CANCEL_DIRECTLY, RESEND)
BULK_DOCUMENT_ACTIONS = (APPROVE_DIRECTLY, REJECT_DIRECTLY, CANCEL_DIRECTLY)
#: Actions whose audit trail needs the administrator's reason.
COMMENT_REQUIRED = frozenset({APPROVE_DIRECTLY, REJECT_DIRECTLY})


@dataclass(frozen=True)
class ItemResult:
    """One document's or task's outcome in a bulk action."""

    item_id: int
    ok: bool
    message: str = ""
    code: str = ""


def _locked_for_action(
    *,
    document_id: int,
    company_id: int,
    expected_version: int,
    action: str,
    admin_user: AbstractBaseUser,
) -> Document:
    """Lock the document, then refuse unless the page was current and `action` open."""
    document = (
        Document.objects.select_for_update()
        .filter(pk=document_id, company_id=company_id)
        .first()
    )
    if document is None:
        raise Document.DoesNotExist("No such document.")
    version_check(document, expected_version)
    if action not in available_admin_document_actions(
        document=document, user=admin_user
    ):
        raise InvalidTransition(
            _refusal(document, action), {"code": "not_available", "action": action}
        )
    return document


def _refusal(document: Document, action: str) -> str:
    status = document.get_status_display().lower()
    if action == CANCEL_DIRECTLY:
        return f"The document is {status} and can no longer be cancelled."
    if action == RESEND and document.status == Document.Status.BLOCKED:
        return (
            "This document was blocked during its approval, after some steps were "
            "decided; approve, reject or cancel it directly instead."
        )
    if action in (APPROVE_DIRECTLY, REJECT_DIRECTLY) and (
        document.status == Document.Status.BLOCKED
    ):
        return (
            "Deciding directly needs the approver right for this document type, "
            "even for a system administrator."
        )
    verb = {
        APPROVE_DIRECTLY: "approved directly",
        REJECT_DIRECTLY: "rejected directly",
        RESEND: "resent",
    }.get(action, action)
    return f"Only a blocked document can be {verb}; this one is {status}."


def _run(
    *, document: Document, action: str, admin_user: AbstractBaseUser, comment: str
) -> Document:
    if action == APPROVE_DIRECTLY:
        return document_approve_directly(
            document_id=document.pk, admin_user=admin_user, comment=comment
        )
    if action == REJECT_DIRECTLY:
        return document_reject_directly(
            document_id=document.pk, admin_user=admin_user, comment=comment
        )
    if action == CANCEL_DIRECTLY:
        return document_cancel(
            document_id=document.pk,
            actor_label=user_label(admin_user),
            by_admin_user=admin_user,
        )
    if action == RESEND:
        return document_resend(document_id=document.pk, admin_user=admin_user)
    raise ValueError(f"Unknown document action {action!r}.")


def document_admin_act(
    *,
    document_id: int,
    company_id: int,
    expected_version: int,
    action: str,
    admin_user: AbstractBaseUser,
    comment: str = "",
) -> Document:
    """Approve / reject / cancel directly or resend one document, as shown.

    Raises ValidationError (no comment where one is required), Document.DoesNotExist
    (unknown or another company's), StaleVersion (changed since the page was built),
    InvalidTransition (not available now) and PermissionDenied from the services.
    """
    if action in COMMENT_REQUIRED:
        verb = "approve" if action == APPROVE_DIRECTLY else "reject"
        comment_clean(
            comment, required_message=f"A comment is required to {verb} directly."
        )
    with transaction.atomic():
        document = _locked_for_action(
            document_id=document_id,
            company_id=company_id,
            expected_version=expected_version,
            action=action,
            admin_user=admin_user,
        )
        return _run(
            document=document, action=action, admin_user=admin_user, comment=comment
        )


def documents_admin_act(
    *,
    items: Sequence[tuple[int, int]],
    company_id: int,
    action: str,
    admin_user: AbstractBaseUser,
    comment: str = "",
) -> list[ItemResult]:
    """Approve, reject or cancel directly each (document id, version shown) pair.

    Direct decisions go through `documents_approve_directly` /
    `documents_reject_directly` one document at a time, under the lock taken here
    for the version check. Raises ValidationError (once, before anything) without a
    comment where one is required or for an action that is not a bulk one.
    """
    if action not in BULK_DOCUMENT_ACTIONS:
        raise ValidationError({"action": "Choose approve, reject or cancel."})
    if action in COMMENT_REQUIRED:
        verb = "approve" if action == APPROVE_DIRECTLY else "reject"
        comment_clean(
            comment, required_message=f"A comment is required to {verb} directly."
        )
    results: list[ItemResult] = []
    for document_id, version in dict.fromkeys(items):
        try:
            with transaction.atomic():
                document = _locked_for_action(
                    document_id=document_id,
                    company_id=company_id,
                    expected_version=version,
                    action=action,
                    admin_user=admin_user,
                )
                results.append(
                    _bulk_one(
                        document=document,
                        action=action,
                        admin_user=admin_user,
                        comment=comment,
                    )
                )
        except Document.DoesNotExist:
            results.append(ItemResult(document_id, False, "No such document.", "none"))
        except PermissionDenied as error:
            results.append(ItemResult(document_id, False, str(error), "forbidden"))
        except ApplicationError as error:
            code = str(error.extra.get("code", "refused"))
            results.append(ItemResult(document_id, False, error.message, code))
    return results


def _bulk_one(
    *, document: Document, action: str, admin_user: AbstractBaseUser, comment: str
) -> ItemResult:
    if action == CANCEL_DIRECTLY:
        cancelled = _run(
            document=document, action=action, admin_user=admin_user, comment=comment
        )
        return ItemResult(document.pk, True, cancelled.get_status_display())
    decide = (
        documents_approve_directly
        if action == APPROVE_DIRECTLY
        else documents_reject_directly
    )
    outcome = decide(
        document_ids=[document.pk], admin_user=admin_user, comment=comment
    )[document.pk]
    if not outcome.ok:
        # Raised so the savepoint of this document rolls back whatever it started.
        raise InvalidTransition(outcome.error, {"code": outcome.code})
    return ItemResult(
        document.pk, True, str(Document.Status(outcome.status).label), "done"
    )


def tasks_admin_reassign(
    *,
    items: Sequence[tuple[int, int]],
    company_id: int,
    to_employee: Employee,
    admin_user: AbstractBaseUser,
    comment: str,
) -> list[ItemResult]:
    """Reassign each (task id, document version shown) to `to_employee`, one by one.

    Each task is its own `tasks_reassign` (its own transaction), so one task the new
    approver cannot take does not hold back the others. Raises ValidationError (once,
    before anything) without a comment.
    """
    comment_clean(comment, required_message="A comment is required to reassign.")
    results: list[ItemResult] = []
    for task_id, version in dict.fromkeys(items):
        try:
            with transaction.atomic():
                task = (
                    Task.objects.filter(pk=task_id, company_id=company_id)
                    .select_related("step_run")
                    .first()
                )
                if task is None:
                    raise Task.DoesNotExist("No such task.")
                document = Document.objects.select_for_update().get(pk=task.document_id)
                version_check(document, version)
                task.document = document
                if REASSIGN not in available_admin_task_actions(
                    task=task, user=admin_user
                ):
                    raise InvalidTransition(
                        f"Task {task.pk} is {task.get_status_display().lower()} or "
                        "its step is complete; only active, overdue or blocked "
                        "approval tasks of a document in progress can be reassigned.",
                        {"code": "not_reassignable"},
                    )
                (new_task,) = tasks_reassign(
                    task_ids=[task.pk],
                    to_employee=to_employee,
                    admin_user=admin_user,
                    comment=comment,
                )
        except Task.DoesNotExist:
            results.append(ItemResult(task_id, False, "No such task.", "none"))
        except PermissionDenied as error:
            results.append(ItemResult(task_id, False, str(error), "forbidden"))
        except ValidationError as error:
            results.append(
                ItemResult(task_id, False, " ".join(error.messages), "invalid")
            )
        except ApplicationError as error:
            code = str(error.extra.get("code", "refused"))
            results.append(ItemResult(task_id, False, error.message, code))
        else:
            results.append(ItemResult(task_id, True, str(new_task.pk), "done"))
    return results
