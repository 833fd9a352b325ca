"""The measurements that are not a plain wrk run: they need the ORM, a login or a clock.

Runs inside the bench process with Django set up on the bench database (the same
settings module and environment the served gunicorn has).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests

from bench.erp_receiver import ErpReceiver
from bench.payloads import cost_centre_code, department_code, invoice
from bench.seed import (
    BENCH_COMPANY,
    BENCH_PASSWORD,
    approver_username,
    controller_username,
)

if TYPE_CHECKING:
    from erp_sync.services.clients import ErpClientCredentials

REFERENCE_COMPANY = "benchref"


@dataclass
class Prepared:
    base_url: str
    token: str
    approvers: int
    departments: int
    signing_secret: str


def _access_token(base_url: str, credentials: ErpClientCredentials) -> str:
    """A bearer token for an ERP client, through the real OAuth2 endpoint."""
    answer = requests.post(
        f"{base_url}/api/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
        timeout=30,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def prepare(*, base_url: str, receiver: ErpReceiver) -> Prepared:
    """A fresh ERP client with the receiver as callback, its token, the reference company."""
    from erp_sync.services.clients import erp_client_create
    from orgunits.models import Company, CostUnit, Department

    company = Company.objects.get(code=BENCH_COMPANY)
    Company.objects.get_or_create(
        code=REFERENCE_COMPANY,
        defaults={"name": "Bench reference endpoints", "currency": "NOK"},
    )
    credentials = erp_client_create(
        company=company,
        name=f"Bench run {time.strftime('%Y-%m-%d %H:%M:%S')}",
        callback_url=receiver.url,
    )
    receiver.secret = credentials.signing_secret
    return Prepared(
        base_url=base_url,
        token=_access_token(base_url, credentials),
        approvers=CostUnit.objects.filter(company=company, type__segment_id=2).count(),
        departments=Department.objects.filter(company=company).count(),
        signing_secret=credentials.signing_secret,
    )


def login(base_url: str, username: str) -> requests.Session:
    """A browser-like session: the login form with its CSRF token, then the cookie."""
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=30).raise_for_status()
    answer = session.post(
        f"{base_url}/accounts/login/",
        data={
            "username": username,
            "password": BENCH_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"login of {username} failed: {answer.status_code}")
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def ingest_body(*, centre: int, departments: int, reference: str = "__REF__") -> bytes:
    import json

    return json.dumps(
        invoice(
            reference=reference,
            cost_centre=cost_centre_code(centre),
            department=department_code(centre % departments),
        ),
        separators=(",", ":"),
    ).encode()


def reference_body() -> bytes:
    """The bare DRF endpoint's 10-line invoice, about 3 KB like the Visma one."""
    import json

    lines = [
        {
            "line_number": n,
            "description": f"Item {n}: printer paper, toner and other office supplies",
            "quantity": str(1 + n % 4),
            "amount": f"{120 + 17 * n}.00",
            "account": "6800",
            "subaccount_number": "D01-CC0001",
            "segment_values": {"1": "D01", "2": "CC0001"},
            "department_code": "D01",
            "project_code": "",
            "task_code": "",
            "branch_code": "1",
        }
        for n in range(1, 11)
    ]
    return json.dumps(
        {
            "document_type": "purchase_invoice",
            "erp_document_type": "Invoice",
            "erp_reference": "__REF__",
            "gross_amount": "3125.00",
            "net_amount": "2500.00",
            "vat_amount": "625.00",
            "currency": "NOK",
            "supplier_number": "50012",
            "supplier_name": "Kontorrekvisita AS",
            "description": "Office supplies, reference invoice for the benchmark",
            "document_date": "2026-11-02",
            "due_date": "2026-12-31",
            "lines": lines,
        },
        separators=(",", ":"),
    ).encode()


def submit(prepared: Prepared, *, reference: str, centre: int, lines: int = 10) -> str:
    """POST one supplier invoice through the API; its public id."""
    body = invoice(
        reference=reference,
        cost_centre=cost_centre_code(centre),
        department=department_code(centre % prepared.departments),
        lines=lines,
    )
    answer = requests.post(
        f"{prepared.base_url}/api/v1/documents/supplier-invoices",
        json=body,
        headers={
            "Authorization": f"Bearer {prepared.token}",
            "Idempotency-Key": f"bench-{reference}",
        },
        timeout=60,
    )
    if answer.status_code != 202:
        raise RuntimeError(f"submit {reference}: {answer.status_code} {answer.text}")
    return answer.json()["id"]


def wait_until(
    check: Callable[[], bool], *, timeout: float, interval: float = 0.005
) -> float | None:
    """Poll until `check()`; the monotonic time it held, or None after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(interval)
    return None


def backlog() -> int:
    """Documents received but not routed yet (what the workers still owe)."""
    from documents.models import Document

    return Document.objects.filter(
        company__code=BENCH_COMPANY, status=Document.Status.RECEIVED
    ).count()


def broker_pending() -> int:
    """Celery messages waiting in the bench's Redis or taken but not yet acknowledged.

    Workers acknowledge late, so a message being worked on stays in kombu's `unacked`
    hash until it is done: zero here means every queued task has finished, new-task
    e-mails and relays included, not just routing.
    """
    import os

    import redis

    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    # The queue and its priority lists ("celery", "celery\x06\x163", ...); only lists.
    waiting = sum(
        int(client.llen(key)) for key in client.scan_iter("celery*", _type="list")
    )
    return waiting + int(client.hlen("unacked"))


def routing_span(prefix: str) -> tuple[int, float]:
    """Documents of a burst (ERP references starting with `prefix`) that were routed,
    and the seconds from the first routed one's process start to the last one's."""
    from django.db.models import Count, Max, Min

    from documents.models import Process

    span = Process.objects.filter(
        document__company__code=BENCH_COMPANY,
        document__erp_reference__startswith=prefix,
    ).aggregate(n=Count("pk"), first=Min("started_at"), last=Max("started_at"))
    if not span["n"]:
        return 0, 0.0
    return span["n"], (span["last"] - span["first"]).total_seconds()


def wait_routed(public_ids: Iterable[str], *, timeout: float = 60) -> None:
    from documents.models import Document

    ids = list(public_ids)

    def routed() -> bool:
        return not Document.objects.filter(
            public_id__in=ids, status=Document.Status.RECEIVED
        ).exists()

    if wait_until(routed, timeout=timeout, interval=0.05) is None:
        raise RuntimeError(f"{len(ids)} documents not routed within {timeout} s")


def _active_task(public_id: str, position: int) -> Any:
    from documents.models import Task

    return (
        Task.objects.filter(
            document__public_id=public_id,
            status=Task.Status.ACTIVE,
            step_run__position=position,
        )
        .select_related("document")
        .first()
    )


def approve_latencies(
    prepared: Prepared, *, receiver: ErpReceiver, samples: int, run: str
) -> dict[str, list[float]]:
    """approve → next step's task active, and last approval → signed push received.

    Each sample is a fresh invoice on its own cost centre (never centre 0, whose owner's
    500 tasks the My-tasks figures count). Step 1 is approved and the step-2 task polled
    for one document at a time; then every step-2 approval is sent and the pushes
    awaited together (the relay's schedule dominates that figure).
    """
    centres = [1 + (k % max(1, prepared.approvers - 1)) for k in range(samples)]
    documents = [
        submit(prepared, reference=f"L{run}-{k}", centre=centre)
        for k, centre in enumerate(centres)
    ]
    wait_routed(documents)
    sessions: dict[str, requests.Session] = {}

    def session_of(username: str) -> requests.Session:
        if username not in sessions:
            sessions[username] = login(prepared.base_url, username)
        return sessions[username]

    def approve(username: str, task: Any) -> float:
        session = session_of(username)
        started = time.monotonic()
        answer = session.post(
            f"{prepared.base_url}/tasks/{task.pk}/approve/",
            data={
                "version": task.document.version,
                "comment": "",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code not in (200, 302, 303):
            raise RuntimeError(f"approve task {task.pk}: {answer.status_code}")
        return started

    next_visible: list[float] = []
    for public_id, centre in zip(documents, centres, strict=True):
        task = _active_task(public_id, 1)
        # Log in before the clock starts: a login is not part of an approval.
        session_of(approver_username(centre))
        started = approve(approver_username(centre), task)
        seen = wait_until(
            lambda public_id=public_id: _active_task(public_id, 2) is not None,
            timeout=30,
        )
        if seen is None:
            raise RuntimeError(f"step 2 of {public_id} not active within 30 s")
        next_visible.append((seen - started) * 1000)

    from documents.models import Document

    references = dict(
        Document.objects.filter(public_id__in=documents).values_list(
            "public_id", "erp_reference"
        )
    )
    sent_at: dict[str, float] = {}
    for public_id, centre in zip(documents, centres, strict=True):
        task = _active_task(public_id, 2)
        controller = controller_username(centre % prepared.departments)
        session_of(controller)
        sent_at[references[task.document.public_id]] = approve(controller, task)
    receiver_times: dict[str, float] = {}

    def all_pushed() -> bool:
        nonlocal receiver_times
        with receiver.lock:
            receiver_times = dict(receiver.received_at)
        return all(reference in receiver_times for reference in sent_at)

    if wait_until(all_pushed, timeout=60, interval=0.01) is None:
        missing = [r for r in sent_at if r not in receiver_times]
        raise RuntimeError(f"no push within 60 s for {missing}")
    pushed = [(receiver_times[r] - t) * 1000 for r, t in sent_at.items()]
    return {"next_step_visible_ms": next_visible, "push_received_ms": pushed}


def queries_per_request(*, username: str, path: str) -> int:
    """SQL queries one GET of `path` runs, logged in as `username` (Django's client)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    client.get(path)  # warm caches (content types, sessions) like a served worker
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} as {username}: {answer.status_code}")
    return len(captured)


def approver_task_paths(*, limit: int = 500) -> list[str]:
    from documents.models import Task

    ids = Task.objects.filter(
        assignee__user__username=approver_username(0), status=Task.Status.ACTIVE
    ).values_list("pk", flat=True)[:limit]
    return [f"/tasks/{pk}/" for pk in ids]


def open_task_count(username: str) -> int:
    from documents.models import Task

    return Task.objects.filter(
        assignee__user__username=username, status=Task.Status.ACTIVE
    ).count()


def plan_timing(prepared: Prepared, *, runs: int, calls: int = 20) -> dict[str, Any]:
    """plan() for a 200-line invoice over 20 cost centres: ms per call and queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from documents.models import Document
    from documents.services.routing import routing_facts_for
    from workflows.definition import WorkflowDefinition
    from workflows.engine import plan
    from workflows.models import WorkflowVersion

    public_id = _plan_document(prepared)
    document = Document.objects.get(public_id=public_id)
    facts = routing_facts_for(document, today=timezone.localdate())
    version = WorkflowVersion.objects.filter(
        workflow__company=document.company, workflow__is_active=True
    ).latest("number")
    definition = WorkflowDefinition.from_dict(version.definition)
    plan(facts, definition)  # warm
    with CaptureQueriesContext(connection) as captured:
        result = plan(facts, definition)
    approvers = sum(len(step.approvers) for step in result.steps)
    per_run = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(calls):
            plan(facts, definition)
        per_run.append((time.perf_counter() - started) * 1000 / calls)
    return {
        "document": public_id,
        "document_id": document.pk,
        "lines": len(facts.lines),
        "approvers": approvers,
        "queries": len(captured),
        "ms": per_run,
    }


def _plan_document(prepared: Prepared) -> str:
    """The 200-line invoice (one per database), lines over 20 cost centres."""
    from documents.models import Document

    reference = "PLAN-200"
    found = Document.objects.filter(
        company__code=BENCH_COMPANY, erp_reference=reference
    ).first()
    if found is not None:
        return str(found.public_id)
    body = invoice(
        reference=reference, cost_centre="CC0001", department="D00", lines=200
    )
    for number, line in enumerate(body["invoiceLines"]):
        centre = 1 + number % min(20, max(1, prepared.approvers - 1))
        department = department_code(centre % prepared.departments)
        line["subaccount"] = {
            "subaccountNumber": f"{department}-{cost_centre_code(centre)}",
            "segments": [
                {"segmentId": 1, "segmentValue": department},
                {"segmentId": 2, "segmentValue": cost_centre_code(centre)},
            ],
        }
    total = sum(Decimal(str(line["costInCurrency"])) for line in body["invoiceLines"])
    body["detailTotal"] = float(total)
    body["vatTotal"] = 0.0
    body["amount"] = float(total)
    answer = requests.post(
        f"{prepared.base_url}/api/v1/documents/supplier-invoices",
        json=body,
        headers={
            "Authorization": f"Bearer {prepared.token}",
            "Idempotency-Key": "bench-plan-200",
        },
        timeout=120,
    )
    if answer.status_code != 202:
        raise RuntimeError(f"200-line invoice: {answer.status_code} {answer.text}")
    public_id = answer.json()["id"]
    wait_routed([public_id])
    return public_id


def sync_seconds(*, base_url: str, run: str) -> dict[str, float]:
    """PUT 10 k subaccounts and 5 k employees through the API into a fresh company."""
    from bench.payloads import sync_employees, sync_subaccounts
    from erp_sync.services.clients import erp_client_create
    from orgunits.models import Company

    company = Company.objects.create(
        code=f"benchsync-{run}", name=f"Bench sync {run}", currency="NOK"
    )
    credentials = erp_client_create(
        company=company, name="Bench sync", callback_url="http://127.0.0.1:9/unused"
    )
    headers = {"Authorization": f"Bearer {_access_token(base_url, credentials)}"}
    timings = {}
    for name, body in (
        ("subaccounts", sync_subaccounts()),
        ("employees", sync_employees(run=run)),
    ):
        started = time.perf_counter()
        answer = requests.put(
            f"{base_url}/api/v1/sync/{name}", json=body, headers=headers, timeout=300
        )
        timings[f"{name}_s"] = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"sync {name}: {answer.status_code} {answer.text[:300]}")
    timings["total_s"] = timings["subaccounts_s"] + timings["employees_s"]
    return timings


def median_min_max(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }
