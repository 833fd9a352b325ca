from django.db import models
from django.db.models import Q
from django.utils import timezone


class SubstitutionQuerySet(models.QuerySet):
    def active_at(self, at=None):  # type: ignore[no-untyped-def]  # QuerySet generics
        """Substitutions in force at `at` (now by default): started, not yet ended."""
        moment = at or timezone.now()
        return self.filter(starts_at__lte=moment).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=moment)
        )

    def overlapping(self, *, starts_at, ends_at):  # type: ignore[no-untyped-def]
        """Rows whose [starts_at, ends_at) overlaps the given period (None = open end)."""
        qs = self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=starts_at))
        if ends_at is not None:
            qs = qs.filter(starts_at__lt=ends_at)
        return qs
