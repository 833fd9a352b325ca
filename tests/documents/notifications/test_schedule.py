"""The periodic mails are on Celery beat, on the configured schedule."""

from __future__ import annotations

from django.conf import settings

from approval_site.celery import app


def test_beat_runs_every_periodic_mail_task() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    entries = {
        "documents-email-daily-reminder": "documents.send_daily_reminders",
        "documents-email-overview": "documents.send_overviews",
        "documents-email-admin-notices": "documents.send_admin_notices",
    }
    app.loader.import_default_modules()
    for name, task in entries.items():
        assert schedule[name]["task"] == task
        assert task in app.tasks
    reminder = schedule["documents-email-daily-reminder"]["schedule"]
    assert reminder.hour == {settings.SIGNOFF_EMAIL_REMINDER_HOUR}
    overview = schedule["documents-email-overview"]["schedule"]
    assert overview.day_of_week == {1}  # Monday by default
