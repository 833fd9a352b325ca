"""The simulator on real documents: pick one, or replay the last N through a draft.

The workflows app simulates hypothetical documents and knows nothing of documents; this
module turns real ones into routing facts with `routing_facts_for` — the very function
live routing uses — and hands them to the same engine, so the trace shown here is what
live routing would do. Nothing is written. Pages are for administrators and system
viewers (CONFIGURATION_READ), under `/c/<company code>/simulator/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.models import Document
from documents.selectors import document_get_for_user
from documents.services.routing import routing_facts_for
from orgunits.access import Access, company_view
from orgunits.models import Company, DocumentType
from workflows import selectors as workflow_selectors
from workflows.definition import (
    WorkflowDefinition,
    definition_from_workflow,
    definition_problems,
)
from workflows.engine import Plan, RoutingFacts
from workflows.forms import (
    ADD_RULE_PREFIX,
    ADD_STEP,
    CommentForm,
    DefinitionEditor,
    SimulationInput,
)
from workflows.models import Workflow, WorkflowVersion
from workflows.simulator import (
    facts_to_json,
    plan_difference,
    plan_to_json,
    simulate,
    trace,
)

#: The most documents one replay routes (each is two plans, ~20 queries).
MAX_REPLAY = 100
PICK_LIMIT = 50


def _company(request: HttpRequest) -> Company:
    return request.company  # type: ignore[attr-defined, no-any-return]  # set by company_view


def _can_write(request: HttpRequest) -> bool:
    return bool(request.membership.is_system_admin)  # type: ignore[attr-defined]  # set by company_view


def _recent_documents(
    company: Company, *, document_type: str | None, limit: int
) -> QuerySet[Document]:
    """The company's latest documents (of one type), newest first."""
    documents = Document.objects.filter(company=company)
    if document_type:
        documents = documents.filter(document_type=document_type)
    return documents.order_by("-received_at", "-id")[:limit]


def _document(request: HttpRequest, document_id: int) -> Document:
    """The document through the documents app's access rule, in this company only."""
    document = document_get_for_user(user=request.user, document_id=document_id)
    if document.company_id != _company(request).pk:
        raise Http404("No such document.")
    return document


def _workflow(request: HttpRequest, workflow_id: int) -> Workflow:
    try:
        return workflow_selectors.workflow_get(
            company=_company(request), pk=workflow_id
        )
    except Workflow.DoesNotExist as error:
        raise Http404("No such workflow.") from error


def _requested_workflow(request: HttpRequest) -> Workflow | None:
    raw = request.GET.get("workflow", "")
    return _workflow(request, int(raw)) if raw.isdigit() else None


@dataclass(frozen=True)
class _Route:
    """What a document is routed through: a definition and where it came from."""

    definition: WorkflowDefinition
    workflow: Workflow | None
    version: WorkflowVersion | None

    @property
    def label(self) -> str:
        if self.version is not None:
            return _("“%(name)s”, active version %(number)d") % {
                "name": self.definition.name,
                "number": self.version.number,
            }
        return _("“%(name)s” as saved now") % {"name": self.definition.name}

    def as_json(self) -> dict[str, Any]:
        if self.version is not None:
            return {
                "source": "active_version",
                "id": self.version.workflow_id,
                "version_id": self.version.pk,
                "version": self.version.number,
                "name": self.definition.name,
            }
        return {
            "source": "workflow",
            "id": self.workflow.pk if self.workflow else None,
            "name": self.definition.name,
        }


def _active_route(company: Company, document_type: str) -> _Route | None:
    version = workflow_selectors.active_version_get(
        company_id=company.pk, document_type=document_type
    )
    if version is None:
        return None
    return _Route(
        definition=WorkflowDefinition.from_dict(version.definition),
        workflow=version.workflow,
        version=version,
    )


def _workflow_route(workflow: Workflow) -> _Route:
    return _Route(
        definition=definition_from_workflow(workflow), workflow=workflow, version=None
    )


def _route_for(request: HttpRequest, document: Document) -> _Route | None:
    """The requested workflow (its saved rows), else the active version of the type."""
    workflow = _requested_workflow(request)
    if workflow is None:
        return _active_route(_company(request), document.document_type)
    if workflow.document_type != document.document_type:
        raise Http404("The workflow routes another document type.")
    return _workflow_route(workflow)


# --- pick a real document ----------------------------------------------------------------


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def document_pick(request: HttpRequest) -> HttpResponse:
    """The latest documents, to simulate one (through a chosen workflow, if given)."""
    company = _company(request)
    workflow = _requested_workflow(request)
    document_type = request.GET.get("type") or None
    if workflow is not None:
        document_type = workflow.document_type
    if document_type not in (None, *DocumentType.values):
        document_type = None
    documents = _recent_documents(
        company, document_type=document_type, limit=PICK_LIMIT
    )
    return render(
        request,
        "documents/simulator/pick.html",
        {
            "company": company,
            "can_write": _can_write(request),
            "workflow": workflow,
            "document_type": document_type,
            "document_types": DocumentType.choices,
            "documents": documents,
        },
    )


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def document_simulate(request: HttpRequest, document_id: int) -> HttpResponse:
    """A real document's trace, and the simulator prefilled with it for changes."""
    company = _company(request)
    document = _document(request, document_id)
    route = _route_for(request, document)
    today = timezone.localdate()
    facts = routing_facts_for(document, today=today)
    result = simulate(facts=facts, definition=route.definition) if route else None
    active = _active_route(company, document.document_type)
    difference: list[str] = []
    if route is not None and route.version is None and active is not None:
        difference = plan_difference(
            simulate(facts=facts, definition=active.definition),
            result,  # type: ignore[arg-type]  # set with route
        )
    context: dict[str, Any] = {
        "company": company,
        "can_write": _can_write(request),
        "document": document,
        "facts": facts,
        "route": route,
        "active": active,
        "plan": result,
        "trace": trace(result) if result else None,
        "difference": difference,
    }
    if route is not None and route.workflow is not None:
        # The same page as the hypothetical simulator, prefilled: change the draft or
        # the document there and simulate again (that POST goes to the workflows app).
        document_input = SimulationInput(company=company, facts=facts, today=today)
        context |= {
            "workflow": route.workflow,
            "editor": DefinitionEditor(
                company=company,
                document_type=document.document_type,
                definition=route.definition,
            ),
            "document_input": document_input,
            "datalists": document_input.datalists(),
            "comment_form": CommentForm(use_required_attribute=False),
        }
    return render(request, "documents/simulator/document.html", context)


class DocumentSimulateApi(APIView):
    """GET the plan a real document gets now, as JSON (`?workflow=<id>` to try a
    workflow's saved rows instead of the active version). Writes nothing."""

    def get(self, request: Request, document_id: int) -> Response:
        django_request: HttpRequest = request._request
        document = _document(django_request, document_id)
        route = _route_for(django_request, document)
        facts = routing_facts_for(document, today=timezone.localdate())
        if route is None:
            label = DocumentType(document.document_type).label
            return Response(
                {
                    "detail": _("No workflow is active for %(type)s.")
                    % {"type": str(label).lower()}
                },
                status=409,
            )
        result = simulate(facts=facts, definition=route.definition)
        return Response(
            {
                "document": {
                    "id": document.pk,
                    "document_type": document.document_type,
                    "erp_reference": document.erp_reference,
                    "status": document.status,
                },
                "workflow": route.as_json(),
                "problems": list(definition_problems(route.definition)),
                "facts": facts_to_json(facts),
                "plan": plan_to_json(result),
            }
        )


document_simulate_api = company_view(Access.CONFIGURATION_READ)(
    DocumentSimulateApi.as_view()
)


# --- replay the last N documents through a draft ------------------------------------------


class ReplayForm(forms.Form):
    count = forms.IntegerField(
        label=gettext_lazy("Number of documents"),
        min_value=1,
        max_value=MAX_REPLAY,
        initial=20,
        help_text=gettext_lazy("The latest documents of the type, newest first."),
    )


@dataclass(frozen=True)
class ReplayRow:
    document: Document
    before: Plan | None
    after: Plan
    difference: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.difference)


def _replay(
    company: Company,
    *,
    definition: WorkflowDefinition,
    active: _Route | None,
    count: int,
) -> list[ReplayRow]:
    today = timezone.localdate()
    rows: list[ReplayRow] = []
    documents = _recent_documents(
        company, document_type=definition.document_type, limit=count
    )
    for document in documents:
        facts: RoutingFacts = routing_facts_for(document, today=today)
        after = simulate(facts=facts, definition=definition)
        before = simulate(facts=facts, definition=active.definition) if active else None
        difference = (
            plan_difference(before, after)
            if before is not None
            else [_("No workflow is active now, so every route is new.")]
        )
        rows.append(ReplayRow(document, before, after, tuple(difference)))
    return rows


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET", "POST"])
def workflow_replay(request: HttpRequest, workflow_id: int) -> HttpResponse:
    """Route the last N documents of the type through a draft (as saved, or as changed
    on this page) and show, per document, how that differs from the active version."""
    company = _company(request)
    workflow = _workflow(request, workflow_id)
    action = request.POST.get("action", "")
    adds_row = action == ADD_STEP or action.startswith(ADD_RULE_PREFIX)
    if request.method == "POST":
        form = ReplayForm(request.POST)
        if adds_row:
            editor = DefinitionEditor.with_row_added(
                company=company,
                document_type=workflow.document_type,
                data=request.POST,
                action=action,
            )
        else:
            editor = DefinitionEditor(
                company=company, document_type=workflow.document_type, data=request.POST
            )
    else:
        form = ReplayForm(request.GET or None, initial={"count": 20})
        editor = DefinitionEditor(
            company=company,
            document_type=workflow.document_type,
            definition=definition_from_workflow(workflow),
        )
    rows: list[ReplayRow] | None = None
    active = _active_route(company, workflow.document_type)
    if not adds_row and form.is_bound and form.is_valid():
        # A GET replays the draft as saved; a POST the steps as changed on the page.
        definition = None
        if request.method == "GET":
            definition = definition_from_workflow(workflow)
        elif editor.is_valid():
            definition = editor.definition()
        if definition is not None:
            rows = _replay(
                company,
                definition=definition,
                active=active,
                count=form.cleaned_data["count"],
            )
    return render(
        request,
        "documents/simulator/replay.html",
        {
            "company": company,
            "can_write": _can_write(request),
            "workflow": workflow,
            "active": active,
            "form": form,
            "editor": editor,
            "validated": request.method == "POST" and not adds_row,
            "rows": rows,
            "changed_count": sum(1 for r in rows if r.changed) if rows else 0,
        },
    )
