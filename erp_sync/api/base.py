"""The base of every ERP endpoint: ERP-client bearer auth only, strict JSON in and out.

A new ERP endpoint subclasses `ErpApiView`, reads the caller's company from
`self.company()` (never from the body), and lets exceptions reach the one
EXCEPTION_HANDLER (`erp_sync.api.errors`).
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from erp_sync.api.authentication import ErpClientAuthentication, IsErpClient
from erp_sync.api.parsers import ErpJSONParser
from erp_sync.models import ErpClient
from orgunits.models import Company

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErpApiView(APIView):
    authentication_classes = [ErpClientAuthentication]
    permission_classes = [IsErpClient]
    parser_classes = [ErpJSONParser]
    renderer_classes = [JSONRenderer]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # DRF treats a body without Content-Type as no body at all; say why instead.
        if (
            request.method in _BODY_METHODS
            and not request.content_type
            and _declared_length(request) > 0
        ):
            raise UnsupportedMediaType("")

    def erp_client(self) -> ErpClient:
        client: ErpClient = self.request.erp_client
        return client

    def company(self) -> Company:
        return self.erp_client().company


def _declared_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
