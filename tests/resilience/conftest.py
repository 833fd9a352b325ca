"""The resilience suite's fixtures: a whole Signoff on this machine, built of its own
processes, and the rule that it only runs when asked.

Tests marked `resilience` are skipped (with the reason shown by `-ra`) unless
SIGNOFF_RESILIENCE=1, which `make test-resilience` sets. A skip rather than an addopts
`-m "not resilience"`: the marker filter would also hide them from an explicit
`pytest tests/resilience`, and a skip says why nothing ran. The static check of
scenario 26 is not marked and runs in `make test` as well.

`stack` (one per session) starts: a PostgreSQL cluster of its own (initdb, migrated),
a Redis of its own behind a TCP proxy that tests cut, gunicorn, one Celery worker and
beat, all on 127.0.0.1 with time compressed by settings (tests/resilience/settings.py).
The test process itself talks to the same database (approvers use the services) and
publishes through the same proxy. Every process is stopped at the end, also on failure.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import environ
import pytest
from django.conf import settings
from django.db import connections

from tests.resilience import harness

ENABLED = os.environ.get("SIGNOFF_RESILIENCE") == "1"
#: An hour of simulated time lasts this many seconds: the push backoff (10 s base,
#: 1 h cap) and retry window (24 h) are divided by the same factor.
SIMULATED_HOUR_SECONDS = float(os.environ.get("SIGNOFF_SIMULATED_HOUR", "30"))
SCALE = 3600.0 / SIMULATED_HOUR_SECONDS
#: Seconds a claim is held: longer than any delivery the stand-in makes take.
LEASE_SECONDS = 8.0
RECONCILE_GRACE_SECONDS = 10.0


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("resilience") and not ENABLED:
        pytest.skip(
            "resilience scenario: runs with SIGNOFF_RESILIENCE=1 (make test-resilience)"
        )


class Stack:
    """The running pieces, and how to bring each back after a fault."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.postgres = harness.Postgres(folder)
        self.redis = harness.Redis(folder)
        self.proxy: harness.TcpProxy | None = None
        self.gunicorn: harness.Gunicorn | None = None
        self.workers: list[harness.CeleryWorker] = []
        self.beat: harness.CeleryBeat | None = None
        self.env: dict[str, str] = {}

    @property
    def broker_url(self) -> str:
        assert self.proxy is not None
        return f"redis://127.0.0.1:{self.proxy.port}/0"

    def start(self) -> None:
        self.redis.start()
        self.proxy = harness.TcpProxy(self.redis.port)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.resilience.settings",
            "DATABASE_URL": self.postgres.url(),
            "CELERY_BROKER_URL": self.broker_url,
            "SIGNOFF_VAR_DIR": str(self.folder / "var"),
            "SIGNOFF_LOG_FORMAT": "console",
            "PYTHONUNBUFFERED": "1",
            "SIGNOFF_PUSH_LEASE_SECONDS": str(LEASE_SECONDS),
            "SIGNOFF_PUSH_BACKOFF_BASE_SECONDS": str(10 / SCALE),
            "SIGNOFF_PUSH_BACKOFF_CAP_SECONDS": str(3600 / SCALE),
            "SIGNOFF_PUSH_RETRY_HOURS": str(24 / SCALE),
            "SIGNOFF_RECONCILE_GRACE_SECONDS": str(RECONCILE_GRACE_SECONDS),
        }
        self._database()
        self._point_this_process()
        self.gunicorn = harness.Gunicorn(self.folder, self.env)
        self.gunicorn.start()
        self.workers = [harness.CeleryWorker(self.folder, self.env, "worker1")]
        for worker in self.workers:
            worker.start(ping=self.ping)
        self.beat = harness.CeleryBeat(self.folder, self.env)
        self.beat.start()

    def _database(self) -> None:
        """A freshly migrated database. Migrating takes a minute on a busy machine, so
        the migrated, empty cluster is kept under var/ as a template, keyed by the
        migrations' content, and each session starts from a copy of it."""
        digest = hashlib.sha256()
        for path in sorted(harness.BASE_DIR.glob("*/migrations/*.py")):
            digest.update(path.name.encode() + path.read_bytes())
        template = harness.BASE_DIR / "var" / f"resilience-pg-{digest.hexdigest()[:16]}"
        if template.is_dir():
            self.postgres.init_from(template)
            self.postgres.start()
            return
        self.postgres.init()
        self.postgres.start()
        self.postgres.createdb("signoff")
        harness.run_checked(
            [str(harness.VENV_BIN / "python"), "manage.py", "migrate", "--noinput"],
            env=self.env,
            timeout=300,
            log=self.folder / "migrate.log",
        )
        self.postgres.server.stop(timeout=20, signum=signal.SIGINT)
        template.parent.mkdir(exist_ok=True)
        for old in template.parent.glob("resilience-pg-*"):
            shutil.rmtree(old, ignore_errors=True)  # templates of older migrations
        self.postgres.save_as(template)
        self.postgres.start()

    def _point_this_process(self) -> None:
        """The test process uses the same database and broker as the servers."""
        connections.close_all()
        config = environ.Env.db_url_config(self.postgres.url())
        database = settings.DATABASES["default"]
        for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT"):
            database[key] = config.get(key, "")
        database["OPTIONS"] = {}
        database["CONN_MAX_AGE"] = 0
        del connections["default"]  # rebuilt from the settings on next use
        from approval_site.celery import app

        settings.CELERY_BROKER_URL = self.broker_url
        app.conf.broker_url = self.broker_url
        # Celery prefers the CELERY_BROKER_URL environment variable to its configuration
        # (celery.app.utils.Settings.broker_url): under .ci/run, which sets it, pings and
        # the approvers' messages would otherwise go to the machine's Redis.
        os.environ["CELERY_BROKER_URL"] = self.broker_url
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
        settings.SIGNOFF_RECONCILE_GRACE_SECONDS = RECONCILE_GRACE_SECONDS

    def ping(self, hostname: str) -> bool:
        from approval_site.celery import app

        return bool(app.control.ping(destination=[hostname], timeout=1.0))

    def heal(self) -> list[str]:
        """Everything up again (after a scenario's faults), nothing cut; returns the
        names of the processes that had to be started."""
        assert self.proxy is not None
        self.proxy.heal()
        assert self.gunicorn is not None
        assert self.beat is not None
        restarted = []
        for piece in (
            self.redis,
            self.postgres,
            self.gunicorn,
            *self.workers,
            self.beat,
        ):
            if not piece.server.alive():
                restarted.append(piece.server.name)
                if isinstance(piece, harness.CeleryWorker):
                    piece.start(ping=self.ping)
                else:
                    piece.start()
        return restarted

    def stop(self) -> None:
        for piece in (self.beat, *self.workers, self.gunicorn):
            if piece is not None:
                piece.stop()
        if self.proxy is not None:
            self.proxy.close()
        self.redis.stop()
        connections.close_all()
        self.postgres.stop()

    def logs(self) -> str:
        parts = []
        for name in ("worker1", "beat", "gunicorn", "postgres", "redis"):
            path = self.folder / f"{name}.log"
            if path.exists():
                parts.append(
                    f"--- {name}.log (tail) ---\n"
                    + path.read_text(errors="replace")[-2500:]
                )
        return "\n".join(parts)


@pytest.fixture(scope="session")
def stack(django_db_blocker: pytest.FixtureRequest) -> Iterator[Stack]:
    if not ENABLED:
        pytest.skip("resilience scenario: runs with SIGNOFF_RESILIENCE=1")
    folder = Path(tempfile.mkdtemp(prefix="signoff-resilience-"))
    running = Stack(folder)
    django_db_blocker.unblock()  # type: ignore[attr-defined]
    try:
        running.start()
        yield running
    finally:
        running.stop()
        django_db_blocker.restore()  # type: ignore[attr-defined]
        if os.environ.get("SIGNOFF_RESILIENCE_KEEP_LOGS") != "1":
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"resilience logs kept in {folder}")


@pytest.fixture
def healthy(stack: Stack, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The stack, whole at the start and healed at the end; logs shown on failure."""
    stack.heal()
    yield stack
    stack.heal()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.logs())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.resilience.checker import REPORT, SUMMARY

    if SUMMARY:
        terminalreporter.section("resilience: per scenario")
        for line in SUMMARY:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"details: {REPORT}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
