"""Fields of the inbound Visma document DTOs: exact numbers, Visma dates, subaccounts
in any of their shapes, and lookups (`{number|id|code, name}` or a plain code).

Every field refuses what it cannot read exactly — a string where a number belongs,
NaN, more decimals than allowed, an unparseable date — with a message for the JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from erp_sync.api import dto

# --- fields -----------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "number",
        "nullable": True,
        "description": "A JSON number (not a string); read exactly as a decimal.",
    }
)
class ExactNumberField(serializers.Field):
    """A JSON number kept exact as `Decimal`: strings, booleans, NaN and ±Infinity are
    refused, as are more decimals or integer digits than allowed."""

    default_error_messages = {
        "invalid": "A number is required (a JSON number, not a string).",
        "max_decimal_places": "Ensure that there are no more than {places} decimal places.",
        "max_whole_digits": (
            "Ensure that there are no more than {digits} digits before the decimal point."
        ),
        "min_value": "Ensure this value is greater than or equal to {limit}.",
        "max_value": "Ensure this value is less than or equal to {limit}.",
    }

    def __init__(
        self,
        *,
        decimal_places: int,
        whole_digits: int = 16,
        min_value: int | None = None,
        max_value: int | None = None,
        keep_scale: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)
        self.keep_scale = keep_scale
        self.decimal_places = decimal_places
        self.whole_digits = whole_digits
        self.min_value = min_value
        self.max_value = max_value

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | Decimal | float):
            self.fail("invalid")
        value = Decimal(repr(data)) if isinstance(data, float) else Decimal(data)
        if not value.is_finite():
            self.fail("invalid")
        if value and value.adjusted() >= self.whole_digits:
            self.fail("max_whole_digits", digits=self.whole_digits)
        # Safe: at most whole_digits + decimal_places digits, below the context's 28.
        exact = value.quantize(Decimal(1).scaleb(-self.decimal_places))
        if exact != value:
            self.fail("max_decimal_places", places=self.decimal_places)
        if self.min_value is not None and exact < self.min_value:
            self.fail("min_value", limit=self.min_value)
        if self.max_value is not None and exact > self.max_value:
            self.fail("max_value", limit=self.max_value)
        # Money is stored at its scale (600.0 → 600.00); prices and quantities keep
        # the digits they were sent with, so they are passed on unchanged.
        return value if self.keep_scale else exact

    def to_representation(self, value: Decimal) -> str:
        return str(value)


def money_field(**kwargs: Any) -> ExactNumberField:
    """Money: at most 2 decimals."""
    return ExactNumberField(decimal_places=2, **kwargs)


def quantity_field(**kwargs: Any) -> ExactNumberField:
    return ExactNumberField(
        decimal_places=4, whole_digits=14, keep_scale=True, **kwargs
    )


def price_field(**kwargs: Any) -> ExactNumberField:
    return ExactNumberField(
        decimal_places=6, whole_digits=12, keep_scale=True, **kwargs
    )


def whole_number(*, min_value: int, max_value: int, **kwargs: Any) -> ExactNumberField:
    return ExactNumberField(
        decimal_places=0,
        whole_digits=10,
        min_value=min_value,
        max_value=max_value,
        **kwargs,
    )


def line_number(**kwargs: Any) -> ExactNumberField:
    return whole_number(min_value=1, max_value=2_147_483_647, **kwargs)


def minutes(max_value: int, **kwargs: Any) -> ExactNumberField:
    return whole_number(min_value=0, max_value=max_value, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "nullable": True,
        "description": (
            "`2025-03-03T00:00:00` (no offset), RFC 3339 or `2025-03-03`; the date part "
            "is kept as written."
        ),
    }
)
class ErpDateField(serializers.Field):
    """A Visma date-time (either of its two formats) or a plain date → `date`."""

    default_error_messages = {
        "invalid": (
            "Expected a date such as 2025-03-03T00:00:00, 2025-03-03T00:00:00Z or "
            "2025-03-03."
        ),
        "range": "The date must be in the years 1900 to 2999.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> date:
        if not isinstance(data, str) or not 10 <= len(data.strip()) <= 40:
            self.fail("invalid")
        text = data.strip()
        try:
            parsed = (
                date.fromisoformat(text)
                if len(text) == 10
                else datetime.fromisoformat(text).date()
            )
        except ValueError:
            self.fail("invalid")
        if not 1900 <= parsed.year <= 2999:
            self.fail("range")
        return parsed

    def to_representation(self, value: date) -> str:
        return value.isoformat()


def currency_field(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(
        r"^[A-Z]{3}\Z",
        max_length=3,
        error_messages={
            "invalid": "Expected an ISO 4217 code: three upper-case letters."
        },
        **kwargs,
    )


def reference(max_length: int = 60) -> serializers.CharField:
    """A required ERP key, e.g. `referenceNumber` or `refNbr`."""
    return serializers.CharField(max_length=max_length)


@dataclass(frozen=True)
class SubaccountRef:
    number: str
    segments: Mapping[str, str] = field(default_factory=dict)


@extend_schema_serializer(component_name="SubaccountSegmentRef")
class _SegmentSerializer(serializers.Serializer):
    segmentId = whole_number(
        min_value=1, max_value=32767, required=True, allow_null=False
    )
    segmentValue = serializers.CharField(max_length=30)
    segmentDescription = dto.text(100)
    segmentValueDescription = dto.text(200)


# Built once: DRF deep-copies a serializer's fields on construction, and a serializer
# per line was a tenth of an ingest request's time (bench/PERF_NOTES.md). Validation
# keeps no state on these instances.
_SEGMENTS = _SegmentSerializer(many=True, max_length=32)
_SUBACCOUNT_CODE = serializers.CharField(max_length=60)
_SUBACCOUNT_NUMBER = serializers.CharField(
    max_length=60, required=False, allow_blank=True, allow_null=True
)


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "object",
                "description": "Read shape: SubAccountDto.",
                "properties": {
                    "subaccountNumber": {"type": "string", "maxLength": 60},
                    "id": {"type": "string", "maxLength": 60},
                    "segments": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/SubaccountSegmentRef"},
                    },
                },
            },
            {
                "type": "array",
                "description": "Write shape: every segment.",
                "items": {"$ref": "#/components/schemas/SubaccountSegmentRef"},
            },
            {"type": "string", "maxLength": 60, "description": "The subaccount code."},
        ],
        "nullable": True,
        "description": (
            "The subaccount: `{subaccountNumber, segments}` (read), "
            "`[{segmentId, segmentValue}]` (write) or its code."
        ),
    }
)
class SubaccountField(serializers.Field):
    """A subaccount in any of Visma's shapes → its code and `{segmentId: value}`."""

    default_error_messages = {
        "invalid": "Expected a subaccount object, a list of segments or a code.",
        "duplicate_segment": "Segment {segment} is given twice.",
        "too_long": "The joined segment values exceed 60 characters.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> SubaccountRef:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str | int):
            code = _SUBACCOUNT_CODE.run_validation(str(data))
            return SubaccountRef(number=code)
        if isinstance(data, list):
            segments = self._segments(data)
            return SubaccountRef(number=self._joined(segments), segments=segments)
        if not isinstance(data, Mapping):
            self.fail("invalid")
        raw_number = data.get("subaccountNumber", data.get("id"))
        try:
            number = (
                ""
                if raw_number is None
                else _SUBACCOUNT_NUMBER.run_validation(raw_number)
            )
        except serializers.ValidationError as error:
            raise serializers.ValidationError(
                {"subaccountNumber": error.detail}
            ) from error
        segments: dict[str, str] = {}
        if data.get("segments") is not None:
            try:
                segments = self._segments(data["segments"])
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"segments": error.detail}) from error
        return SubaccountRef(
            number=number or (self._joined(segments) if segments else ""),
            segments=segments,
        )

    def _segments(self, items: Any) -> dict[str, str]:
        checked = _SEGMENTS.run_validation(items)
        segments: dict[str, str] = {}
        for index, item in enumerate(checked):
            key = str(int(item["segmentId"]))
            if key in segments:
                raise serializers.ValidationError(
                    {
                        index: {
                            "segmentId": [
                                self.error_messages["duplicate_segment"].format(
                                    segment=key
                                )
                            ]
                        }
                    }
                )
            segments[key] = item["segmentValue"]
        return segments

    def _joined(self, segments: Mapping[str, str]) -> str:
        """Visma joins the values with "-" in segment order."""
        number = "-".join(segments[key] for key in sorted(segments, key=int))
        if len(number) > 60:
            self.fail("too_long")
        return number

    def to_representation(self, value: SubaccountRef) -> str:
        return value.number


def ref(**kwargs: Any) -> dto.CodeRefField:
    """A lookup: a code, or Visma's `{number|id|code, name|description}` object."""
    return dto.CodeRefField(**kwargs)
