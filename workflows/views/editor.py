"""Workflow pages: the list per document type, create, detail, edit, duplicate,
activate, deactivate, delete and the change log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from orgunits.access import Access, company_view
from orgunits.models import DocumentType
from workflows import selectors, services
from workflows.definition import (
    definition_diff,
    definition_from_workflow,
    definition_problems,
)
from workflows.forms import (
    CommentForm,
    DefinitionEditor,
    WorkflowCreateForm,
    WorkflowDuplicateForm,
)
from workflows.models import Workflow, WorkflowChange
from workflows.views.common import (
    adds_row,
    company_of,
    detail_url,
    error_text,
    page_context,
    posted_editor,
    workflow_or_404,
)


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def workflow_list(request: HttpRequest) -> HttpResponse:
    """Workflows per document type: the active one marked, its version, the last change."""
    company = company_of(request)
    last_change = WorkflowChange.objects.filter(workflow=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    workflows = selectors.workflow_list(company=company).annotate(
        version_number=Max("versions__number"),
        last_change_at=Subquery(last_change.values("created_at")[:1]),
        last_change_action=Subquery(last_change.values("action")[:1]),
        last_change_by=Subquery(last_change.values("actor__username")[:1]),
    )
    actions = dict(WorkflowChange.Action.choices)
    by_type: dict[str, list[Workflow]] = {t: [] for t in DocumentType.values}
    for workflow in workflows:
        workflow.last_change_label = actions.get(  # type: ignore[attr-defined]  # for the template
            workflow.last_change_action, workflow.last_change_action
        )
        by_type.setdefault(workflow.document_type, []).append(workflow)
    groups = [
        (DocumentType(doc_type).label, rows) for doc_type, rows in by_type.items()
    ]
    return render(
        request, "workflows/workflow_list.html", page_context(request, groups=groups)
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def workflow_create(request: HttpRequest) -> HttpResponse:
    company = company_of(request)
    form = WorkflowCreateForm(
        request.POST or None, initial={"document_type": request.GET.get("type")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            workflow = services.workflow_create(
                company=company,
                document_type=form.cleaned_data["document_type"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
        except (ApplicationError, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("Workflow “%(name)s” created; add its steps.")
                % {"name": workflow.name},
            )
            return redirect("workflows:edit", company_code=company.code, pk=workflow.pk)
    return render(
        request, "workflows/workflow_create.html", page_context(request, form=form)
    )


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def workflow_detail(request: HttpRequest, pk: int) -> HttpResponse:
    workflow = workflow_or_404(request, pk)
    definition = definition_from_workflow(workflow)
    return render(
        request,
        "workflows/workflow_detail.html",
        page_context(
            request,
            workflow=workflow,
            definition=definition,
            problems=definition_problems(definition),
            versions=selectors.workflow_version_list(workflow=workflow)[:10],
            changes=selectors.workflow_change_list(
                company=company_of(request), workflow=workflow
            )[:5],
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def workflow_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft's options, steps and rules; saving needs a comment."""
    workflow = workflow_or_404(request, pk)
    company = company_of(request)
    if workflow.is_active:
        messages.info(
            request,
            _(
                "“%(name)s” is active and cannot be edited. Duplicate it, change the "
                "copy, simulate it and activate it."
            )
            % {"name": workflow.name},
        )
        return redirect(detail_url(request, workflow))
    saved = definition_from_workflow(workflow)
    if request.method == "GET":
        editor = DefinitionEditor(
            company=company, document_type=workflow.document_type, definition=saved
        )
        comment = CommentForm()
    else:
        editor = posted_editor(request, workflow)
        comment = CommentForm(request.POST)
        if not adds_row(request) and editor.is_valid() and comment.is_valid():
            definition = editor.definition()
            if not definition_diff(saved, definition):
                messages.info(request, _("Nothing changed, so nothing was saved."))
                return redirect(detail_url(request, workflow))
            try:
                services.workflow_save_definition(
                    workflow=workflow,
                    definition=definition,
                    actor=request.user,
                    comment=comment.cleaned_data["comment"],
                )
            except (ApplicationError, ValidationError) as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("The draft is saved."))
                return redirect(detail_url(request, workflow))
    return render(
        request,
        "workflows/workflow_edit.html",
        page_context(
            request,
            workflow=workflow,
            editor=editor,
            comment_form=comment,
            validated=request.method == "POST" and not adds_row(request),
            problems=definition_problems(saved),
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def workflow_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    workflow = workflow_or_404(request, pk)
    form = WorkflowDuplicateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.workflow_duplicate(
                workflow=workflow,
                actor=request.user,
                comment=form.cleaned_data["comment"],
                name=form.cleaned_data["name"],
            )
        except (ApplicationError, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("“%(copy)s” is a new draft copied from “%(name)s”.")
                % {"copy": copy.name, "name": workflow.name},
            )
            return redirect(detail_url(request, copy))
    return render(
        request,
        "workflows/workflow_confirm.html",
        page_context(
            request,
            workflow=workflow,
            form=form,
            title=_("Duplicate “%(name)s”") % {"name": workflow.name},
            intro=_(
                "The copy is an inactive draft with the same steps. Edit it, simulate "
                "it and activate it to replace the live workflow."
            ),
            button=_("Duplicate"),
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def workflow_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a version and make it the active workflow of its type."""
    workflow = workflow_or_404(request, pk)
    form = CommentForm(request.POST or None)
    problems: list[str] = list(definition_problems(definition_from_workflow(workflow)))
    if request.method == "POST" and form.is_valid():
        try:
            version = services.workflow_activate(
                workflow=workflow,
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            listed = error.extra.get("problems")
            if isinstance(listed, list):
                problems = [str(p) for p in listed]
        else:
            messages.success(
                request,
                _(
                    "“%(name)s” is now active (version %(number)d); new documents use "
                    "it, documents in flight keep their workflow."
                )
                % {"name": workflow.name, "number": version.number},
            )
            return redirect(detail_url(request, workflow))
    active = (
        selectors.workflow_list(
            company=company_of(request), document_type=workflow.document_type
        )
        .filter(is_active=True)
        .exclude(pk=workflow.pk)
        .first()
    )
    intro = _("New documents of this type will be routed by this workflow.")
    if active is not None:
        intro += " " + _("“%(name)s” will be deactivated at the same moment.") % {
            "name": active.name
        }
    return render(
        request,
        "workflows/workflow_confirm.html",
        page_context(
            request,
            workflow=workflow,
            form=form,
            problems=problems,
            title=_("Activate “%(name)s”") % {"name": workflow.name},
            intro=intro,
            button=_("Activate"),
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def workflow_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    workflow = workflow_or_404(request, pk)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.workflow_deactivate(
                workflow=workflow,
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("“%(name)s” is no longer active.") % {"name": workflow.name},
            )
            return redirect(detail_url(request, workflow))
    return render(
        request,
        "workflows/workflow_confirm.html",
        page_context(
            request,
            workflow=workflow,
            form=form,
            title=_("Deactivate “%(name)s”") % {"name": workflow.name},
            intro=_(
                "Documents in flight keep their workflow. Until another workflow is "
                "activated, new documents of this type are blocked."
            ),
            button=_("Deactivate"),
            danger=True,
        ),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def workflow_delete(request: HttpRequest, pk: int) -> HttpResponse:
    workflow = workflow_or_404(request, pk)
    company = company_of(request)
    form = CommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.workflow_delete(
                workflow=workflow,
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect(detail_url(request, workflow))
        messages.success(request, _("“%(name)s” is deleted.") % {"name": workflow.name})
        return redirect("workflows:list", company_code=company.code)
    return render(
        request,
        "workflows/workflow_confirm.html",
        page_context(
            request,
            workflow=workflow,
            form=form,
            title=_("Delete “%(name)s”") % {"name": workflow.name},
            intro=_(
                "The workflow and its unused versions are deleted; the change log "
                "keeps the record. A workflow whose version is still used by documents "
                "cannot be deleted."
            ),
            button=_("Delete"),
            danger=True,
        ),
    )


@company_view(Access.CONFIGURATION_READ)
@require_http_methods(["GET"])
def workflow_changes(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The change log of one workflow, or of the whole company (limits too)."""
    workflow = workflow_or_404(request, pk) if pk is not None else None
    changes = selectors.workflow_change_list(
        company=company_of(request), workflow=workflow
    )[:200]
    return render(
        request,
        "workflows/change_log.html",
        page_context(request, workflow=workflow, changes=changes),
    )
