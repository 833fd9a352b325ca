"""Reusable filters on the documents models."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from documents.choices import TASK_OPEN_STATUSES, TaskStatus

if TYPE_CHECKING:
    pass


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        """Tasks that still wait for someone: planned, active, in review or blocked."""
        return self.filter(status__in=TASK_OPEN_STATUSES)

    def overdue(self, today: date | None = None) -> TaskQuerySet:
        """Active tasks past their due date ("overdue" is derived, never stored)."""
        return self.filter(
            status=TaskStatus.ACTIVE, due_date__lt=today or timezone.localdate()
        )

    def soon_overdue(self, *, until: date, today: date | None = None) -> TaskQuerySet:
        """Active tasks not yet overdue but due by `until` (inclusive).

        `until` is the last due date that counts as "soon"; the caller derives it
        from the person's warning days and the company calendar
        (`selectors.task_soon_overdue_list`).
        """
        return self.filter(
            status=TaskStatus.ACTIVE,
            due_date__gte=today or timezone.localdate(),
            due_date__lte=until,
        )
