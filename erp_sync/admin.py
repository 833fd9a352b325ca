"""ERP clients, outbox deliveries and idempotency keys in the admin.

Clients are created with `manage.py create_erp_client` because their secrets are shown
exactly once; the admin never displays a secret except the new signing secret right
after a rotation (in the confirmation message, once). Deliveries are read-only apart
from "Redeliver", which goes through `outbox_event_redeliver` (administrators only,
audited).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from erp_sync.models import DeliveryAttempt, ErpClient, IdempotencyKey, OutboxDelivery
from erp_sync.services.clients import (
    erp_client_callback_enable,
    erp_client_revoke,
    erp_client_rotate_secret,
)
from erp_sync.services.relay import outbox_event_redeliver


@admin.register(ErpClient)
class ErpClientAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "company",
        "client_id",
        "callback_url",
        "is_active",
        "callback_disabled_at",
        "created_at",
        "rotated_at",
        "revoked_at",
    )
    list_filter = ("is_active", "company")
    search_fields = ("name", "application__client_id", "company__code")
    list_select_related = ("company", "application")
    fields = (
        "company",
        "name",
        "client_id",
        "callback_url",
        "is_active",
        "callback_disabled_at",
        "callback_disabled_reason",
        "created_at",
        "rotated_at",
        "revoked_at",
    )
    readonly_fields = (
        "company",
        "client_id",
        "is_active",
        "callback_disabled_at",
        "callback_disabled_reason",
        "created_at",
        "rotated_at",
        "revoked_at",
    )
    actions = ("revoke_clients", "rotate_signing_secrets", "enable_callbacks")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The secrets must be shown once at creation: use `create_erp_client`.
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ErpClient | None = None
    ) -> bool:
        # Revoke instead: the row stays as the record of who could call the API.
        return False

    @admin.display(description=_("client id"))
    def client_id(self, obj: ErpClient) -> str:
        return obj.application.client_id

    @admin.action(description=_("Revoke (refuse its tokens and credentials)"))
    def revoke_clients(
        self, request: HttpRequest, queryset: QuerySet[ErpClient]
    ) -> None:
        for client in queryset:
            erp_client_revoke(client=client)
        self.message_user(
            request,
            _("Revoked %(count)d ERP client(s); their tokens are deleted.")
            % {"count": queryset.count()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate signing secret"))
    def rotate_signing_secrets(
        self, request: HttpRequest, queryset: QuerySet[ErpClient]
    ) -> None:
        for client in queryset:
            try:
                rotated = erp_client_rotate_secret(client=client)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            # Shown once: the ERP must be given the new secret now.
            self.message_user(
                request,
                _(
                    "New signing secret for %(name)s (shown once; the previous one "
                    "keeps signing for 24 hours): %(secret)s"
                )
                % {"name": rotated.name, "secret": rotated.signing_secret},
                messages.WARNING,
            )

    @admin.action(description=_("Enable the callback again (after 410 Gone)"))
    def enable_callbacks(
        self, request: HttpRequest, queryset: QuerySet[ErpClient]
    ) -> None:
        for client in queryset:
            erp_client_callback_enable(client=client)
        self.message_user(
            request,
            _(
                "Callbacks enabled for %(count)d ERP client(s); redeliver their dead "
                "events to send them."
            )
            % {"count": queryset.count()},
            messages.SUCCESS,
        )


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(_ReadOnly, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = (
        "attempt_number",
        "attempted_at",
        "url",
        "status_code",
        "latency_ms",
        "error",
    )
    readonly_fields = fields
    ordering = ("attempted_at", "id")


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(_ReadOnly, admin.ModelAdmin):
    """Where an administrator sees undelivered events and sends dead ones again."""

    list_display = (
        "event_id",
        "event_type",
        "document",
        "company",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "event_type", "company")
    search_fields = ("event_id", "document__erp_reference")
    list_select_related = ("document", "company")
    fields = (
        "event_id",
        "event_type",
        "company",
        "document",
        "process",
        "status",
        "attempts",
        "next_attempt_at",
        "leased_until",
        "sent_at",
        "last_error",
        "payload",
        "created_at",
    )
    readonly_fields = fields
    inlines = (DeliveryAttemptInline,)
    actions = ("redeliver",)

    @admin.action(description=_("Redeliver (same webhook-id)"))
    def redeliver(
        self, request: HttpRequest, queryset: QuerySet[OutboxDelivery]
    ) -> None:
        done = 0
        for event in queryset.order_by("pk"):
            try:
                outbox_event_redeliver(event_id=event.pk, admin_user=request.user)
            except PermissionDenied as denied:
                self.message_user(request, str(denied), messages.ERROR)
                return
            except ApplicationError as refused:
                self.message_user(
                    request, f"{event.event_id}: {refused.message}", messages.WARNING
                )
                continue
            done += 1
        if done:
            self.message_user(
                request,
                _("%(count)d event(s) queued for redelivery.") % {"count": done},
                messages.SUCCESS,
            )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "key",
        "client",
        "status",
        "response_status",
        "request_path",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "company")
    search_fields = ("key",)
    list_select_related = ("client",)
    fields = (
        "company",
        "client",
        "key",
        "status",
        "request_method",
        "request_path",
        "request_fingerprint",
        "response_status",
        "response_body",
        "created_at",
        "lease_until",
        "expires_at",
    )
    readonly_fields = fields
