from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone

if TYPE_CHECKING:
    # Used in the string base below; models.py imports this module, so no runtime import.
    from orgunits.models import Substitution  # noqa: F401


class SubstitutionQuerySet(models.QuerySet["Substitution"]):
    def active_at(self, at: datetime | None = None) -> Self:
        """Substitutions in force at `at` (now by default): started, not yet ended."""
        moment = at or timezone.now()
        return self.filter(starts_at__lte=moment).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=moment)
        )

    def overlapping(self, *, starts_at: datetime, ends_at: datetime | None) -> Self:
        """Rows whose [starts_at, ends_at) overlaps the given period (None = open end).

        Half-open periods: one ending at the moment another starts does not overlap it.
        """
        qs = self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
        if ends_at is not None:
            qs = qs.filter(starts_at__lt=ends_at)
        return qs
