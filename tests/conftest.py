"""Shared fixtures, and the rule for tests that need real services.

Tests marked `postgres`, `redis` or `browser` skip with a clear reason when their service is
missing, so `make test` passes on a bare machine. `.ci/run` sets SIGNOFF_REQUIRE_SERVICES=1:
there a missing service fails the test instead of skipping it.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from hypothesis import settings as hypothesis_settings

# CI runs the property tests with fixed examples: a clean clone must give the same verdict
# every time (a red run does not land). Locally they explore new examples on every run.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")

REQUIRE_SERVICES = os.environ.get("SIGNOFF_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"


def _missing_service(marker: str) -> str | None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if marker == "postgres" and engine != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (as .ci/run does)"
    if marker == "redis" and not str(settings.CELERY_BROKER_URL).startswith("redis://"):
        return "needs Redis: set CELERY_BROKER_URL=redis://... (as .ci/run does)"
    if marker == "browser" and not (
        os.path.exists(CHROMIUM) and shutil.which("chromium")
    ):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing_service(marker)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(
                f"{reason} — SIGNOFF_REQUIRE_SERVICES=1 forbids skipping", pytrace=False
            )
        pytest.skip(reason)


@pytest.fixture(scope="module")
def demo_company_for_module(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[object]:
    """The demo company, loaded once for all tests of a module (it takes seconds).

    It lives in a transaction around the module: each test's own transaction (the
    `django_db` mark) nests in it as a savepoint, so what a test changes is undone after
    it, and the module's data is rolled back at the end. Only for modules whose tests
    use plain `django_db` (not `transaction=True`), and which take the data read-only
    in memory (the summary's rows are shared).
    """
    from orgunits.demo import load_demo_company

    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        yield load_demo_company()
        transaction.set_rollback(True)


@pytest.fixture
def worker_log(tmp_path: Path) -> Iterator[Path]:
    """A real Celery worker on the test database; yields its log file (for failures)."""
    from tests.celery_worker import running_worker

    with running_worker(tmp_path) as log:
        yield log
