"""Plumbing shared by the document services: locks, versions, history, enqueueing.

Lock order, everywhere: document, then process, then tasks. Two services that lock the
same rows in the same order wait for each other instead of deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from celery import Task as CeleryTask
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.exceptions import StaleVersion
from documents.models import Document, HistoryEvent, Process, Task
from orgunits.models import Employee

#: The actor label of what Signoff does by itself (routing, advancing, automatic steps).
SYSTEM_LABEL = "Signoff"
#: Comments (and decision comments) longer than this are refused as input errors.
COMMENT_MAX_LENGTH = 5000


def document_lock(document_id: int) -> Document:
    """The document row, locked until the transaction ends (always the first lock)."""
    return Document.objects.select_for_update().get(pk=document_id)


def process_lock(process_id: int) -> Process:
    """The process row, locked; call after `document_lock` of its document."""
    return Process.objects.select_for_update().get(pk=process_id)


def open_process_lock(document: Document) -> Process | None:
    """The document's open (running or blocked) process, locked, if there is one."""
    return (
        Process.objects.select_for_update()
        .filter(document=document, status__in=Process.OPEN_STATUSES)
        .first()
    )


def open_tasks_lock(process: Process) -> list[Task]:
    """Every open task of the process, locked in id order (the same order for all)."""
    return list(
        Task.objects.select_for_update()
        .filter(process=process, status__in=Task.OPEN_STATUSES)
        .order_by("pk")
    )


def version_check(document: Document, expected_version: int) -> None:
    """Refuse an action taken on a page older than the document's last change."""
    if document.version != expected_version:
        raise StaleVersion(
            "The document changed since you opened it. Reload it and try again.",
            {
                "code": "stale_version",
                "expected_version": expected_version,
                "current_version": document.version,
            },
        )


def document_save(document: Document, *fields: str) -> None:
    """Save the changed fields and bump the version: every change is a new version."""
    document.version += 1
    document.save(update_fields=[*fields, "version", "updated_at"])


def enqueue_on_commit(task: CeleryTask, *args: int) -> None:
    """Send a Celery task once the transaction commits, never before.

    robust=True: if the broker is down at that moment, the request that already
    committed must still succeed. The error is logged, and `reconcile_documents`
    re-derives the lost work from the database within a minute or two.
    """

    def send() -> None:
        task.delay(*args)

    # A named function, not a functools.partial: Django's robust on_commit logs a
    # failure with the callback's __qualname__, which a partial lacks.
    send.__qualname__ = f"send {task.name}{args}"
    transaction.on_commit(send, robust=True)


def add_working_days(start: date, days: int) -> date:
    """`start` plus `days` working days (Monday to Friday)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def employee_label(employee: Employee | None) -> str:
    return "" if employee is None else f"{employee.name} ({employee.number})"


def user_label(user: AbstractBaseUser | None) -> str:
    if user is None:
        return SYSTEM_LABEL
    full_name = getattr(user, "get_full_name", lambda: "")()
    return str(full_name or user.get_username())


class HistoryWriter:
    """Writes the history rows of one service call, all sharing one `group` UUID."""

    def __init__(
        self,
        document: Document,
        *,
        actor_label: str,
        actor_user: AbstractBaseUser | None = None,
        on_behalf_of_label: str = "",
    ) -> None:
        self.document = document
        self.actor_label = actor_label[:200]
        self.actor_user = actor_user
        self.on_behalf_of_label = on_behalf_of_label[:200]
        self.group = uuid.uuid4()
        self.at = timezone.now()

    def record(
        self,
        action: str,
        *,
        process: Process | None = None,
        data: Mapping[str, Any] | None = None,
        actor_label: str | None = None,
        on_behalf_of_label: str | None = None,
    ) -> HistoryEvent:
        return HistoryEvent.objects.create(
            **self._fields(action, process, data, actor_label, on_behalf_of_label)
        )

    def record_many(
        self,
        action: str,
        *,
        process: Process | None,
        items: Iterable[Mapping[str, Any]],
    ) -> None:
        """One row per item (e.g. per task), written in a single INSERT."""
        HistoryEvent.objects.bulk_create(
            HistoryEvent(**self._fields(action, process, data, None, None))
            for data in items
        )

    def _fields(
        self,
        action: str,
        process: Process | None,
        data: Mapping[str, Any] | None,
        actor_label: str | None,
        on_behalf_of_label: str | None,
    ) -> dict[str, Any]:
        return {
            "company_id": self.document.company_id,
            "document": self.document,
            "process": process,
            "action": action,
            "actor_user": self.actor_user,
            "actor_label": (actor_label or self.actor_label)[:200],
            "on_behalf_of_label": (
                self.on_behalf_of_label
                if on_behalf_of_label is None
                else on_behalf_of_label[:200]
            ),
            "data": dict(data or {}),
            "at": self.at,
            "group": self.group,
        }
