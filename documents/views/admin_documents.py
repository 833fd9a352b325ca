"""The administrators' document overview, one document's process, and their actions.

Buttons come from `available_admin_document_actions`, the function the actions
check again under the document's lock (`documents.services.admin_pages`), so what a
page offers is what the service accepts. Viewers see the same pages without buttons;
the action URLs need CONFIGURATION_WRITE, so a viewer's crafted POST is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError
from documents.choices import DocumentStatus
from documents.forms_admin import (
    BULK_ACTION_LABELS,
    BulkDocumentForm,
    DocumentActionForm,
    DocumentOverviewForm,
)
from documents.models import Document
from documents.selectors import document_history_list
from documents.selectors_admin import (
    admin_documents_in,
    document_get_for_admin,
    document_overview_page,
    document_status_counts,
)
from documents.services import document_resend_preview
from documents.services.admin_pages import (
    COMMENT_REQUIRED,
    DOCUMENT_ACTIONS,
    document_admin_act,
    documents_admin_act,
)
from documents.transitions import (
    APPROVE_DIRECTLY,
    CANCEL_DIRECTLY,
    REJECT_DIRECTLY,
    RESEND,
    available_admin_document_actions,
)
from documents.views.admin_common import (
    admin_url,
    can_act,
    company_of,
    list_link,
    page_context,
    page_links,
    plan_panel,
    process_panel,
)
from documents.views.common import error_text
from documents.views.task_detail import attachment_kind, history_label
from orgunits.access import Access, company_view

#: The action in the URL → the transitions name.
URL_ACTIONS = {
    "approve": APPROVE_DIRECTLY,
    "reject": REJECT_DIRECTLY,
    "cancel": CANCEL_DIRECTLY,
}
_ACTION_TITLES = {
    APPROVE_DIRECTLY: gettext_lazy("Approve directly"),
    REJECT_DIRECTLY: gettext_lazy("Reject directly"),
    CANCEL_DIRECTLY: gettext_lazy("Cancel directly"),
    RESEND: gettext_lazy("Send for approval again"),
}
_ACTION_DONE = {
    APPROVE_DIRECTLY: gettext_lazy("Approved directly. The ERP is told."),
    REJECT_DIRECTLY: gettext_lazy("Rejected directly. The ERP is told."),
    CANCEL_DIRECTLY: gettext_lazy("Cancelled. The ERP is told."),
}


@dataclass(frozen=True)
class FixHint:
    """What an administrator can do about a blocked document."""

    text: str
    #: The same in a few words, for a row of the overview.
    short: str
    resendable: bool


def fix_hint(document: Document, *, blocked_midway: bool) -> FixHint:
    """The block's remedy in words: the reason itself names what is missing."""
    if blocked_midway:
        return FixHint(
            _(
                "Blocked during its approval, after some steps were decided: approve, "
                "reject or cancel it directly."
            ),
            _("Decide or cancel it directly."),
            resendable=False,
        )
    if document.blocked_reason.startswith("No workflow is active"):
        return FixHint(
            _("Activate a workflow for this document type, then send it again."),
            _("Activate a workflow for this document type, then send it again."),
            resendable=True,
        )
    return FixHint(
        _(
            "Fix what the reason names (the workflow's steps, the approvers of the "
            "org unit, or the employee), then send it again: the resolved workflow "
            "is shown before anything is sent. Or decide it directly."
        ),
        _("Fix the setup the reason names, then send it again."),
        resendable=True,
    )


# --- overview ---------------------------------------------------------------------------


@company_view(Access.CONFIGURATION_READ)
@require_GET
def document_overview(request: HttpRequest) -> HttpResponse:
    """The company's documents by status, searchable, newest first, paged by key."""
    company = company_of(request)
    form = DocumentOverviewForm(request.GET)
    query = form.to_query()
    page = document_overview_page(company=company, query=query)
    counts = document_status_counts(company=company)
    url = admin_url(request, "document_list")
    base = {
        "status": query.status,
        "type": query.document_type,
        "q": query.search,
        "per_page": query.page_size if query.page_size != 25 else None,
    }
    tabs = [
        {
            "value": "",
            "label": _("All"),
            "count": None,
            "url": list_link(url, base, status=None, after=None, before=None),
            "current": not query.status,
        },
        *(
            {
                "value": value,
                "label": label,
                "count": counts.get(value),
                "url": list_link(url, base, status=value, after=None, before=None),
                "current": query.status == value,
            }
            for value, label in DocumentStatus.choices
        ),
    ]
    acting = can_act(request)
    rows = [
        {
            "document": document,
            "bulk_value": f"{document.pk}:{document.version}",
            "selectable": acting and document.status in Document.OPEN_STATUSES,
            "hint": (
                fix_hint(document, blocked_midway=document.blocked_midway)  # type: ignore[attr-defined]  # annotated by the selector
                if document.status == DocumentStatus.BLOCKED
                else None
            ),
        }
        for document in page.rows
    ]
    return render(
        request,
        "documents/admin/document_list.html",
        page_context(
            request,
            form=form,
            query=query,
            page=page,
            rows=rows,
            tabs=tabs,
            links=page_links(
                url, base, next_key=page.next_key, previous_key=page.previous_key
            ),
            bulk_actions=list(BULK_ACTION_LABELS.items()),
        ),
    )


# --- one document -----------------------------------------------------------------------


def _action_forms(document: Document, allowed: frozenset[str]) -> dict[str, Any]:
    initial = {"version": document.version}
    return {
        action: DocumentActionForm(
            initial=initial, action=action, auto_id=f"{action}-%s"
        )
        for action in (APPROVE_DIRECTLY, REJECT_DIRECTLY, CANCEL_DIRECTLY)
        if action in allowed
    }


def _allowed(request: HttpRequest, document: Document) -> frozenset[str]:
    if not can_act(request):
        return frozenset()
    return available_admin_document_actions(
        document=document, user=request.user
    ) & frozenset(DOCUMENT_ACTIONS)


@company_view(Access.CONFIGURATION_READ)
@require_GET
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    """Header, lines, every process with its steps, tasks, decisions and history."""
    document = document_get_for_admin(
        company=company_of(request), document_id=document_id
    )
    processes = list(document.processes.all())
    current = processes[-1] if processes else None
    allowed = _allowed(request, document)
    blocked_midway = bool(
        current is not None and current.status == "blocked" and current.step_runs.all()
    )
    return render(
        request,
        "documents/admin/document_detail.html",
        page_context(
            request,
            document=document,
            lines=document.lines.all(),
            own_lines=set(),
            attachments=[
                (attachment, attachment_kind(attachment.content_type))
                for attachment in document.attachments.all()
            ],
            comments=document.comments.all(),
            current=current,
            panel=process_panel(current) if current is not None else [],
            show_why=True,
            earlier=[
                {"process": process, "steps": process_panel(process)}
                for process in reversed(processes[:-1])
            ],
            decisions=[
                decision
                for process in processes
                for decision in process.decisions.all()
            ],
            history=[
                (event, history_label(event.action))
                for event in document_history_list(document=document)
            ],
            deliveries=document.outbox_events.all(),
            allowed=allowed,
            forms=_action_forms(document, allowed),
            hint=(
                fix_hint(document, blocked_midway=blocked_midway)
                if document.status == DocumentStatus.BLOCKED
                else None
            ),
        ),
    )


def _document_or_404(request: HttpRequest, document_id: int) -> Document:
    document = Document.objects.filter(
        pk=document_id, company=company_of(request)
    ).first()
    if document is None:
        raise Http404("No such document.")
    return document


def _detail_url(request: HttpRequest, document: Document) -> str:
    return admin_url(request, "document_detail", document.pk)


def _render_action(
    request: HttpRequest,
    document: Document,
    action: str,
    form: DocumentActionForm | None,
    *,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        "documents/admin/document_action.html",
        page_context(
            request,
            document=document,
            action=action,
            title=_ACTION_TITLES[action],
            form=form,
            post_url=request.path,
            **extra,
        ),
        status=status,
    )


def _act(
    request: HttpRequest, document: Document, action: str, form: DocumentActionForm
) -> HttpResponse | Document:
    """Run the action; a response when it was refused, else the changed document."""
    try:
        return document_admin_act(
            document_id=document.pk,
            company_id=document.company_id,
            expected_version=form.cleaned_data["version"],
            action=action,
            admin_user=request.user,
            comment=form.cleaned_data.get("comment", ""),
        )
    except Document.DoesNotExist as error:
        raise Http404("No such document.") from error
    except (ApplicationError, PermissionDenied) as error:
        messages.error(
            request,
            error_text(error) if isinstance(error, ApplicationError) else str(error),
        )
        return redirect(_detail_url(request, document))
    except ValidationError as error:
        for message in error.messages:
            form.add_error("comment" if "comment" in form.fields else None, message)
        return _render_action(request, document, action, form, status=400)


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def document_action(
    request: HttpRequest, document_id: int, action_slug: str
) -> HttpResponse:
    """GET: confirm approve / reject / cancel directly (with the reason). POST: do it."""
    action = URL_ACTIONS.get(action_slug)
    if action is None:
        raise Http404("No such action.")
    document = _document_or_404(request, document_id)
    if request.method == "GET":
        if action not in _allowed(request, document):
            messages.error(
                request, _("This action is not available for the document now.")
            )
            return redirect(_detail_url(request, document))
        form = DocumentActionForm(initial={"version": document.version}, action=action)
        return _render_action(request, document, action, form)
    form = DocumentActionForm(request.POST, action=action)
    if not form.is_valid():
        return _render_action(request, document, action, form, status=400)
    outcome = _act(request, document, action, form)
    if isinstance(outcome, HttpResponse):
        return outcome
    messages.success(request, str(_ACTION_DONE[action]))
    return redirect(_detail_url(request, document))


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def document_resend(request: HttpRequest, document_id: int) -> HttpResponse:
    """GET: the workflow a resend would build now. POST: send it for approval again."""
    document = _document_or_404(request, document_id)
    if request.method == "GET":
        try:
            plan = document_resend_preview(
                document_id=document.pk, admin_user=request.user
            )
        except ApplicationError as error:
            messages.error(request, error_text(error))
            return redirect(_detail_url(request, document))
        form = DocumentActionForm(initial={"version": document.version}, action=RESEND)
        return _render_action(
            request,
            document,
            RESEND,
            form,
            plan=plan,
            panel=plan_panel(plan),
            show_why=True,
        )
    form = DocumentActionForm(request.POST, action=RESEND)
    if not form.is_valid():
        messages.error(request, _("The page was not complete. Open the preview again."))
        return redirect(_detail_url(request, document))
    outcome = _act(request, document, RESEND, form)
    if isinstance(outcome, HttpResponse):
        return outcome
    if outcome.status == DocumentStatus.BLOCKED:
        messages.warning(
            request,
            _("Still blocked: %(reason)s") % {"reason": outcome.blocked_reason},
        )
    else:
        messages.success(
            request,
            _("Sent for approval. The first step's approvers have their tasks."),
        )
    return redirect(_detail_url(request, document))


# --- many at once -----------------------------------------------------------------------


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def document_bulk(request: HttpRequest) -> HttpResponse:
    """GET: confirm the documents picked in the overview. POST: act on each one.

    Each document is handled on its own; the result page lists, per document, what
    was done or why it was refused (changed since shown, not blocked any more...).
    """
    confirming = request.method == "POST"
    form = BulkDocumentForm(
        request.POST if confirming else request.GET, confirming=confirming
    )
    overview = admin_url(request, "document_list")
    if not form.is_valid() and (form.non_field_errors() or "action" in form.errors):
        for error in [*form.non_field_errors(), *form.errors.get("action", [])]:
            messages.error(request, error)
        return redirect(overview)
    items: list[tuple[int, int]] = form.cleaned_data["items"]
    action: str = form.cleaned_data["action"]
    documents = admin_documents_in(
        company=company_of(request), document_ids=[pk for pk, _v in items]
    )
    if not confirming or not form.is_valid():
        rows = []
        for document_id, version in items:
            document = documents.get(document_id)
            refused = ""
            if document is None:
                refused = _("No such document.")
            elif document.version != version:
                refused = _(
                    "Changed since the list was shown: it will be left as it is."
                )
            elif action not in available_admin_document_actions(
                document=document, user=request.user
            ):
                refused = _(
                    "Not available for this document now: it will be left as it is."
                )
            rows.append(
                {
                    "id": document_id,
                    "version": version,
                    "document": document,
                    "refused": refused,
                }
            )
        return render(
            request,
            "documents/admin/document_bulk_confirm.html",
            page_context(
                request,
                form=form,
                rows=rows,
                action=action,
                action_label=BULK_ACTION_LABELS[action],
                needs_comment=action in COMMENT_REQUIRED,
            ),
            status=400 if confirming else 200,
        )
    results = documents_admin_act(
        items=items,
        company_id=company_of(request).pk,
        action=action,
        admin_user=request.user,
        comment=form.cleaned_data.get("comment") or "",
    )
    done = sum(1 for result in results if result.ok)
    messages.info(
        request,
        ngettext(
            "%(done)d of %(all)d document done.",
            "%(done)d of %(all)d documents done.",
            len(results),
        )
        % {"done": done, "all": len(results)},
    )
    return render(
        request,
        "documents/admin/bulk_results.html",
        page_context(
            request,
            title=BULK_ACTION_LABELS[action],
            results=[
                {
                    "result": result,
                    "label": _label(documents.get(result.item_id), result.item_id),
                    "url": (
                        reverse(
                            "documents_admin:document_detail",
                            args=[company_of(request).code, result.item_id],
                        )
                        if result.item_id in documents
                        else ""
                    ),
                }
                for result in results
            ],
            back_url=overview,
            back_label=_("Back to the document overview"),
        ),
    )


def _label(document: Document | None, document_id: int) -> str:
    if document is None:
        return _("Document %(id)d") % {"id": document_id}
    party = document.supplier_name or (
        document.requester.name if document.requester else ""
    )
    return f"{document.get_document_type_display()} {document.erp_reference}" + (
        f" ({party})" if party else ""
    )
