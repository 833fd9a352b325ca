"""Company-scoped reads of workflows, versions, limits and the change log."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from orgunits.models import Company
from workflows.models import (
    Limit,
    Step,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)


def workflow_list(
    *, company: Company, document_type: str | None = None
) -> QuerySet[Workflow]:
    """The company's workflows, the active one of each type first, with step counts."""
    workflows = Workflow.objects.filter(company=company)
    if document_type is not None:
        workflows = workflows.filter(document_type=document_type)
    return (
        workflows.annotate(step_count=Count("steps", distinct=True))
        .select_related("created_by")
        .order_by("document_type", "-is_active", "name")
    )


def workflow_get(*, company: Company, pk: int) -> Workflow:
    """One workflow with its steps, rules and people; raises Workflow.DoesNotExist."""
    steps = Step.objects.select_related(
        "low_limit", "high_limit", "auto_approve_as"
    ).prefetch_related("rules__role", "rules__approvers")
    return (
        Workflow.objects.filter(company=company)
        .prefetch_related(
            Prefetch("steps", queryset=steps.order_by("position")),
            "four_eyes_people",
        )
        .get(pk=pk)
    )


def active_version_get(
    *, company_id: int, document_type: str
) -> WorkflowVersion | None:
    """The latest published version of the active workflow for the type, if any."""
    return (
        WorkflowVersion.objects.filter(
            company_id=company_id,
            document_type=document_type,
            workflow__is_active=True,
        )
        .order_by("-number")
        .first()
    )


def workflow_version_list(*, workflow: Workflow) -> QuerySet[WorkflowVersion]:
    return (
        WorkflowVersion.objects.filter(workflow=workflow)
        .select_related("published_by")
        .order_by("-number")
    )


def workflow_change_list(
    *, company: Company, workflow: Workflow | None = None
) -> QuerySet[WorkflowChange]:
    """The change log, newest first; the whole company's (limits too) or one workflow's."""
    changes = WorkflowChange.objects.filter(company=company)
    if workflow is not None:
        changes = changes.filter(workflow=workflow)
    return changes.select_related("actor", "workflow", "version").order_by(
        "-created_at", "-id"
    )


def limit_list(*, company: Company) -> QuerySet[Limit]:
    return Limit.objects.filter(company=company).prefetch_related("amounts")
