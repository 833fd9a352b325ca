"""Settings of the processes the resilience suite starts (gunicorn, workers, beat).

The test settings, with time compressed by settings only (no code path changes): the
relay polls every second instead of every 10 s, the reconciler runs every 5 s with a
10-second grace instead of every minute with a minute, and the push backoff, lease and
retry window are scaled so that an hour of ERP outage fits in seconds
(`SIMULATED_HOUR_SECONDS`; the harness exports the values to every process).
"""

from datetime import timedelta

from approval_site.env import env
from approval_site.settings.test import *  # noqa: F403
from approval_site.settings.test import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "erp-sync-relay-outbox": {
        "task": "erp_sync.relay_outbox",
        "schedule": timedelta(seconds=env.float("SIGNOFF_RELAY_EVERY", default=1.0)),
    },
    "documents-reconcile": {
        "task": "documents.reconcile_documents",
        "schedule": timedelta(
            seconds=env.float("SIGNOFF_RECONCILE_EVERY", default=5.0)
        ),
    },
}
# The processes log to files the tests print on failure: INFO shows task runs.
LOGGING["root"]["level"] = "INFO"  # noqa: F405
