"""The demo ERP's pages (demo mode only; mounted by approval_site.urls when
`SIGNOFF_DEMO_MODE` is true): send a sample through the real API, see what came back."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from erp_sync import demo
from erp_sync.demo_models import DemoErpEvent
from erp_sync.models import IdempotencyKey
from orgunits.access import Access, company_view

SESSION_LAST = "demo_erp_last"
#: How many of the documents it sent the page shows (each is one API call).
SHOWN_DOCUMENTS = 10


@require_GET
@company_view(Access.CONFIGURATION_WRITE)
def demo_erp_page(request: HttpRequest) -> HttpResponse:
    credentials = demo.demo_credentials()
    documents: list[dict[str, object]] = []
    error = ""
    if credentials is not None:
        sent = (
            IdempotencyKey.objects.filter(
                client=credentials.client,
                status=IdempotencyKey.Status.COMPLETED,
                response_status=202,
            )
            .order_by("-created_at", "-pk")
            .values_list("response_body", flat=True)[:SHOWN_DOCUMENTS]
        )
        ids = [str(body["id"]) for body in sent if isinstance(body, dict)]
        try:
            answers = demo.demo_erp_documents(credentials=credentials, ids=ids)
        except (demo.DemoErpUnavailable, OSError) as exc:
            answers, error = [], str(exc)
        for id_, answer in zip(ids, answers, strict=False):
            body = answer.body if isinstance(answer.body, dict) else {}
            documents.append(
                {
                    "id": id_,
                    "status_code": answer.status_code,
                    "type": body.get("erpDocumentType", ""),
                    "reference": body.get("erpReference", ""),
                    "status": body.get("status", ""),
                    "approval_status": body.get("approvalStatus", ""),
                }
            )
    events = DemoErpEvent.objects.filter(company=request.company)[:50]  # type: ignore[attr-defined]
    last = request.session.pop(SESSION_LAST, None)
    return render(
        request,
        "erp_sync/demo/page.html",
        {
            "credentials": credentials,
            "kinds": demo.KINDS,
            "documents": documents,
            "events": events,
            "last": last,
            "error": error,
        },
    )


@require_POST
@company_view(Access.CONFIGURATION_WRITE)
def demo_erp_send(request: HttpRequest, kind: str) -> HttpResponse:
    credentials = demo.demo_credentials()
    if kind not in demo.KINDS or credentials is None:
        messages.error(request, "The demo ERP is not set up: run `make demo` first.")
        return redirect("demo_erp:page")
    try:
        result = demo.demo_erp_send(kind=kind, credentials=credentials)
    except (demo.DemoErpUnavailable, OSError) as exc:
        messages.error(request, f"The demo ERP could not reach the API: {exc}")
        return redirect("demo_erp:page")
    request.session[SESSION_LAST] = {
        "label": demo.KINDS[kind][1],
        "reference": result.reference,
        "status_code": result.status_code,
        "body": json.dumps(result.body, indent=2, ensure_ascii=False),
    }
    return redirect("demo_erp:page")


@csrf_exempt
@require_POST
def demo_erp_callback(request: HttpRequest) -> HttpResponse:
    """The demo ERP's callback endpoint: verified Standard Webhooks, each id once."""
    credentials = demo.demo_credentials()
    if credentials is None:
        return HttpResponseBadRequest("The demo ERP is not set up.")
    msg_id = request.headers.get("webhook-id", "")
    timestamp = request.headers.get("webhook-timestamp", "")
    signature = request.headers.get("webhook-signature", "")
    if not msg_id or len(msg_id) > 100 or not timestamp or not signature:
        return HttpResponseBadRequest("Missing or malformed webhook headers.")
    try:
        event = demo.demo_erp_event_receive(
            company=credentials.company,
            secret=credentials.signing_secret,
            msg_id=msg_id,
            timestamp=timestamp,
            signature=signature,
            body=request.body,
        )
    except demo.InvalidWebhook as exc:
        return HttpResponseBadRequest(str(exc))
    return JsonResponse(
        {"webhookId": event.webhook_id, "receivedCount": event.received_count}
    )
