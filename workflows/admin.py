"""Django admin for workflows: a read-only fallback view.

Every change to a workflow must leave a change-log row with a comment, and the active
workflow and published versions must never change in place (DOMAIN §3). The admin's
generic forms can do neither, so here everything is read-only; changes go through the
workflow pages, which call `workflows.services`.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from workflows.models import (
    Limit,
    LimitAmount,
    Step,
    StepRule,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)


class ReadOnlyMixin:
    """No add, change or delete: the admin only shows (see the module docstring)."""

    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


class LimitAmountInline(ReadOnlyMixin, admin.TabularInline):
    model = LimitAmount
    fields = ("currency", "amount")
    extra = 0


@admin.register(Limit)
class LimitAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "company", "amounts_text")
    list_filter = ("company",)
    search_fields = ("name",)
    inlines = (LimitAmountInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Limit]:
        return super().get_queryset(request).prefetch_related("amounts")

    @admin.display(description=_("amounts"))
    def amounts_text(self, obj: Limit) -> str:
        return ", ".join(f"{a.currency} {a.amount}" for a in obj.amounts.all())


class StepInline(ReadOnlyMixin, admin.TabularInline):
    model = Step
    fields = (
        "position",
        "name",
        "condition_kind",
        "low_limit",
        "high_limit",
        "days",
        "mandatory",
        "completion_policy",
        "required_count",
        "line_approval",
        "auto_approve_as",
    )
    extra = 0
    show_change_link = True


@admin.register(Workflow)
class WorkflowAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "company", "document_type", "is_active", "activated_at")
    list_filter = ("company", "document_type", "is_active")
    search_fields = ("name",)
    fields = (
        "company",
        "document_type",
        "name",
        "description",
        "is_active",
        "activated_at",
        "four_eyes_enabled",
        "four_eyes_people",
        "skip_when_already_approved",
        "created_by",
        "created_at",
    )
    readonly_fields = ("is_active", "activated_at", "created_at")
    inlines = (StepInline,)


class StepRuleInline(ReadOnlyMixin, admin.TabularInline):
    model = StepRule
    fields = ("position", "kind", "role", "approvers")
    extra = 0


@admin.register(Step)
class StepAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("__str__", "workflow", "condition_kind", "mandatory")
    list_filter = ("company",)
    list_select_related = ("workflow",)
    inlines = (StepRuleInline,)


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "workflow",
        "number",
        "document_type",
        "published_at",
        "published_by",
    )
    list_filter = ("company", "document_type")
    list_select_related = ("workflow", "published_by")
    fields = (
        "company",
        "workflow",
        "number",
        "document_type",
        "published_at",
        "published_by",
        "comment",
        "definition_json",
    )
    readonly_fields = ("definition_json",)

    @admin.display(description=_("definition"))
    def definition_json(self, obj: WorkflowVersion) -> SafeString:
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.definition, indent=2, ensure_ascii=False)
        )


@admin.register(WorkflowChange)
class WorkflowChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "company",
        "workflow_name",
        "action",
        "actor",
        "comment",
    )
    list_filter = ("company", "action")
    list_select_related = ("actor",)
    search_fields = ("workflow_name", "comment")
    fields = (
        "company",
        "workflow",
        "workflow_name",
        "version",
        "action",
        "actor",
        "created_at",
        "comment",
        "diff_lines",
    )
    readonly_fields = ("created_at", "diff_lines")

    @admin.display(description=_("what changed"))
    def diff_lines(self, obj: WorkflowChange) -> SafeString:
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}</li>", ((line,) for line in obj.diff)),
        )
