"""The Celery app. Configuration lives in Django settings under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "approval_site.settings.base")

app = Celery("signoff")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _ensure_filesystem_broker_folders() -> None:
    """The filesystem transport needs its folders before the first publish or poll."""
    options = app.conf.broker_transport_options or {}
    for key in (
        "data_folder_in",
        "data_folder_out",
        "processed_folder",
        "control_folder",
    ):
        if folder := options.get(key):
            os.makedirs(folder, exist_ok=True)


if str(app.conf.broker_url or "").startswith("filesystem://"):
    _ensure_filesystem_broker_folders()
