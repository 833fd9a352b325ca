"""What was e-mailed to whom: the marker that keeps a notification from going out twice.

Celery delivers at least once and beat may fire a schedule again after a restart; the
send services claim a row here (unique per kind, key and recipient) before sending, so
a retried or repeated run finds the claim and sends nothing (DOMAIN §6).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgunits.models import Company


class NotificationKind(models.TextChoices):
    NEW_TASK = "new_task", _("New task")
    DAILY_REMINDER = "daily_reminder", _("Daily reminder")
    OVERVIEW = "overview", _("Overview")
    ADMIN_NOTICE = "admin_notice", _("Administrator notice")


class NotificationSent(models.Model):
    """One notification about `key` (a task, a day, a block…) claimed for one user.

    The key says what the mail was about, e.g. `task:42` or `2026-12-03`.
    """

    Kind = NotificationKind

    # The company the mail was about; empty for the daily reminder and the overview,
    # which gather one person's tasks from all their companies into one mail.
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "user"], name="notification_sent_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="notification_sent_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.user_id}"
