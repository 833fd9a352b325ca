"""Workflow editor, limits and simulators under /c/<company code>/ (workflows.urls,
documents.simulator_urls).

Administrators and system viewers read (and simulate: nothing is written); only
administrators change. Everyone else, the company's approvers included, gets 404.
"""

from __future__ import annotations

from tests.authz.matrix import ADMIN_ONLY, CONFIG_READ, GET, POST, Page

GET_POST = (GET, POST)


def _company(w):  # type: ignore[no-untyped-def]
    return {"company_code": w.company.code}


def _workflow(w):  # type: ignore[no-untyped-def]
    return {"company_code": w.company.code, "pk": w.workflow.pk}


def _document(w):  # type: ignore[no-untyped-def]
    return {"company_code": w.company.code, "document_id": w.document.pk}


PAGES = [
    Page("workflows:list", _company, CONFIG_READ),
    Page("workflows:create", _company, ADMIN_ONLY, methods=GET_POST),
    Page("workflows:changes", _company, CONFIG_READ),
    Page("workflows:limits", _company, CONFIG_READ),
    Page("workflows:limit_create", _company, ADMIN_ONLY, methods=GET_POST),
    Page(
        "workflows:limit_edit",
        lambda w: {"company_code": w.company.code, "pk": w.limit.pk},
        ADMIN_ONLY,
        methods=GET_POST,
    ),
    # A JSON API for the simulator; an empty body is a 400 with the field errors.
    Page("workflows:simulate_api", _company, CONFIG_READ, methods=(POST,)),
    Page("workflows:detail", _workflow, CONFIG_READ),
    Page("workflows:edit", _workflow, ADMIN_ONLY, methods=GET_POST),
    Page("workflows:duplicate", _workflow, ADMIN_ONLY, methods=GET_POST),
    Page("workflows:activate", _workflow, ADMIN_ONLY, methods=GET_POST),
    Page("workflows:deactivate", _workflow, ADMIN_ONLY, methods=GET_POST),
    Page("workflows:delete", _workflow, ADMIN_ONLY, methods=GET_POST),
    Page("workflows:workflow_changes", _workflow, CONFIG_READ),
    Page("workflows:simulate", _workflow, CONFIG_READ, methods=GET_POST),
    Page("workflows:simulate_save", _workflow, ADMIN_ONLY, methods=(POST,)),
    Page("documents_simulator:pick", _company, CONFIG_READ),
    Page("documents_simulator:document", _document, CONFIG_READ),
    Page("documents_simulator:document_api", _document, CONFIG_READ),
    Page(
        "documents_simulator:replay",
        lambda w: {"company_code": w.company.code, "workflow_id": w.workflow.pk},
        CONFIG_READ,
        methods=GET_POST,
    ),
]
