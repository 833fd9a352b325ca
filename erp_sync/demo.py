"""The demo ERP (demo mode only): a pretend ERP that talks to Signoff's real API.

`load_demo_erp` (a demo loader, registered from `ErpSyncConfig.ready()`) gives the demo
company an ERP client whose callback is this server's own receiver
(`/demo-erp/callback`) and keeps its plain secrets in `DemoErpCredentials`, so the
demo ERP can get tokens and verify pushes like a real ERP. `demo_erp_send` posts a
sample document through the API over HTTP; `demo_erp_event_receive` verifies a
Standard Webhooks push and applies each event id once.

Nothing here runs outside demo mode: the loader does nothing, the URLs are not mounted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from erp_sync.demo_models import DemoErpCredentials, DemoErpEvent
from erp_sync.models import ErpClient
from erp_sync.services.clients import erp_client_create, signing_key_bytes
from orgunits.demo import COMPANY_CODE, DemoSummary
from orgunits.models import Company

CLIENT_NAME = "Demo ERP"
CALLBACK_PATH = "/demo-erp/callback"
#: Standard Webhooks: refuse a timestamp further than this from now (replay window).
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60
HTTP_TIMEOUT = 10.0


def callback_url() -> str:
    return settings.SIGNOFF_DEMO_ERP_BASE_URL.rstrip("/") + CALLBACK_PATH


# --- the loader ------------------------------------------------------------------------


def load_demo_erp(summary: DemoSummary) -> None:
    """The demo company's demo ERP client and its stored secrets; idempotent.

    Outside demo mode it does nothing: production never stores plain secrets.
    """
    if not settings.SIGNOFF_DEMO_MODE:
        return
    company = summary.company
    credentials = (
        DemoErpCredentials.objects.select_related("client")
        .filter(company=company, client__is_active=True)
        .first()
    )
    if credentials is not None:
        client = credentials.client
        if client.callback_url != callback_url():
            client.callback_url = callback_url()
            client.full_clean(exclude=["application"])
            client.save(update_fields=["callback_url", "updated_at"])
            summary.updated += 1
        return
    # A client of that name without stored secrets (made outside demo mode) cannot be
    # used: its secret is gone. Take the next free name instead.
    taken = set(
        ErpClient.objects.filter(company=company).values_list("name", flat=True)
    )
    name = CLIENT_NAME
    number = 1
    while name in taken:
        number += 1
        name = f"{CLIENT_NAME} {number}"
    created = erp_client_create(company=company, name=name, callback_url=callback_url())
    DemoErpCredentials.objects.create(
        company=company,
        client=created.client,
        client_secret=created.client_secret,
        signing_secret=created.signing_secret,
    )
    summary.created += 2


def demo_credentials() -> DemoErpCredentials | None:
    return (
        DemoErpCredentials.objects.select_related("client__application", "company")
        .filter(company__code=COMPANY_CODE, client__is_active=True)
        .order_by("-created_at", "-pk")
        .first()
    )


# --- the HTTP seam ---------------------------------------------------------------------


@dataclass(frozen=True)
class ApiResponse:
    status_code: int
    body: Any


class DemoHttp(Protocol):
    def post_form(self, path: str, data: Mapping[str, str]) -> ApiResponse: ...

    def post_json(
        self, path: str, body: Any, headers: Mapping[str, str]
    ) -> ApiResponse: ...

    def get(self, path: str, headers: Mapping[str, str]) -> ApiResponse: ...


def _decoded(response: requests.Response) -> ApiResponse:
    try:
        body = response.json()
    except ValueError:
        body = response.text[:2000]
    return ApiResponse(response.status_code, body)


class RequestsHttp:
    """The real thing: HTTP to `SIGNOFF_DEMO_ERP_BASE_URL` (this server, in `make run`)."""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or settings.SIGNOFF_DEMO_ERP_BASE_URL).rstrip("/")

    def post_form(self, path: str, data: Mapping[str, str]) -> ApiResponse:
        return _decoded(
            requests.post(self.base_url + path, data=dict(data), timeout=HTTP_TIMEOUT)
        )

    def post_json(
        self, path: str, body: Any, headers: Mapping[str, str]
    ) -> ApiResponse:
        return _decoded(
            requests.post(
                self.base_url + path,
                json=body,
                headers=dict(headers),
                timeout=HTTP_TIMEOUT,
            )
        )

    def get(self, path: str, headers: Mapping[str, str]) -> ApiResponse:
        return _decoded(
            requests.get(
                self.base_url + path, headers=dict(headers), timeout=HTTP_TIMEOUT
            )
        )


def demo_http() -> DemoHttp:
    """The transport the demo ERP uses; tests point it at Django's test client."""
    return RequestsHttp()


class DemoErpUnavailable(Exception):
    """No token: the demo ERP is not set up, or the API refused its credentials."""


def _token(http: DemoHttp, credentials: DemoErpCredentials) -> str:
    response = http.post_form(
        "/api/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": credentials.client.client_id,
            "client_secret": credentials.client_secret,
        },
    )
    if response.status_code != 200 or not isinstance(response.body, dict):
        raise DemoErpUnavailable(
            f"The token endpoint answered {response.status_code}: {response.body}"
        )
    return str(response.body["access_token"])


# --- samples ---------------------------------------------------------------------------

KINDS = {
    "supplier-invoice": ("supplier-invoices", "Supplier invoice"),
    "expense-claim": ("expense-claims", "Expense claim"),
    "time-card": ("time-cards", "Time card"),
}


def sample_document(kind: str, reference: str) -> dict[str, Any]:
    """A sample that routes in the demo company (its employees, subaccounts, projects)."""
    today = timezone.localdate().isoformat() + "T00:00:00"
    rnd_beta = [
        {"segmentId": 1, "segmentValue": "20"},
        {"segmentId": 2, "segmentValue": "B"},
    ]
    if kind == "supplier-invoice":
        return {
            "documentType": "Invoice",
            "referenceNumber": reference,
            "date": today,
            "supplier": {"number": "50010", "name": "Nordic Office Supply AS"},
            "description": "Demo ERP: lab supplies",
            "currencyId": "NOK",
            "detailTotal": 2000.0,
            "vatTotal": 500.0,
            "amount": 2500.0,
            "invoiceLines": [
                {
                    "lineNumber": 1,
                    "transactionDescription": "Oscilloscope probes",
                    "quantity": 4,
                    "unitCostInCurrency": 500.0,
                    "costInCurrency": 2000.0,
                    "account": {"number": "6540", "description": "Equipment"},
                    "subaccount": {"segments": rnd_beta},
                }
            ],
            "sender": "1010",
        }
    if kind == "expense-claim":
        return {
            "refNbr": reference,
            "date": today,
            "description": "Demo ERP: customer visit Bergen",
            "claimedBy": {"number": "1010", "name": "Per Hansen"},
            "department": {"id": "20", "description": "R&D"},
            "currency": "NOK",
            "claimTotal": 1450.0,
            "details": [
                {
                    "claimDetailId": 1,
                    "date": today,
                    "description": "Hotel 1 night",
                    "quantity": 1,
                    "unitCost": 1450.0,
                    "claimAmount": 1450.0,
                    "amountInClaimCurr": 1450.0,
                    "currency": "NOK",
                    "expenseAccount": {"number": "7140"},
                    "expenseSubaccount": {"segments": rnd_beta},
                    "branch": {"number": "TRD", "name": "Trondheim"},
                }
            ],
        }
    if kind == "time-card":
        return {
            "refNbr": reference,
            "type": "Normal",
            "employee": {"number": "1010", "name": "Per Hansen"},
            "timeSpent": 900,
            "summary": [
                {
                    "lineNumber": 1,
                    "earningType": {"code": "RG", "description": "Regular"},
                    "project": {"id": "P100", "description": "Aurora platform"},
                    "projectTask": {"id": "02", "description": "Development"},
                    "mon": 450,
                    "tue": 450,
                    "timeSpent": 900,
                    "description": "Firmware",
                }
            ],
        }
    raise KeyError(kind)


def unique_reference(kind: str) -> str:
    prefix = {"supplier-invoice": "DERP-INV", "expense-claim": "DERP-EC"}.get(
        kind, "DERP-TC"
    )
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


@dataclass(frozen=True)
class SendResult:
    kind: str
    reference: str
    status_code: int
    body: Any


def demo_erp_send(
    *, kind: str, credentials: DemoErpCredentials, http: DemoHttp | None = None
) -> SendResult:
    """Get a token, POST a fresh sample with a fresh Idempotency-Key; the API's answer."""
    http = http or demo_http()
    token = _token(http, credentials)
    reference = unique_reference(kind)
    endpoint = KINDS[kind][0]
    response = http.post_json(
        f"/api/v1/documents/{endpoint}",
        sample_document(kind, reference),
        {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    return SendResult(kind, reference, response.status_code, response.body)


def demo_erp_documents(
    *, credentials: DemoErpCredentials, ids: list[str], http: DemoHttp | None = None
) -> list[ApiResponse]:
    """The current state of the documents the demo ERP sent, read over the API."""
    if not ids:
        return []
    http = http or demo_http()
    token = _token(http, credentials)
    headers = {"Authorization": f"Bearer {token}"}
    return [http.get(f"/api/v1/documents/{id_}", headers) for id_ in ids]


# --- the callback receiver -------------------------------------------------------------


class InvalidWebhook(Exception):
    """The push is not correctly signed (or too old / from the future)."""


def signature_verify(
    *, secret: str, msg_id: str, timestamp: str, body: bytes, header: str, now: float
) -> None:
    """Standard Webhooks verification; raises InvalidWebhook."""
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise InvalidWebhook("The webhook-timestamp is not a number.") from error
    if abs(now - sent_at) > TIMESTAMP_TOLERANCE_SECONDS:
        raise InvalidWebhook("The webhook-timestamp is more than 5 minutes off.")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(
        hmac.new(signing_key_bytes(secret), signed, hashlib.sha256).digest()
    ).decode("ascii")
    for candidate in header.split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise InvalidWebhook("No signature matches.")


def _summary(body: bytes) -> tuple[Any, str, str]:
    try:
        payload = json.loads(body)
    except ValueError:
        return None, "", ""
    if not isinstance(payload, dict):
        return payload, "", ""
    document = payload.get("document")
    reference = (
        document.get("referenceNumber", "") if isinstance(document, dict) else ""
    )
    return payload, str(payload.get("type", ""))[:50], str(reference or "")[:100]


def demo_erp_event_receive(
    *,
    company: Company,
    secret: str,
    msg_id: str,
    timestamp: str,
    signature: str,
    body: bytes,
) -> DemoErpEvent:
    """Record a push; apply it once per `webhook-id`. Raises InvalidWebhook (recorded).

    A replay of an applied event only counts up `received_count`. A badly signed push
    is recorded as invalid when its id is new and never touches a valid event.
    """
    now = timezone.now()
    payload, event_type, reference = _summary(body)
    try:
        signature_verify(
            secret=secret,
            msg_id=msg_id,
            timestamp=timestamp,
            body=body,
            header=signature,
            now=time.time(),
        )
    except InvalidWebhook:
        _record_invalid(company, msg_id, event_type, reference, payload, now)
        raise
    fields = {
        "company": company,
        "event_type": event_type,
        "document_reference": reference,
        "payload": payload,
        "signature_valid": True,
        "applied_at": now,
        "first_received_at": now,
        "last_received_at": now,
    }
    try:
        with transaction.atomic():
            event, created = DemoErpEvent.objects.get_or_create(
                webhook_id=msg_id, defaults=fields
            )
    except IntegrityError:  # another delivery of the same id won the insert
        event, created = DemoErpEvent.objects.get(webhook_id=msg_id), False
    if created:
        return event
    with transaction.atomic():
        event = DemoErpEvent.objects.select_for_update().get(pk=event.pk)
        event.received_count = F("received_count") + 1
        event.last_received_at = now
        update = ["received_count", "last_received_at", "updated_at"]
        if event.applied_at is None:  # only invalid copies came before: apply now
            for name in ("event_type", "document_reference", "payload", "applied_at"):
                setattr(event, name, fields[name])
            event.signature_valid = True
            update += [
                "event_type",
                "document_reference",
                "payload",
                "applied_at",
                "signature_valid",
            ]
        event.save(update_fields=update)
    event.refresh_from_db()
    return event


def _record_invalid(
    company: Company,
    msg_id: str,
    event_type: str,
    reference: str,
    payload: Any,
    now: Any,
) -> None:
    if not msg_id:
        return
    try:
        with transaction.atomic():
            DemoErpEvent.objects.get_or_create(
                webhook_id=msg_id[:100],
                defaults={
                    "company": company,
                    "event_type": event_type,
                    "document_reference": reference,
                    "payload": payload,
                    "signature_valid": False,
                    "first_received_at": now,
                    "last_received_at": now,
                },
            )
    except IntegrityError:
        pass
