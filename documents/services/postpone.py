"""Postpone: no reminders until a new date, which becomes the task's due date."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from documents.models import Task
from documents.services.common import (
    HistoryWriter,
    employee_label,
    task_guard,
    task_lock,
)
from documents.services.decisions import on_behalf_of_for
from documents.transitions import POSTPONE
from orgunits.models import Employee


@transaction.atomic
def task_postpone(
    *, task_id: int, employee: Employee, user: AbstractBaseUser, until: date
) -> Task:
    """Postpone the task to `until`: it is due then, and nobody is reminded before.

    Raises ValidationError unless `until` is after today, and InvalidTransition when
    the task cannot be postponed now.
    """
    if until <= timezone.localdate():
        raise ValidationError({"until": "Choose a date after today."})
    locked = task_lock(task_id)
    task_guard(locked=locked, employee=employee, user=user, action=POSTPONE)
    task = locked.task
    before = task.due_date
    # Reminders and the overdue mark read these two fields; nothing else changes.
    task.postponed_until = until
    task.due_date = until
    task.version += 1
    task.save(update_fields=["postponed_until", "due_date", "version", "updated_at"])
    HistoryWriter(
        locked.document,
        actor_label=employee_label(employee),
        actor_user=user,
        on_behalf_of_label=employee_label(on_behalf_of_for(task, employee)),
    ).record(
        "documents.task.postpone",
        process=locked.process,
        data={"task": task.pk, "due_date_before": before, "until": until},
    )
    return task
