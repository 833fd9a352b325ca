"""The JSON parser of the ERP API: bounded, strict, exact with numbers.

DRF's own JSONParser reads the request stream without Django's
DATA_UPLOAD_MAX_MEMORY_SIZE check, and lets deep nesting surface as a RecursionError
(a 500). This one:
- refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE with 413, from Content-Length before
  reading anything, and again while reading (a lying header gains nothing);
- accepts only UTF-8 (a BOM is tolerated); anything else is a 400 parse error;
- refuses NaN/Infinity, objects with more than MAX_OBJECT_MEMBERS members, duplicate
  keys and nesting deeper than MAX_DEPTH, all as 400;
- parses numbers with a fraction or an exponent as `Decimal`, so amounts round-trip
  exactly (use DecimalField; FloatField/IntegerField accept Decimal too).
NUL characters and lone surrogates inside strings pass the parser: DRF's CharField
refuses them per field, which gives the caller the path of the bad value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from erp_sync.api.errors import RequestTooLarge

#: Visma DTOs nest about six levels; 32 leaves room for any sane ERP.
MAX_DEPTH = 32
#: No DTO has more than a couple of hundred fields.
MAX_OBJECT_MEMBERS = 1000


def max_body_bytes() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) or 5 * 1024 * 1024


class _Refused(ValueError):
    """Raised from inside json.loads' hooks; becomes a ParseError."""


def _refuse_constant(name: str) -> None:
    raise _Refused(f"{name} is not a valid JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_OBJECT_MEMBERS:
        raise _Refused(f"an object has more than {MAX_OBJECT_MEMBERS} members")
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused("an object has the same key twice")
    return result


def _check_depth(value: Any) -> None:
    """Iterative, so checking a hostile document cannot itself exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(
                f"JSON parse error - nested deeper than {MAX_DEPTH} levels."
            )
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


def loads_strict(raw: bytes) -> Any:
    """Parse an API JSON body with the rules above; raises ParseError."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError("JSON parse error - the body is not valid UTF-8.") from exc
    try:
        value = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_object,
        )
    except RecursionError as exc:
        raise ParseError(
            f"JSON parse error - nested deeper than {MAX_DEPTH} levels."
        ) from exc
    except ValueError as exc:
        # Includes _Refused and Python's limit on very long integers.
        raise ParseError(f"JSON parse error - {exc}") from exc
    _check_depth(value)
    return value


class ErpJSONParser(BaseParser):
    media_type = "application/json"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        if request is not None:
            meta = request.META
            try:
                declared = int(meta.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                raise RequestTooLarge()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge()
        return loads_strict(raw)
