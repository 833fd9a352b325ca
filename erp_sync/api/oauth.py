"""The OAuth2 token endpoint's machinery: client credentials for active ERP clients only.

django-oauth-toolkit checks the client id and (hashed) secret; on top of that only an
OAuth application that belongs to an active ERP client of an active company may get a
token, so revoking a client (or deactivating its company) stops new tokens at once.
Only the client-credentials grant exists here (oauthlib's BackendApplicationServer), so
no other grant can be tried against this endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.http import HttpRequest
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2 import BackendApplicationServer

from erp_sync.models import ErpClient


class ErpClientOAuth2Validator(OAuth2Validator):
    def authenticate_client(
        self, request: OAuthRequest, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        return ErpClient.objects.filter(
            application=request.client, is_active=True, company__is_active=True
        ).exists()


def erp_oauthlib_core() -> OAuthLibCore:
    """Built once per process like DOT's own core (the server holds no request state),
    unless DOT's ALWAYS_RELOAD_OAUTHLIB_CORE asks for a fresh one per request."""
    if oauth2_settings.ALWAYS_RELOAD_OAUTHLIB_CORE:
        return _build_core()
    return _cached_core()


@cache
def _cached_core() -> OAuthLibCore:
    return _build_core()


def _build_core() -> OAuthLibCore:
    kwargs = {
        key: value
        for key, value in oauth2_settings.server_kwargs.items()
        if key in {"token_expires_in", "token_generator", "refresh_token_generator"}
    }
    return OAuthLibCore(BackendApplicationServer(ErpClientOAuth2Validator(), **kwargs))


def token_response(
    request: HttpRequest,
) -> tuple[int, Mapping[str, str], dict[str, Any]]:
    """Run the token endpoint: (status, headers, body parsed from oauthlib's JSON)."""
    _uri, headers, body, status = erp_oauthlib_core().create_token_response(request)
    parsed = json.loads(body) if body else {}
    return status, headers, parsed if isinstance(parsed, dict) else {}
