"""The ERP API's document endpoints besides submission (ERP_API.md "Documents").

Read one (`GET /documents/{id}`), list (`GET /documents`), read the history, cancel.
Submission is in `document_submit`, attachments in `document_attachments`. Every
document is looked up within the client's company; an unknown id and another
company's id are the same 404.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from uuid import UUID

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from documents.choices import DocumentStatus
from documents.selectors import document_history_list
from erp_sync.api import document_examples as examples
from erp_sync.api.base import ErpApiView
from erp_sync.api.document_output import (
    DOCUMENT_404,
    DOCUMENTS_TAG,
    DocumentSerializer,
    DocumentSummarySerializer,
    document_response,
    summary_body,
)
from erp_sync.api.errors import problem_response_schema, problem_responses
from erp_sync.selectors import DocumentCursor, erp_document_get, erp_document_page
from erp_sync.services.documents import erp_document_cancel
from orgunits.models import DocumentType

#: Page size of `GET /documents` unless `page_size` says otherwise, and its maximum.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


# --- read ------------------------------------------------------------------------------


class DocumentDetailApi(ErpApiView):
    @extend_schema(
        tags=[DOCUMENTS_TAG],
        operation_id="documents_retrieve",
        summary="Read a document's approval state",
        description=(
            "Status in Signoff's vocabulary (`received`, `in_progress`, `blocked`, "
            "`approved`, `rejected`, `cancelled`) and Visma's (`approvalStatus`), the "
            "current process (number, steps with their decisions and line decisions, "
            "open tasks with the assignees' employee numbers), the lines with the "
            "approvers' edits, comments and attachments. Amounts are decimal strings."
        ),
        responses={
            200: OpenApiResponse(DocumentSerializer, description="The document."),
            **DOCUMENT_404,
        },
        examples=[
            OpenApiExample(
                "In approval",
                value=examples.DOCUMENT_DETAIL,
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request, document_id: UUID) -> Response:
        document = erp_document_get(company=self.company(), public_id=document_id)
        return document_response(request, document)


def _cursor_encode(cursor: DocumentCursor) -> str:
    raw = json.dumps([cursor.updated_at.isoformat(), cursor.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(token: str) -> DocumentCursor:
    try:
        padded = token + "=" * (-len(token) % 4)
        moment, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        updated_at = parse_datetime(moment) if isinstance(moment, str) else None
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        updated_at, row_id = None, None
    if not isinstance(updated_at, datetime) or not isinstance(row_id, int):
        raise ValidationError({"cursor": ["Invalid cursor; use the `next` link."]})
    return DocumentCursor(updated_at=updated_at, id=row_id)


@extend_schema_serializer(component_name="DocumentPage")
class DocumentPageSerializer(serializers.Serializer):
    results = DocumentSummarySerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="The next page; null on the last one."
    )


class DocumentListApi(ErpApiView):
    class FilterSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=DocumentType.choices, required=False)
        status = serializers.ChoiceField(choices=DocumentStatus.choices, required=False)
        erp_reference = serializers.CharField(max_length=60, required=False)
        erp_document_type = serializers.CharField(max_length=30, required=False)
        updated_after = serializers.DateTimeField(required=False)
        cursor = serializers.CharField(max_length=200, required=False)
        page_size = serializers.IntegerField(
            min_value=1, max_value=MAX_PAGE_SIZE, required=False
        )

    @extend_schema(
        tags=[DOCUMENTS_TAG],
        operation_id="documents_list",
        summary="List documents",
        description=(
            "The client's documents, oldest change first (by `updatedAt`, then id), "
            f"{DEFAULT_PAGE_SIZE} a page (`page_size` up to {MAX_PAGE_SIZE}). Follow "
            "`next` until it is null; paging is by position (keyset), so documents "
            "changing meanwhile are neither skipped nor repeated. To poll for changes, "
            "pass the last `updatedAt` seen as `updated_after`."
        ),
        parameters=[
            OpenApiParameter(
                "type",
                OpenApiTypes.STR,
                enum=DocumentType.values,
                description="Document type.",
            ),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=DocumentStatus.values,
                description="Status in Signoff's vocabulary.",
            ),
            OpenApiParameter("erp_reference", OpenApiTypes.STR),
            OpenApiParameter(
                "erp_document_type",
                OpenApiTypes.STR,
                description="E.g. `Invoice`, `CreditAdj`, `ExpenseClaim`, `TimeCard`.",
            ),
            OpenApiParameter(
                "updated_after",
                OpenApiTypes.DATETIME,
                description="Only documents changed after this moment (RFC 3339).",
            ),
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="From the `next` link."
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={
            200: OpenApiResponse(DocumentPageSerializer, description="One page."),
            **problem_responses(400, 401),
        },
        examples=[
            OpenApiExample(
                "A page",
                value=examples.DOCUMENT_LIST,
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        after = _cursor_decode(values["cursor"]) if "cursor" in values else None
        filters = {
            name: values[name]
            for name in (
                "type",
                "status",
                "erp_reference",
                "erp_document_type",
                "updated_after",
            )
            if name in values
        }
        documents, cursor = erp_document_page(
            company=self.company(),
            filters=filters,
            after=after,
            limit=values.get("page_size", DEFAULT_PAGE_SIZE),
        )
        next_url = None
        if cursor is not None:
            query = request.query_params.copy()
            query["cursor"] = _cursor_encode(cursor)
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        page = {
            "results": [summary_body(request, document) for document in documents],
            "next": next_url,
        }
        return Response(DocumentPageSerializer(page).data)


@extend_schema_serializer(component_name="HistoryEvent")
class _HistoryEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="Dotted, e.g. `documents.task.approve`.")
    actor = serializers.CharField()
    onBehalfOf = serializers.CharField(allow_blank=True)
    processNumber = serializers.IntegerField(allow_null=True)
    data = serializers.JSONField()


@extend_schema_serializer(component_name="DocumentHistory")
class DocumentHistorySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    events = _HistoryEventSerializer(many=True)


class DocumentHistoryApi(ErpApiView):
    @extend_schema(
        tags=[DOCUMENTS_TAG],
        summary="Read a document's history",
        description=(
            "Every change of state of the document over all its processes, oldest "
            "first; the history is append-only."
        ),
        responses={
            200: OpenApiResponse(DocumentHistorySerializer, description="The history."),
            **DOCUMENT_404,
        },
        examples=[
            OpenApiExample(
                "Received",
                value=examples.DOCUMENT_HISTORY,
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request, document_id: UUID) -> Response:
        document = erp_document_get(company=self.company(), public_id=document_id)
        events = [
            {
                "at": event.at,
                "action": event.action,
                "actor": event.actor_label,
                "onBehalfOf": event.on_behalf_of_label,
                "processNumber": event.process.number if event.process else None,
                "data": event.data,
            }
            for event in document_history_list(document=document)
        ]
        return Response(
            DocumentHistorySerializer({"id": document.public_id, "events": events}).data
        )


class DocumentCancelApi(ErpApiView):
    @extend_schema(
        tags=[DOCUMENTS_TAG],
        summary="Cancel a document",
        description=(
            "Ends the open process at once (open tasks cancelled; the ERP gets a "
            "`document.cancelled` event) and answers the cancelled document. "
            "Cancelling a cancelled document answers it unchanged. An approved or "
            "rejected document cannot be cancelled: 409, nothing changes. No body."
        ),
        request=None,
        responses={
            200: OpenApiResponse(DocumentSerializer, description="Cancelled."),
            **DOCUMENT_404,
            (409, "application/problem+json"): problem_response_schema(
                409,
                description="Already approved or rejected.",
                example=("Already approved", examples.FINISHED_CONFLICT),
            ),
        },
        examples=[
            OpenApiExample(
                "Cancelled",
                value={
                    **examples.DOCUMENT_DETAIL,
                    "status": "cancelled",
                    "approvalStatus": "Canceled",
                    "currentStep": None,
                    "openTasks": [],
                },
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def post(self, request: Request, document_id: UUID) -> Response:
        document = erp_document_get(company=self.company(), public_id=document_id)
        cancelled = erp_document_cancel(client=self.erp_client(), document=document)
        return document_response(request, cancelled)
