"""Who may call the ERP endpoints: only an active ERP client, only with a bearer token.

`ErpClientAuthentication` is the only authentication class of the ERP views (no session,
no basic auth): a logged-in person cannot call them, and an ERP token cannot reach any
page or the admin, because no page or admin view authenticates bearer tokens (there is
no OAuth2 middleware or backend in settings). On success `request.user` is an
`ErpClientPrincipal` (not a Django user: it has no permissions anywhere) and
`request.erp_client` / `request.company` are set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import structlog
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from oauth2_provider.models import AccessToken
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from erp_sync.models import ErpClient
from orgunits.models import Company

REALM = 'Bearer realm="signoff-erp-api"'
REFUSED_MESSAGE = "The access token is invalid, expired or revoked."


@dataclass(frozen=True)
class ErpClientPrincipal:
    """`request.user` of an ERP call: the client, never a login with permissions."""

    erp_client: ErpClient
    is_authenticated: bool = field(default=True, init=False)
    is_anonymous: bool = field(default=False, init=False)
    is_active: bool = field(default=True, init=False)
    is_staff: bool = field(default=False, init=False)
    is_superuser: bool = field(default=False, init=False)
    # No user row stands behind a client: logging binds user_id=None.
    pk: None = field(default=None, init=False)

    @property
    def company(self) -> Company:
        return self.erp_client.company

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def __str__(self) -> str:
        return f"ERP client {self.erp_client.name}"


class ErpClientAuthentication(BaseAuthentication):
    """Bearer tokens issued by /api/v1/oauth/token to an active ERP client.

    Unknown, expired and revoked tokens, and tokens of an OAuth application that is not
    an active ERP client of an active company, are refused alike (401) so a caller
    learns nothing about which it was.
    """

    keyword = b"bearer"

    def authenticate(
        self, request: Request
    ) -> tuple[ErpClientPrincipal, AccessToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(REFUSED_MESSAGE, code="invalid_token")
        # DOT stores only this checksum of the token (RFC 9700 token storage).
        checksum = hashlib.sha256(parts[1]).hexdigest()
        token = (
            AccessToken.objects.select_related("application__erp_client__company")
            .filter(token_checksum=checksum)
            .first()
        )
        if token is None or token.is_expired() or token.application is None:
            raise AuthenticationFailed(REFUSED_MESSAGE, code="invalid_token")
        client: ErpClient | None = getattr(token.application, "erp_client", None)
        if client is None or not client.is_active or not client.company.is_active:
            raise AuthenticationFailed(REFUSED_MESSAGE, code="invalid_token")
        # Views and logs read the client and its company straight from the request.
        for target in (request, request._request):
            target.erp_client = client
            target.company = client.company
        structlog.contextvars.bind_contextvars(
            erp_client_id=client.pk, company_id=client.company_id
        )
        return ErpClientPrincipal(erp_client=client), token

    def authenticate_header(self, request: Request) -> str:
        # Present so DRF answers 401 (not 403) and tells the client how to authenticate;
        # RFC 6750 adds the error when a token was sent and refused.
        parts = get_authorization_header(request).split()
        if parts and parts[0].lower() == self.keyword:
            return f'{REALM}, error="invalid_token"'
        return REALM


class IsErpClient(BasePermission):
    """The request was authenticated by ErpClientAuthentication."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.user, ErpClientPrincipal)


class ErpClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "erp_sync.api.authentication.ErpClientAuthentication"
    name = "erpClientBearer"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An access token from `POST /api/v1/oauth/token` (OAuth2 client "
                "credentials). Tokens expire; fetch a new one on 401."
            ),
        }
