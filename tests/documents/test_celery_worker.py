"""End to end with a real Celery worker process, Redis and PostgreSQL.

The worker is started as a subprocess on the test database, like `make run` starts
it. The document goes in through `document_receive` (which queues `route_document`
when its transaction commits), the worker routes it, each approval queues
`advance_process`, and the worker moves the process on until the document is
approved with exactly one outcome in the outbox. Nothing is run eagerly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from approval_site.celery import app
from documents.models import Document, OutboxEvent, Task
from documents.services import task_approve
from tests.documents.conftest import current, person, receive
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

#: The longest any wait below may take (seconds).
WAIT = 30.0


def _database_url() -> str:
    """The URL of the database this test runs on (the one Django created for tests)."""
    db = connection.settings_dict
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def _wait_for(what: str, check: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:]
    pytest.fail(f"timed out after {WAIT:.0f} s waiting for {what}; worker log:\n{tail}")


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Path]:
    """A `celery worker --pool=solo` on the test database; stopped in any case."""
    # A name of its own, so the readiness ping asks this worker and no other.
    hostname = f"signoff-test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
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
        # this test queues is thrown away.
        _wait_for("the worker to start", answers, log)
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_document_goes_from_receive_to_approved_through_the_worker(
    company, worker: Path
) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="Manager", rules=(named(anna),)),
        step(name="Controller", rules=(named(bob),)),
    )

    # Committed at once (no test transaction): the on-commit send reaches Redis.
    document = receive(company)
    _wait_for(
        "the worker to route the document",
        lambda: current(document).status == Document.Status.IN_PROGRESS,
        worker,
    )

    for approver in (anna, bob):
        _wait_for(
            f"{approver.name}'s task to become active",
            lambda approver=approver: Task.objects.filter(
                document=document, assignee=approver, status=Task.Status.ACTIVE
            ).exists(),
            worker,
        )
        task = Task.objects.get(
            document=document, assignee=approver, status=Task.Status.ACTIVE
        )
        assert approver.user is not None
        task_approve(
            task_id=task.pk,
            employee=approver,
            user=approver.user,
            expected_version=current(document).version,
        )

    _wait_for(
        "the worker to approve the document",
        lambda: current(document).status == Document.Status.APPROVED,
        worker,
    )
    (event,) = OutboxEvent.objects.filter(document=document)
    assert event.event_type == OutboxEvent.EventType.APPROVED
    assert event.payload["document"]["approvalStatus"] == "ApprovedInApproval"
