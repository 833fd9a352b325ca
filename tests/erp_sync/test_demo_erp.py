"""The demo ERP (demo mode only): its loader, its page and its signed callback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.test import Client
from django.urls import clear_url_caches

from documents.models import Document
from documents.services.routing import document_route
from erp_sync import demo
from erp_sync.demo import ApiResponse, load_demo_erp
from erp_sync.demo_models import DemoErpCredentials, DemoErpEvent
from erp_sync.models import ErpClient
from erp_sync.services.clients import signing_key_bytes
from orgunits.demo import COMPANY_CODE, DemoSummary, load_demo_company
from orgunits.models import Company
from tests.factories.orgunits import CompanyFactory, MembershipFactory

CALLBACK = "/demo-erp/callback"


def _reload_urls() -> None:
    import approval_site.urls

    importlib.reload(approval_site.urls)
    clear_url_caches()


@pytest.fixture
def demo_mode(settings: Any) -> Iterator[None]:
    """SIGNOFF_DEMO_MODE on, with the URLconf rebuilt for it (and rebuilt back after)."""
    settings.SIGNOFF_DEMO_MODE = True
    _reload_urls()
    yield
    settings.SIGNOFF_DEMO_MODE = False
    _reload_urls()


@pytest.fixture
def credentials(db: None, demo_mode: None) -> DemoErpCredentials:
    """The demo ERP's client, for a bare demo company (no full demo load needed)."""
    company = CompanyFactory(code=COMPANY_CODE)
    load_demo_erp(DemoSummary(company=company))
    return DemoErpCredentials.objects.get(company=company)


def _sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _event_body(reference: str = "DERP-INV-1") -> bytes:
    return json.dumps(
        {
            "id": "evt-1",
            "type": "document.approved",
            "document": {"referenceNumber": reference, "approvalStatus": "Approved"},
        },
        separators=(",", ":"),
    ).encode()


def _push(
    client: Client,
    body: bytes,
    *,
    msg_id: str = "msg_1",
    timestamp: int | None = None,
    signature: str,
) -> Any:
    return client.post(
        CALLBACK,
        data=body,
        content_type="application/json",
        headers={
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp or int(time.time())),
            "webhook-signature": signature,
        },
    )


# --- the callback ----------------------------------------------------------------------


def test_a_correctly_signed_event_is_verified_and_applied(
    client: Client, credentials: DemoErpCredentials
) -> None:
    body = _event_body()
    now = int(time.time())
    response = _push(
        client,
        body,
        timestamp=now,
        signature=_sign(credentials.signing_secret, "msg_1", now, body),
    )
    assert response.status_code == 200, response.content
    event = DemoErpEvent.objects.get(webhook_id="msg_1")
    assert event.signature_valid
    assert event.applied_at is not None
    assert event.received_count == 1
    assert event.event_type == "document.approved"
    assert event.document_reference == "DERP-INV-1"
    assert event.company == credentials.company


def test_a_replayed_event_is_applied_once(
    client: Client, credentials: DemoErpCredentials
) -> None:
    body = _event_body()
    now = int(time.time())
    signature = _sign(credentials.signing_secret, "msg_1", now, body)
    assert _push(client, body, timestamp=now, signature=signature).status_code == 200
    applied_at = DemoErpEvent.objects.get().applied_at
    assert _push(client, body, timestamp=now, signature=signature).status_code == 200
    event = DemoErpEvent.objects.get()
    assert event.received_count == 2
    assert event.applied_at == applied_at


def test_any_of_several_signatures_may_match(
    client: Client, credentials: DemoErpCredentials
) -> None:
    """During a secret rotation the header holds one signature per secret."""
    body = _event_body()
    now = int(time.time())
    good = _sign(credentials.signing_secret, "msg_1", now, body)
    response = _push(client, body, timestamp=now, signature=f"v1,AAAA {good}")
    assert response.status_code == 200


def test_a_tampered_body_is_refused_and_recorded_as_invalid(
    client: Client, credentials: DemoErpCredentials
) -> None:
    now = int(time.time())
    signature = _sign(credentials.signing_secret, "msg_1", now, _event_body("A"))
    response = _push(client, _event_body("B"), timestamp=now, signature=signature)
    assert response.status_code == 400
    event = DemoErpEvent.objects.get(webhook_id="msg_1")
    assert not event.signature_valid
    assert event.applied_at is None


def test_a_forged_copy_does_not_touch_an_applied_event(
    client: Client, credentials: DemoErpCredentials
) -> None:
    body = _event_body()
    now = int(time.time())
    good = _sign(credentials.signing_secret, "msg_1", now, body)
    assert _push(client, body, timestamp=now, signature=good).status_code == 200
    assert _push(client, body, timestamp=now, signature="v1,AAAA").status_code == 400
    event = DemoErpEvent.objects.get()
    assert event.signature_valid
    assert event.received_count == 1


def test_a_valid_delivery_after_an_invalid_one_is_applied(
    client: Client, credentials: DemoErpCredentials
) -> None:
    body = _event_body()
    now = int(time.time())
    assert _push(client, body, timestamp=now, signature="v1,AAAA").status_code == 400
    good = _sign(credentials.signing_secret, "msg_1", now, body)
    assert _push(client, body, timestamp=now, signature=good).status_code == 200
    event = DemoErpEvent.objects.get()
    assert event.signature_valid
    assert event.applied_at is not None


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_more_than_5_minutes_off_is_refused(
    client: Client, credentials: DemoErpCredentials, offset: int
) -> None:
    body = _event_body()
    then = int(time.time()) + offset
    signature = _sign(credentials.signing_secret, "msg_1", then, body)
    response = _push(client, body, timestamp=then, signature=signature)
    assert response.status_code == 400
    assert DemoErpEvent.objects.get().applied_at is None


def test_missing_headers_are_refused(
    client: Client, credentials: DemoErpCredentials
) -> None:
    response = client.post(CALLBACK, data=b"{}", content_type="application/json")
    assert response.status_code == 400
    assert not DemoErpEvent.objects.exists()


# --- access and mounting ---------------------------------------------------------------


def test_the_page_is_for_administrators_of_the_demo_company(
    client: Client, credentials: DemoErpCredentials
) -> None:
    response = client.get("/demo-erp/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]

    approver = MembershipFactory(company=credentials.company, approver=True)
    client.force_login(approver.user)
    assert client.get("/demo-erp/").status_code == 404
    assert client.post("/demo-erp/send/time-card").status_code == 404

    other = MembershipFactory(company=CompanyFactory(code="other"), admin=True)
    client.force_login(other.user)
    assert client.get("/demo-erp/").status_code == 404

    admin = MembershipFactory(company=credentials.company, admin=True)
    client.force_login(admin.user)
    response = client.get("/demo-erp/")
    assert response.status_code == 200
    assert "Send a sample" in response.content.decode()


@pytest.mark.django_db
def test_the_urls_do_not_exist_outside_demo_mode(client: Client, settings: Any) -> None:
    settings.SIGNOFF_DEMO_MODE = False
    _reload_urls()
    assert client.get("/demo-erp/").status_code == 404
    assert (
        client.post(CALLBACK, data=b"{}", content_type="application/json").status_code
        == 404
    )


# --- the loader ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_loader_does_nothing_outside_demo_mode(settings: Any) -> None:
    settings.SIGNOFF_DEMO_MODE = False
    company = CompanyFactory(code=COMPANY_CODE)
    load_demo_erp(DemoSummary(company=company))
    assert not DemoErpCredentials.objects.exists()
    assert not ErpClient.objects.filter(company=company).exists()


@pytest.mark.django_db
def test_load_demo_creates_the_demo_client_once(settings: Any) -> None:
    settings.SIGNOFF_DEMO_MODE = True
    settings.SIGNOFF_DEMO_ERP_BASE_URL = "http://localhost:8123/"
    load_demo_company()
    first = DemoErpCredentials.objects.select_related("client").get()
    assert first.client.callback_url == "http://localhost:8123/demo-erp/callback"
    assert first.client.signing_secret == first.signing_secret
    load_demo_company()
    assert DemoErpCredentials.objects.get() == first
    company = Company.objects.get(code=COMPANY_CODE)
    assert ErpClient.objects.filter(company=company).count() == 1


# --- the send buttons, through the real API --------------------------------------------


class ThroughTestClient:
    """The demo ERP's transport, pointed at Django's test client instead of a socket."""

    def __init__(self) -> None:
        self.http = Client()
        self.calls: list[tuple[str, str]] = []

    def post_form(self, path: str, data: Mapping[str, str]) -> ApiResponse:
        self.calls.append(("POST", path))
        return self._decoded(self.http.post(path, data=dict(data)))

    def post_json(
        self, path: str, body: Any, headers: Mapping[str, str]
    ) -> ApiResponse:
        self.calls.append(("POST", path))
        response = self.http.post(
            path,
            data=json.dumps(body),
            content_type="application/json",
            headers=dict(headers),
        )
        return self._decoded(response)

    def get(self, path: str, headers: Mapping[str, str]) -> ApiResponse:
        self.calls.append(("GET", path))
        return self._decoded(self.http.get(path, headers=dict(headers)))

    @staticmethod
    def _decoded(response: Any) -> ApiResponse:
        return ApiResponse(
            response.status_code, json.loads(response.content or b"null")
        )


@pytest.fixture
def loaded_demo(db: None, demo_mode: None) -> DemoSummary:
    return load_demo_company()


@pytest.mark.parametrize(
    ("kind", "erp_type"),
    [
        ("supplier-invoice", "Invoice"),
        ("expense-claim", "ExpenseClaim"),
        ("time-card", "TimeCard"),
    ],
)
def test_each_button_sends_a_sample_through_the_real_api(
    client: Client,
    loaded_demo: DemoSummary,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    erp_type: str,
) -> None:
    transport = ThroughTestClient()
    monkeypatch.setattr(demo, "demo_http", lambda: transport)
    client.force_login(loaded_demo.users["admin"])

    response = client.post(f"/demo-erp/send/{kind}")
    assert response.status_code == 302
    assert transport.calls[:2] == [
        ("POST", "/api/v1/oauth/token"),
        ("POST", f"/api/v1/documents/{demo.KINDS[kind][0]}"),
    ]
    document = Document.objects.get(
        company=loaded_demo.company, erp_reference__startswith="DERP-"
    )
    # Routing is asynchronous (on commit); run it here as the worker would.
    document_route(document_id=document.pk)

    page = client.get("/demo-erp/").content.decode()
    assert "HTTP 202" in page, page
    assert document.erp_reference in page
    # The page read the document back over the API: it routed in the demo company.
    assert transport.calls[-1] == ("GET", f"/api/v1/documents/{document.public_id}")
    assert erp_type in page
    assert "in_progress" in page
    assert "InProgressApproval" in page

    # A second click is a new document (fresh reference and Idempotency-Key).
    client.post(f"/demo-erp/send/{kind}")
    assert "HTTP 202" in client.get("/demo-erp/").content.decode()
