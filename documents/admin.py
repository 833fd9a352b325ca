"""Read-only admin: every change to documents goes through the services.

Editing a status here would skip the locks, the history and the outbox, so no model of
this app can be added, changed or deleted in the admin. History and comments are never
editable or deletable anywhere (INV-5).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from documents.models import (
    Attachment,
    Comment,
    Decision,
    Document,
    HistoryEvent,
    Line,
    LineDecision,
    NotificationSent,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows everything, changes nothing."""

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(ReadOnlyInline):
    model = Line
    fields = ["line_number", "description", "amount", "account", "edited"]


class ProcessInline(ReadOnlyInline):
    model = Process
    fields = ["number", "status", "workflow_version", "started_at", "finished_at"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = [
        "erp_reference",
        "erp_document_type",
        "document_type",
        "company",
        "status",
        "gross_amount",
        "currency",
        "received_at",
    ]
    list_filter = ["status", "document_type", "company"]
    search_fields = ["erp_reference", "supplier_name", "requester_number"]
    list_select_related = ["company"]
    date_hierarchy = "received_at"
    inlines = [LineInline, ProcessInline]


@admin.register(Line)
class LineAdmin(ReadOnlyAdmin):
    list_display = ["document", "line_number", "amount", "account", "edited"]
    search_fields = ["document__erp_reference"]
    list_select_related = ["document"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "document", "content_type", "size", "created_at"]
    list_select_related = ["document"]


class StepRunInline(ReadOnlyInline):
    model = StepRun
    fields = ["position", "name", "status", "completion_policy", "activated_at"]


@admin.register(Process)
class ProcessAdmin(ReadOnlyAdmin):
    list_display = ["document", "number", "status", "started_at", "finished_at"]
    list_filter = ["status", "company"]
    search_fields = ["document__erp_reference"]
    list_select_related = ["document"]
    inlines = [StepRunInline]


@admin.register(StepRun)
class StepRunAdmin(ReadOnlyAdmin):
    list_display = ["process", "position", "name", "status", "completion_policy"]
    list_filter = ["status"]
    list_select_related = ["process__document"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "document",
        "assignee",
        "status",
        "kind",
        "origin",
        "due_date",
    ]
    list_filter = ["status", "kind", "origin", "company"]
    search_fields = ["document__erp_reference", "assignee__name", "assignee__number"]
    list_select_related = ["document", "assignee"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["process", "step_run", "action", "decided_by", "on_behalf_of", "at"]
    list_filter = ["action"]
    list_select_related = [
        "process__document",
        "step_run",
        "decided_by",
        "on_behalf_of",
    ]


@admin.register(LineDecision)
class LineDecisionAdmin(ReadOnlyAdmin):
    list_display = ["decision", "line_number", "action"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["document", "author_label", "created_at"]
    search_fields = ["document__erp_reference", "text"]
    list_select_related = ["document"]


@admin.register(HistoryEvent)
class HistoryEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "document", "action", "actor_label", "on_behalf_of_label"]
    list_filter = ["action", "company"]
    search_fields = ["document__erp_reference", "action", "actor_label"]
    list_select_related = ["document"]
    date_hierarchy = "at"


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "event_type",
        "document",
        "status",
        "attempts",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "company"]
    list_select_related = ["document"]


@admin.register(NotificationSent)
class NotificationSentAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "kind", "key", "user", "company"]
    list_filter = ["kind", "company"]
    search_fields = ["key", "user__username", "user__email"]
    list_select_related = ["user", "company"]
    date_hierarchy = "sent_at"
