"""ERP clients in the admin: list, edit name and callback URL, revoke, rotate the key.

Clients are created with `manage.py create_erp_client` because their secrets are shown
exactly once; the admin never displays a secret except the new signing secret right
after a rotation (in the confirmation message, once).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from erp_sync.models import ErpClient
from erp_sync.services.clients import erp_client_revoke, erp_client_rotate_secret


@admin.register(ErpClient)
class ErpClientAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "company",
        "client_id",
        "callback_url",
        "is_active",
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
        "created_at",
        "rotated_at",
        "revoked_at",
    )
    readonly_fields = (
        "company",
        "client_id",
        "is_active",
        "created_at",
        "rotated_at",
        "revoked_at",
    )
    actions = ("revoke_clients", "rotate_signing_secrets")
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
