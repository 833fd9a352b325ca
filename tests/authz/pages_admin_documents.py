"""Administrator pages for documents, tasks and processes under /c/<company code>/admin/
(documents.admin_urls).

Administrators and system viewers read the overviews and a document's process; only
administrators reach the actions (a viewer's GET or POST of an action page is a 404,
like everyone else's). The company's approvers and other companies' users get 404.
"""

from __future__ import annotations

from tests.authz.matrix import ADMIN_ONLY, CONFIG_READ, GET, POST, Page

GET_POST = (GET, POST)


def _company(w):  # type: ignore[no-untyped-def]
    return {"company_code": w.company.code}


def _blocked(w):  # type: ignore[no-untyped-def]
    return {"company_code": w.company.code, "document_id": w.blocked_document.pk}


PAGES = [
    Page("documents_admin:document_list", _company, CONFIG_READ),
    Page("documents_admin:document_detail", _blocked, CONFIG_READ, variant="blocked"),
    Page(
        "documents_admin:document_detail",
        lambda w: {"company_code": w.company.code, "document_id": w.document.pk},
        CONFIG_READ,
        variant="routed",
    ),
    Page(
        "documents_admin:document_action",
        lambda w: {**_blocked(w), "action_slug": "approve"},
        ADMIN_ONLY,
        methods=GET_POST,
        variant="approve",
    ),
    Page(
        "documents_admin:document_action",
        lambda w: {**_blocked(w), "action_slug": "reject"},
        ADMIN_ONLY,
        methods=GET_POST,
        variant="reject",
    ),
    Page(
        "documents_admin:document_action",
        lambda w: {**_blocked(w), "action_slug": "cancel"},
        ADMIN_ONLY,
        methods=GET_POST,
        variant="cancel",
    ),
    Page("documents_admin:document_resend", _blocked, ADMIN_ONLY, methods=GET_POST),
    Page("documents_admin:document_bulk", _company, ADMIN_ONLY, methods=GET_POST),
    Page("documents_admin:task_list", _company, CONFIG_READ),
    Page("documents_admin:task_reassign", _company, ADMIN_ONLY, methods=GET_POST),
    Page("documents_admin:process_list", _company, CONFIG_READ),
]
