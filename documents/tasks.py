"""Celery tasks: thin, ids only, idempotent (STYLE §7).

Each task imports its service inside the body (no import cycle with the services,
which enqueue these tasks) and does nothing if the work is already done, because
Celery delivers at least once and the reconciler may enqueue the same work again.
"""

from __future__ import annotations

import logging

from celery import Task as CeleryTask
from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="documents.route_document")
def route_document(document_id: int) -> None:
    """Route a received document (no-op unless it is still `received`)."""
    from documents.models import Document
    from documents.services import document_route

    try:
        document_route(document_id=document_id)
    except Document.DoesNotExist:
        logger.warning("route_document: document %s does not exist", document_id)


@shared_task(name="documents.advance_process")
def advance_process(process_id: int) -> None:
    """Move a process on if its active step is complete (no-op otherwise)."""
    from documents.models import Process
    from documents.services import process_advance

    try:
        process_advance(process_id=process_id)
    except Process.DoesNotExist:
        logger.warning("advance_process: process %s does not exist", process_id)


@shared_task(name="documents.retry_blocked_document")
def retry_blocked_document(document_id: int) -> None:
    """Route one blocked document again if its setup now resolves."""
    from documents.models import Document
    from documents.services import document_retry_blocked

    try:
        document_retry_blocked(document_id=document_id)
    except Document.DoesNotExist:
        logger.warning("retry_blocked_document: document %s is gone", document_id)


@shared_task(name="documents.reconcile_documents")
def reconcile_documents() -> dict[str, int]:
    """Re-derive due work from the database, so a lost message never strands anything.

    Documents received more than a minute ago but not routed are routed; running
    processes whose requested advance never ran are advanced. The minute of grace leaves the normal on-commit path to do its job.
    Then the tasks of assignees who lost (or regained) the right to decide are
    blocked (or unblocked), so administrators see them within a minute.
    """
    from documents.selectors import (
        document_ids_awaiting_routing,
        process_ids_awaiting_advance,
    )

    documents = document_ids_awaiting_routing()
    processes = process_ids_awaiting_advance()
    for document_id in documents:
        route_document.delay(document_id)
    for process_id in processes:
        advance_process.delay(process_id)
    if documents or processes:
        logger.info(
            "reconcile_documents: %s to route, %s to advance",
            len(documents),
            len(processes),
        )
    check_task_rights()
    return {"route": len(documents), "advance": len(processes)}


def check_task_rights() -> tuple[int, int]:
    """Block and unblock tasks by their assignees' rights, company by company.

    Called by the reconciler in its own run rather than queued: it is a few queries
    per company and needs no message to be lost. One company's failure is logged and
    does not keep the others from being checked.
    """
    from documents.selectors import company_ids_with_waiting_tasks
    from documents.services import tasks_block_for_lost_rights

    blocked = unblocked = 0
    for company_id in company_ids_with_waiting_tasks():
        try:
            result = tasks_block_for_lost_rights(company_id=company_id)
        except Exception:
            logger.exception("check_task_rights: company %s failed", company_id)
            continue
        blocked += len(result.blocked)
        unblocked += len(result.unblocked)
    if blocked or unblocked:
        logger.info(
            "check_task_rights: %s tasks blocked, %s unblocked", blocked, unblocked
        )
    return blocked, unblocked


@shared_task(name="documents.advance_stranded_processes")
def advance_stranded_processes() -> int:
    """Nightly: advance running processes left without an active step (a sweep for
    defects; a lost message is the minute reconciler's job)."""
    from documents.selectors import process_ids_without_active_step

    ids = process_ids_without_active_step()
    for process_id in ids:
        advance_process.delay(process_id)
    if ids:
        logger.warning(
            "advance_stranded_processes: %s running processes had no active step",
            len(ids),
        )
    return len(ids)


@shared_task(name="documents.retry_blocked_documents")
def retry_blocked_documents() -> int:
    """Nightly: queue every blocked document for another routing attempt."""
    from documents.selectors import document_ids_blocked

    ids = document_ids_blocked()
    for document_id in ids:
        retry_blocked_document.delay(document_id)
    return len(ids)


# --- e-mail notifications (documents.notifications) ------------------------------------

#: Retry a failed mail after 1, 2, 4 … minutes, at most 30 (well under half of the
#: broker's visibility timeout), for about a day.
_MAIL_MAX_RETRIES = 50


def _mail_retry_countdown(retries: int) -> int:
    return min(60 * 2**retries, 1800)


@shared_task(
    name="documents.send_new_task_emails", bind=True, max_retries=_MAIL_MAX_RETRIES
)
def send_new_task_emails(self: CeleryTask, task_ids: list[int]) -> int:
    """Mail the people of these new tasks; each (task, person) at most once.

    A mail that failed is retried later; those already sent are not sent again.
    """
    from documents.notifications.services import new_task_emails_send

    result = new_task_emails_send(task_ids=task_ids)
    if result.failed:
        raise self.retry(countdown=_mail_retry_countdown(self.request.retries))
    return result.sent


@shared_task(
    name="documents.send_daily_reminders", bind=True, max_retries=_MAIL_MAX_RETRIES
)
def send_daily_reminders(self: CeleryTask) -> int:
    """Beat, daily: soon-overdue and overdue tasks, one mail per person."""
    from documents.notifications.services import daily_reminders_send

    result = daily_reminders_send()
    if result.failed:
        raise self.retry(countdown=_mail_retry_countdown(self.request.retries))
    return result.sent


@shared_task(name="documents.send_overviews", bind=True, max_retries=_MAIL_MAX_RETRIES)
def send_overviews(self: CeleryTask) -> int:
    """Beat, weekly by default: the overview of open tasks to those who asked."""
    from documents.notifications.services import overviews_send

    result = overviews_send()
    if result.failed:
        raise self.retry(countdown=_mail_retry_countdown(self.request.retries))
    return result.sent


@shared_task(
    name="documents.send_admin_notices", bind=True, max_retries=_MAIL_MAX_RETRIES
)
def send_admin_notices(self: CeleryTask) -> int:
    """Beat: new blocked documents and tasks, one mail per administrator per run."""
    from documents.notifications.services import admin_notices_send

    result = admin_notices_send()
    if result.failed:
        raise self.retry(countdown=_mail_retry_countdown(self.request.retries))
    return result.sent
