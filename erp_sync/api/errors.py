"""One error shape for every 4xx/5xx of the API: RFC 9457 `application/problem+json`.

Every body has `type`, `title`, `status`, `detail` and a machine-readable `code`;
validation errors add `errors: [{"path", "message", "code"}]` where `path` names the
offending value in the request body (`[3].departmentId`, `invoiceLines[0].amount`; ""
is the body itself). `problem_exception_handler` is the project's one DRF
EXCEPTION_HANDLER; views never build error responses by hand except through
`problem_response`.

How exceptions map:
- DRF ValidationError, Django ValidationError → 400 `invalid` with `errors`.
- ApplicationError → `extra["status"]` if given, else 409 for InvalidTransition and
  StaleVersion (the object's state conflicts), else 400; `code` is `extra["code"]`; other
  JSON-safe `extra` keys become extension members (e.g. `existingId`).
- Http404 → 404 `not_found` with a fixed detail, so an unknown id and another company's
  id answer identically. Django PermissionDenied → 403 `permission_denied`.
- RequestDataTooBig / RequestTooLarge → 413; TooManyFieldsSent → 400; other
  SuspiciousOperation → 400 `bad_request`.
- DRF APIException → its status, its code (`parse_error`, `unsupported_media_type`,
  `not_authenticated`, `authentication_failed`, `method_not_allowed`, `throttled`, ...).
- Database unavailable (OperationalError, InterfaceError) → 503 `service_unavailable`
  with Retry-After; anything else → 500 `internal_error`. Neither shows internals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
)
from django.core.exceptions import (
    ValidationError as DjangoValidationError,
)
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from core.exceptions import ApplicationError, InvalidTransition, StaleVersion
from erp_sync.api.examples import PROBLEM_EXAMPLES

logger = logging.getLogger("erp_sync.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:signoff:problem:"
#: Seconds a client should wait before retrying after a 503.
RETRY_AFTER_UNAVAILABLE = 5

_NON_FIELD_KEYS = {NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY}
_RESERVED_MEMBERS = {"type", "title", "status", "detail", "code", "errors"}


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is larger than the API accepts."
    default_code = "request_too_large"


# --- building problems ----------------------------------------------------------------


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    """An RFC 9457 response; use it wherever an API view answers an error itself."""
    body: dict[str, object] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": _safe_text(detail),
        "code": code,
    }
    if errors is not None:
        body["errors"] = [
            {key: _safe_text(str(value)) for key, value in error.items()}
            for error in errors
        ]
    for key, value in (extra or {}).items():
        if key not in _RESERVED_MEMBERS and _is_json_safe(value):
            body[key] = value
    return Response(
        body,
        status=status,
        headers=dict(headers or {}),
        content_type=PROBLEM_MEDIA_TYPE,
    )


def _safe_text(text: str) -> str:
    """Replace lone surrogates so echoing hostile input can never break rendering."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _is_json_safe(value: object, depth: int = 0) -> bool:
    if depth > 5:
        return False
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_json_safe(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and _is_json_safe(v, depth + 1) for k, v in value.items()
        )
    return False


def error_entries(detail: Any, path: str = "") -> Iterator[dict[str, str]]:
    """Flatten DRF's nested error detail into `{"path", "message", "code"}` entries."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in _NON_FIELD_KEYS:
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            yield from error_entries(value, sub)
    elif isinstance(detail, list | tuple):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                yield _entry(path, item)
        else:
            # A many=True field: one entry per item, empty for the valid ones.
            for index, item in enumerate(detail):
                if item:
                    yield from error_entries(item, f"{path}[{index}]")
    else:
        yield _entry(path, detail)


def _entry(path: str, message: Any) -> dict[str, str]:
    return {
        "path": path,
        "message": str(message),
        "code": str(getattr(message, "code", None) or "invalid"),
    }


def django_error_entries(exc: DjangoValidationError) -> list[dict[str, str]]:
    """Django ValidationError keys are paths already (a field name, or `[3].email`)."""
    entries: list[dict[str, str]] = []
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            path = "" if key in _NON_FIELD_KEYS else key
            for error in errors:
                for message in error.messages:
                    entries.append(
                        {
                            "path": path,
                            "message": message,
                            "code": error.code or "invalid",
                        }
                    )
    else:
        for error in exc.error_list:
            for message in error.messages:
                entries.append(
                    {"path": "", "message": message, "code": error.code or "invalid"}
                )
    return entries


def _validation_problem(entries: list[dict[str, str]]) -> Response:
    count = len(entries)
    return problem_response(
        status=400,
        code="invalid",
        title="Invalid request",
        detail=(
            "The request has 1 invalid value; see `errors`."
            if count == 1
            else f"The request has {count} invalid values; see `errors`."
        ),
        errors=entries,
    )


# --- the handler ----------------------------------------------------------------------


def problem_exception_handler(
    exc: Exception, context: Mapping[str, Any]
) -> Response | None:
    """DRF EXCEPTION_HANDLER: every exception of an API view becomes a problem."""
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        return _validation_problem(list(error_entries(exc.detail)))
    if isinstance(exc, DjangoValidationError):
        return _validation_problem(django_error_entries(exc))
    if isinstance(exc, ApplicationError):
        return _application_problem(exc)
    if isinstance(exc, RequestDataTooBig):
        return _from_api_exception(RequestTooLarge(), context)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return problem_response(
            status=400,
            code="too_many_fields",
            detail="The request has more fields than the API accepts.",
        )
    if isinstance(exc, SuspiciousOperation):
        return problem_response(
            status=400, code="bad_request", detail="The request was refused as unsafe."
        )
    if isinstance(exc, Http404):
        return _from_api_exception(exceptions.NotFound(), context)
    if isinstance(exc, DjangoPermissionDenied):
        return _from_api_exception(exceptions.PermissionDenied(), context)
    if isinstance(exc, exceptions.APIException):
        return _from_api_exception(exc, context)
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("api.database_unavailable", exc_info=exc)
        return problem_response(
            status=503,
            code="service_unavailable",
            detail="The service is temporarily unavailable; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        )
    # A bug, not bad input: log it with its traceback (and let error trackers that
    # listen to Django's signal see it), but answer in the one error shape.
    logger.error("api.unhandled_exception", exc_info=exc)
    request = context.get("request")
    got_request_exception.send(
        sender=None, request=getattr(request, "_request", request)
    )
    return problem_response(
        status=500,
        code="internal_error",
        detail="The server failed to handle the request; it has been logged.",
    )


def _application_problem(exc: ApplicationError) -> Response:
    status = exc.extra.get("status")
    if not (isinstance(status, int) and 400 <= status <= 599):
        status = 409 if isinstance(exc, InvalidTransition | StaleVersion) else 400
    code = exc.extra.get("code")
    return problem_response(
        status=status,
        code=str(code) if code else "application_error",
        detail=exc.message,
        extra={k: v for k, v in exc.extra.items() if k not in {"code", "status"}},
    )


def _from_api_exception(
    exc: exceptions.APIException, context: Mapping[str, Any]
) -> Response:
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(int(wait))
    view = context.get("view")
    if isinstance(exc, exceptions.MethodNotAllowed) and view is not None:
        headers["Allow"] = ", ".join(view.allowed_methods)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    return problem_response(
        status=exc.status_code, code=str(code), detail=str(detail), headers=headers
    )


# --- schema ---------------------------------------------------------------------------


class ProblemErrorSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text='Where in the body: `[3].departmentId`; "" is the body itself.'
    )
    message = serializers.CharField()
    code = serializers.CharField(
        help_text="Machine-readable reason, e.g. `max_length`."
    )


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`urn:signoff:problem:<code>`")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable, stable; switch on this.")
    errors = ProblemErrorSerializer(
        many=True, required=False, help_text="Only on validation errors (400 invalid)."
    )


def problem_responses(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """`extend_schema(responses={200: ..., **problem_responses(400, 401)})`."""
    result: dict[tuple[int, str], OpenApiResponse] = {}
    for status in statuses:
        example = PROBLEM_EXAMPLES.get(status)
        result[(status, PROBLEM_MEDIA_TYPE)] = problem_response_schema(
            status, example=example
        )
    return result


def problem_response_schema(
    status: int,
    *,
    description: str | None = None,
    example: tuple[str, dict[str, object]] | None = None,
) -> OpenApiResponse:
    """One documented problem response, with a (name, body) example of your own."""
    examples = (
        [OpenApiExample(example[0], value=example[1], status_codes=[str(status)])]
        if example
        else []
    )
    return OpenApiResponse(
        response=ProblemSerializer,
        description=description or f"{HTTPStatus(status).phrase} (RFC 9457 problem)",
        examples=examples,
    )
