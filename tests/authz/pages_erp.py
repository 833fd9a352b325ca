"""ERP clients and deliveries under /c/<company code>/erp/ (erp_sync.urls).

Administrators and system viewers read; only administrators create, revoke, rotate,
enable a callback or redeliver. Everyone else, the company's approvers included,
gets 404.
"""

from __future__ import annotations

from documents.choices import OutboxEventType, OutboxStatus
from documents.models import OutboxEvent
from tests.authz.matrix import ADMIN_ONLY, CONFIG_READ, GET, POST, Page
from tests.factories.erp_sync import ErpClientFactory

GET_POST = (GET, POST)


def _company(w):  # type: ignore[no-untyped-def]
    return {"company_code": w.company.code}


def _client(w):  # type: ignore[no-untyped-def]
    return {
        "company_code": w.company.code,
        "client_id": ErpClientFactory(company=w.company).pk,
    }


def _event(w):  # type: ignore[no-untyped-def]
    event = OutboxEvent.objects.create(
        company=w.company,
        document=w.document,
        event_type=OutboxEventType.STATUS_CHANGED,
        payload={},
        status=OutboxStatus.DEAD,
    )
    return {"company_code": w.company.code, "event_id": event.pk}


PAGES = [
    Page("erp_sync:client_list", _company, CONFIG_READ),
    Page("erp_sync:client_create", _company, ADMIN_ONLY, methods=GET_POST),
    Page("erp_sync:client_revoke", _client, ADMIN_ONLY, methods=GET_POST),
    Page("erp_sync:client_rotate", _client, ADMIN_ONLY, methods=GET_POST),
    Page("erp_sync:client_callback_enable", _client, ADMIN_ONLY, methods=(POST,)),
    Page("erp_sync:delivery_list", _company, CONFIG_READ),
    Page("erp_sync:delivery_detail", _event, CONFIG_READ),
    Page("erp_sync:delivery_redeliver", _company, ADMIN_ONLY, methods=(POST,)),
]
