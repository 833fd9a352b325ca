"""A real `celery worker` subprocess on the test database, for end-to-end tests.

Shared by the documents and ERP end-to-end tests through the `worker_log` fixture in
tests/conftest.py: the worker runs with `--pool=solo` against the database Django
created for the test and the configured broker, and is stopped in any case.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from approval_site.celery import app

#: The longest any wait for the worker may take (seconds).
WAIT = 30.0


def database_url() -> str:
    """The URL of the database this test runs on (the one Django created for tests)."""
    db = connection.settings_dict
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def wait_for(what: str, check: Callable[[], bool], log: Path) -> None:
    """Poll `check` until it is true, failing with the worker's log after WAIT s."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:]
    pytest.fail(f"timed out after {WAIT:.0f} s waiting for {what}; worker log:\n{tail}")


@contextmanager
def running_worker(folder: Path) -> Iterator[Path]:
    """Start a worker, wait until it answers a ping, yield its log file, stop it."""
    # A name of its own, so the readiness ping asks this worker and no other.
    hostname = f"signoff-test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    log = folder / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
        "DJANGO_SETTINGS_MODULE": "approval_site.settings.test",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "approval_site",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--hostname",
                hostname,
                "--without-gossip",
                "--without-mingle",
                # Messages other tests queued on this broker are not ours to run.
                "--purge",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"the worker exited with {process.returncode}:\n"
                + log.read_text(errors="replace")[-3000:]
            )
        return bool(app.control.ping(destination=[hostname], timeout=0.5))

    try:
        # Ready only once it answers a ping: the purge is done by then, so nothing
        # the test queues is thrown away.
        wait_for("the worker to start", answers, log)
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
