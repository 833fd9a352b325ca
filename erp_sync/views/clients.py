"""ERP clients: list, create (secrets shown once), revoke, rotate the signing secret,
and enable a callback the ERP had switched off with 410 Gone."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from erp_sync import page_selectors
from erp_sync.forms import ErpClientCreateForm
from erp_sync.models import ErpClient
from erp_sync.services.clients import (
    erp_client_callback_enable,
    erp_client_create,
    erp_client_revoke,
    erp_client_rotate_secret,
)
from erp_sync.views.common import company_of, error_text, page_context
from orgunits.access import Access, company_view


def _client_or_404(request: HttpRequest, client_id: int) -> ErpClient:
    try:
        return page_selectors.erp_client_get(
            company=company_of(request), client_id=client_id
        )
    except ErpClient.DoesNotExist as error:
        raise Http404("No such ERP client.") from error


def _to_list(request: HttpRequest) -> HttpResponse:
    return redirect("erp_sync:client_list", company_code=company_of(request).code)


@company_view(Access.CONFIGURATION_READ)
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    clients = page_selectors.erp_client_list(company=company_of(request))
    return render(
        request, "erp_sync/client_list.html", page_context(request, clients=clients)
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
@never_cache
def client_create(request: HttpRequest) -> HttpResponse:
    """The form; on success the one page that ever shows the new client's secrets."""
    form = ErpClientCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credentials = erp_client_create(
                company=company_of(request),
                name=form.cleaned_data["name"].strip(),
                callback_url=form.cleaned_data["callback_url"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    target = field if field in form.fields else None
                    for message in errors:
                        form.add_error(target, message)
            else:
                form.add_error(None, error)
        except ApplicationError as error:
            form.add_error(None, error_text(error))
        else:
            # Rendered, not redirected: the secrets exist only in this response
            # (never_cache keeps it out of the browser's and proxies' caches).
            return render(
                request,
                "erp_sync/client_secrets.html",
                page_context(
                    request,
                    client=credentials.client,
                    client_id=credentials.client_id,
                    client_secret=credentials.client_secret,
                    signing_secret=credentials.signing_secret,
                    created=True,
                ),
            )
    return render(
        request, "erp_sync/client_form.html", page_context(request, form=form)
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
def client_revoke(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client_or_404(request, client_id)
    if request.method == "POST":
        erp_client_revoke(client=client)
        messages.success(
            request,
            _("“%(name)s” is revoked: its tokens no longer work.")
            % {"name": client.name},
        )
        return _to_list(request)
    return render(
        request,
        "erp_sync/client_confirm.html",
        page_context(request, client=client, action="revoke"),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_http_methods(["GET", "POST"])
@never_cache
def client_rotate(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client_or_404(request, client_id)
    if request.method == "POST":
        try:
            rotated = erp_client_rotate_secret(client=client)
        except ApplicationError as error:
            messages.error(request, error_text(error))
            return _to_list(request)
        return render(
            request,
            "erp_sync/client_secrets.html",
            page_context(
                request,
                client=rotated,
                client_id=rotated.client_id,
                signing_secret=rotated.signing_secret,
                created=False,
            ),
        )
    return render(
        request,
        "erp_sync/client_confirm.html",
        page_context(request, client=client, action="rotate"),
    )


@company_view(Access.CONFIGURATION_WRITE)
@require_POST
def client_callback_enable(request: HttpRequest, client_id: int) -> HttpResponse:
    client = erp_client_callback_enable(client=_client_or_404(request, client_id))
    messages.success(
        request,
        _(
            "Events go to the callback of “%(name)s” again. Deliveries that failed "
            "meanwhile stay failed until you send them again."
        )
        % {"name": client.name},
    )
    return _to_list(request)
