"""The simulator page (a hypothetical document through a changeable draft), its save
view for administrators, and the JSON endpoint."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from orgunits.access import Access, company_view
from orgunits.models import Company
from workflows import selectors, services
from workflows.definition import (
    DefinitionFormatError,
    WorkflowDefinition,
    definition_from_workflow,
    definition_problems,
)
from workflows.forms import ADD_LINE, CommentForm, DefinitionEditor, SimulationInput
from workflows.models import Workflow
from workflows.simulator import (
    facts_from_data,
    facts_to_json,
    plan_to_json,
    simulate,
    trace,
)
from workflows.views.common import (
    adds_row,
    company_of,
    error_text,
    page_context,
    posted_editor,
    workflow_or_404,
)


def _simulation_page(
    request: HttpRequest,
    *,
    workflow: Workflow,
    editor: DefinitionEditor,
    document: SimulationInput,
    comment_form: CommentForm | None = None,
    validated: bool = False,
    run: bool = False,
) -> HttpResponse:
    """Render the simulator: the editable draft, the document and, if run, the trace."""
    result = None
    problems: tuple[str, ...] = ()
    if run and editor.is_valid() and document.is_valid():
        definition = editor.definition()
        problems = definition_problems(definition)
        try:
            facts = facts_from_data(
                document.as_data(),
                company_id=company_of(request).pk,
                today=timezone.localdate(),
                document_type=workflow.document_type,
            )
        except ValidationError as error:
            document.add_errors(error.message_dict)
        else:
            result = simulate(facts=facts, definition=definition)
    return render(
        request,
        "workflows/simulator.html",
        page_context(
            request,
            workflow=workflow,
            editor=editor,
            document=document,
            datalists=document.datalists(),
            # Not required in the browser: only the save button needs it, and the
            # save view checks it.
            comment_form=comment_form or CommentForm(use_required_attribute=False),
            validated=validated,
            plan=result,
            trace=trace(result) if result else None,
            problems=problems,
        ),
    )


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET", "POST"])
def workflow_simulate(request: HttpRequest, pk: int) -> HttpResponse:
    """Try a workflow, changed or not, on a hypothetical document; never saves."""
    workflow = workflow_or_404(request, pk)
    company = company_of(request)
    today = timezone.localdate()
    if request.method == "GET":
        editor = DefinitionEditor(
            company=company,
            document_type=workflow.document_type,
            definition=definition_from_workflow(workflow),
        )
        document = SimulationInput(company=company, today=today)
        return _simulation_page(
            request, workflow=workflow, editor=editor, document=document
        )
    editor = posted_editor(request, workflow)
    if request.POST.get("action") == ADD_LINE:
        document = SimulationInput.with_line_added(
            company=company, data=request.POST, today=today
        )
    else:
        document = SimulationInput(company=company, data=request.POST, today=today)
    adds = adds_row(request)
    return _simulation_page(
        request,
        workflow=workflow,
        editor=editor,
        document=document,
        validated=not adds,
        run=not adds,
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_POST
def workflow_simulate_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the simulator's changed definition as a draft (administrators only).

    An inactive workflow is saved in place; the active one is never edited, so its
    changed copy becomes a new draft.
    """
    workflow = workflow_or_404(request, pk)
    company = company_of(request)
    editor = DefinitionEditor(
        company=company, document_type=workflow.document_type, data=request.POST
    )
    document = SimulationInput(
        company=company, data=request.POST, today=timezone.localdate()
    )
    comment = CommentForm(request.POST, use_required_attribute=False)
    if editor.is_valid() and comment.is_valid():
        definition = editor.definition()
        try:
            if workflow.is_active:
                name = definition.name
                if name == workflow.name:
                    name = _("%(name)s (draft)") % {"name": name}
                saved = services.workflow_create(
                    company=company,
                    document_type=workflow.document_type,
                    name=name,
                    description=definition.description,
                    definition=dataclasses.replace(definition, name=name),
                    actor=request.user,
                    comment=comment.cleaned_data["comment"],
                )
            else:
                saved = services.workflow_save_definition(
                    workflow=workflow,
                    definition=definition,
                    actor=request.user,
                    comment=comment.cleaned_data["comment"],
                )
        except (ApplicationError, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("Saved as the draft “%(name)s”.") % {"name": saved.name},
            )
            return redirect(
                "workflows:simulate", company_code=company.code, pk=saved.pk
            )
    return _simulation_page(
        request,
        workflow=workflow,
        editor=editor,
        document=document,
        comment_form=comment,
        validated=True,
    )


class WorkflowSimulateApi(APIView):
    """POST facts + a workflow id or an inline draft definition → the plan as JSON.

    Body: {"document": {...hypothetical document...}, "workflow": id} or
    {"document": {...}, "definition": {...WorkflowDefinition.to_dict()...}}; with
    neither, the active workflow of the document's type. Writes nothing.
    """

    class InputSerializer(serializers.Serializer):
        document = serializers.DictField()
        workflow = serializers.IntegerField(required=False, min_value=1)
        definition = serializers.DictField(required=False)

        def validate(self, attrs: Mapping[str, Any]) -> Mapping[str, Any]:
            if "workflow" in attrs and "definition" in attrs:
                raise serializers.ValidationError(
                    _("Give either a workflow id or a definition, not both.")
                )
            return attrs

    def post(self, request: Request) -> Response:
        company = company_of(request)  # type: ignore[arg-type]  # DRF proxies the request
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        definition, source = _api_definition(company, data)
        try:
            facts = facts_from_data(
                data["document"],
                company_id=company.pk,
                today=timezone.localdate(),
                document_type=definition.document_type if definition else None,
                default_currency=company.currency,
            )
        except ValidationError as error:
            raise serializers.ValidationError(
                {"document": error.message_dict}
            ) from error
        if definition is None:
            version = selectors.active_version_get(
                company_id=company.pk, document_type=facts.document_type
            )
            if version is None:
                raise serializers.ValidationError(
                    {
                        "workflow": _("No workflow is active for %(type)s.")
                        % {"type": facts.document_type}
                    }
                )
            definition = WorkflowDefinition.from_dict(version.definition)
            source = {
                "source": "active_version",
                "id": version.workflow_id,
                "version": version.number,
                "name": definition.name,
            }
        result = simulate(facts=facts, definition=definition)
        return Response(
            {
                "workflow": source,
                "problems": list(definition_problems(definition)),
                "facts": facts_to_json(facts),
                "plan": plan_to_json(result),
            },
            status=status.HTTP_200_OK,
        )


def _api_definition(
    company: Company, data: Mapping[str, Any]
) -> tuple[WorkflowDefinition | None, dict[str, Any]]:
    if "workflow" in data:
        workflow = (
            selectors.workflow_list(company=company).filter(pk=data["workflow"]).first()
        )
        if workflow is None:
            raise serializers.ValidationError(
                {"workflow": _("No such workflow in this company.")}
            )
        definition = definition_from_workflow(workflow)
        return definition, {
            "source": "workflow",
            "id": workflow.pk,
            "name": workflow.name,
        }
    if "definition" in data:
        document_type = data["document"].get("document_type")
        raw = {
            "format": 1,
            "company_id": company.pk,
            "document_type": document_type,
            **data["definition"],
        }
        if str(raw["company_id"]) != str(company.pk):
            raise serializers.ValidationError(
                {"definition": _("The definition belongs to another company.")}
            )
        try:
            definition = WorkflowDefinition.from_dict(raw)
        except DefinitionFormatError as error:
            raise serializers.ValidationError({"definition": str(error)}) from error
        return definition, {"source": "definition", "name": definition.name}
    return None, {}


workflow_simulate_api = company_view(Access.CONFIGURATION_READ)(
    WorkflowSimulateApi.as_view()
)
