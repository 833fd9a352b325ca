"""Test overrides: only what makes tests fast and deterministic."""

import os

from approval_site.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
DEBUG = False
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# `make test` runs the suite in parallel (pytest-xdist): each test process gets a Celery
# queue of its own, so the real worker one process starts (tests/celery_worker.py, same
# settings, same environment) never takes the messages of another's tests.
_TEST_PROCESS = os.environ.get("PYTEST_XDIST_WORKER")
if _TEST_PROCESS:
    CELERY_TASK_DEFAULT_QUEUE = f"signoff-test-{_TEST_PROCESS}"
