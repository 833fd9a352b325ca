"""The load driver: the ERP over HTTP against gunicorn, and approvers through the
services (in the test process, on the same database), recording every operation.

The ERP side submits supplier invoices with an `Idempotency-Key`, sometimes sends the
same request again with the same key, cancels some documents, and retries whatever did
not get a definitive answer (connection errors, 409 "still running", 429, 5xx, 503)
with the same key, bounded in count and time. Approvers approve, reject and forward
what is active. Every call lands in `History` with its outcome; the checker reads it.

Approvers use the services (`task_approve`, `task_reject`, `task_forward`) rather than
the pages: the pages are a thin layer over the same services, and their templates are
being changed by others; the services are the state-changing path being tested.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from django.db import InterfaceError, OperationalError, close_old_connections
from django.db import connection as db_connection

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import DocumentStatus, TaskStatus
from documents.models import Document, Task
from documents.services import task_approve, task_forward, task_reject
from orgunits.models import Employee, Membership
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory
from tests.factories.workflows import named, step

PAYLOAD = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "erp_sync"
        / "payloads"
        / "supplier_invoice_write.json"
    ).read_text()
)
FINAL = (DocumentStatus.APPROVED, DocumentStatus.REJECTED, DocumentStatus.CANCELLED)
#: Answers after which the ERP sends the same request again with the same key.
RETRYABLE = {409, 429, 500, 502, 503, 504}


@dataclass
class Op:
    kind: str  # submit | resubmit | cancel | approve | reject | forward
    target: str  # ERP reference, or a task id
    outcome: str  # HTTP status / "ok" / "conflict" / "error: ..."
    tries: int = 1
    document: str = ""  # the public id the API answered
    at: float = field(default_factory=time.monotonic)


@dataclass
class History:
    ops: list[Op] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: Op) -> None:
        with self.lock:
            self.ops.append(op)

    def counts(self) -> Counter[str]:
        return Counter(op.kind for op in self.ops)

    def retries(self) -> int:
        return sum(op.tries - 1 for op in self.ops)


@dataclass
class Tenant:
    """One company: its ERP client (token, callback stand-in) and three approvers."""

    company_id: int
    code: str
    base_url: str
    token: str
    anna: Employee
    bob: Employee
    carol: Employee
    session: requests.Session = field(default_factory=requests.Session)
    documents: dict[str, str] = field(default_factory=dict)  # reference → public id

    def headers(self, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers


def tenant_create(*, code: str, base_url: str, callback_url: str) -> tuple[Tenant, str]:
    """A company, its ERP client, master data via the API; returns (tenant, secret)."""
    from erp_sync.services.clients import erp_client_create

    company = CompanyFactory(code=code, name=f"{code} AS", currency="NOK")
    credentials = erp_client_create(
        company=company, name="Visma.net", callback_url=callback_url
    )
    token = requests.post(
        f"{base_url}/api/v1/oauth/token",
        data=urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            }
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    response = requests.put(
        f"{base_url}/api/v1/sync/departments",
        json=[{"departmentId": "FIN", "description": "Finance"}],
        headers=auth,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    people = [
        {
            "employeeNumber": number,
            "employeeName": name,
            "employeeLogin": f"{name.lower()}@{code}.example.com",
            "status": "Active",
            "department": {"id": "FIN"},
        }
        for number, name in (("E100", "Anna"), ("E200", "Bob"), ("E300", "Carol"))
    ]
    response = requests.put(
        f"{base_url}/api/v1/sync/employees", json=people, headers=auth, timeout=30
    )
    assert response.status_code == 200, response.text
    staff = {
        e.number: e
        for e in Employee.objects.select_related("user").filter(company=company)
    }
    for employee in staff.values():
        assert employee.user is not None
        employee.user.is_active = True
        employee.user.save(update_fields=["is_active"])
        Membership.objects.create(
            company=company, user=employee.user, approves_purchase_invoices=True
        )
    publish_workflow(
        company,
        step(name="Manager", rules=(named(staff["E100"]),)),
        step(name="Controller", rules=(named(staff["E200"]),)),
    )
    tenant = Tenant(
        company_id=company.pk,
        code=code,
        base_url=base_url,
        token=token,
        anna=staff["E100"],
        bob=staff["E200"],
        carol=staff["E300"],
    )
    return tenant, credentials.signing_secret


class ErpDriver:
    """Plays the ERP against gunicorn."""

    def __init__(
        self, history: History, rng: random.Random, deadline_seconds: float = 90.0
    ) -> None:
        self.history = history
        self.rng = rng
        self.deadline_seconds = deadline_seconds
        #: Every answer (or failure) seen, including the ones retried.
        self.answers: Counter[str] = Counter()

    def _send(
        self, tenant: Tenant, method: str, path: str, key: str | None, body: Any
    ) -> tuple[requests.Response | None, int, str]:
        """One logical request, retried with the same key until a definitive answer
        (bounded: `deadline_seconds` and 400 tries)."""
        deadline = time.monotonic() + self.deadline_seconds
        tries = 0
        last = ""
        while tries < 400 and time.monotonic() < deadline:
            tries += 1
            try:
                response = tenant.session.request(
                    method,
                    f"{tenant.base_url}/api/v1/{path}",
                    json=body,
                    headers=tenant.headers(key),
                    timeout=15,
                )
            except requests.RequestException as error:
                last = f"error: {type(error).__name__}"
                self.answers[last] += 1
                time.sleep(min(0.1 * tries, 1.0))
                continue
            self.answers[str(response.status_code)] += 1
            if response.status_code in RETRYABLE and not (
                response.status_code == 409 and key is None
            ):
                if response.status_code >= 500:
                    # A server error must be a problem+json answer, never a trace.
                    assert response.headers.get("Content-Type", "").startswith(
                        "application/problem+json"
                    ), response.text[:500]
                last = str(response.status_code)
                if response.status_code == 409 and _code(response) != (
                    "idempotency_key_in_progress"
                ):
                    return response, tries, last
                time.sleep(min(0.1 * tries, 1.0))
                continue
            return response, tries, str(response.status_code)
        return None, tries, last or "gave up"

    def submit(self, tenant: Tenant, reference: str) -> str | None:
        body = json.loads(json.dumps(PAYLOAD))
        body["referenceNumber"] = {"value": reference}
        key = str(uuid.uuid4())
        response, tries, outcome = self._send(
            tenant, "POST", "documents/supplier-invoices", key, body
        )
        public_id = response.json().get("id", "") if response is not None else ""
        self.history.add(Op("submit", reference, outcome, tries, public_id or ""))
        if response is None or response.status_code != 202:
            return None
        tenant.documents[reference] = public_id
        if self.rng.random() < 0.3:
            # The ERP did not see the answer and sends the same request again.
            again, tries, outcome = self._send(
                tenant, "POST", "documents/supplier-invoices", key, body
            )
            same = again.json().get("id") if again is not None else ""
            self.history.add(Op("resubmit", reference, outcome, tries, same or ""))
        return public_id

    def cancel(self, tenant: Tenant, reference: str) -> None:
        public_id = tenant.documents[reference]
        _response, tries, outcome = self._send(
            tenant, "POST", f"documents/{public_id}/cancel", None, None
        )
        self.history.add(Op("cancel", reference, outcome, tries, public_id))


class Approvers:
    """Decides every active task of the tenants: approve (mostly), reject, forward."""

    def __init__(
        self, tenants: list[Tenant], history: History, rng: random.Random
    ) -> None:
        self.tenants = {t.company_id: t for t in tenants}
        self.history = history
        self.rng = rng
        self.db_errors = 0

    def round(self, limit: int = 50) -> int:
        """Decide up to `limit` active tasks; returns how many were decided."""
        try:
            return self._round(limit)
        except (OperationalError, InterfaceError):
            # The database is away (restart): drop the connection and come back.
            self.db_errors += 1
            db_connection.close()
            close_old_connections()
            time.sleep(0.3)
            return 0

    def _round(self, limit: int) -> int:
        tasks = list(
            Task.objects.filter(
                company_id__in=self.tenants, status=TaskStatus.ACTIVE
            ).select_related("assignee__user", "document")[:limit]
        )
        done = 0
        for task in tasks:
            tenant = self.tenants[task.company_id]
            employee = task.assignee
            assert employee is not None
            assert employee.user is not None
            roll = self.rng.random()
            kind = "approve"
            if roll < 0.1:
                kind = "reject"
            elif roll < 0.25 and employee.pk == tenant.anna.pk:
                kind = "forward"
            common = {
                "task_id": task.pk,
                "employee": employee,
                "user": employee.user,
                "expected_version": task.document.version,
            }
            try:
                if kind == "approve":
                    task_approve(**common)
                elif kind == "reject":
                    task_reject(**common, comment="Not ours")
                else:
                    task_forward(**common, to_employee=tenant.carol)
                outcome = "ok"
                done += 1
            except (StaleVersion, InvalidTransition) as error:
                outcome = f"conflict: {type(error).__name__}"
            self.history.add(Op(kind, str(task.pk), outcome))
        return done


def _code(response: requests.Response) -> str:
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return ""


def all_final(tenants: list[Tenant]) -> bool:
    references = sum(len(t.documents) for t in tenants)
    final = Document.objects.filter(
        company_id__in=[t.company_id for t in tenants], status__in=FINAL
    ).count()
    return final == references
