"""POST|GET /api/v1/documents/{id}/attachments and GET …/attachments/{att_id}.

PDF, PNG and JPEG only, recognised by their first bytes; at most
`SIGNOFF_ATTACHMENT_MAX_BYTES` (413 above, refused from Content-Length before the
upload is spooled); only while the document is in approval.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import ApplicationError
from documents.services.attachments import attachment_max_bytes
from erp_sync.api import document_examples as examples
from erp_sync.api.base import ErpApiView
from erp_sync.api.document_output import (
    DOCUMENT_404,
    DOCUMENTS_TAG,
    AttachmentSerializer,
    attachment_body,
    attachment_url,
)
from erp_sync.api.errors import problem_response_schema, problem_responses
from erp_sync.selectors import erp_attachment_get, erp_attachment_list, erp_document_get
from erp_sync.services.documents import erp_attachment_add

#: Multipart framing allowed on top of the attachment limit before refusing unread.
_MULTIPART_OVERHEAD = 64 * 1024

# --- attachments -----------------------------------------------------------------------

_FILE_TYPES = ("application/pdf", "image/png", "image/jpeg")


@extend_schema_serializer(component_name="AttachmentList")
class AttachmentListSerializer(serializers.Serializer):
    results = AttachmentSerializer(many=True)


class DocumentAttachmentsApi(ErpApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=[DOCUMENTS_TAG],
        operation_id="documents_attachments_list",
        summary="List a document's attachments",
        responses={
            200: OpenApiResponse(AttachmentListSerializer, description="Attachments."),
            **DOCUMENT_404,
        },
        examples=[
            OpenApiExample(
                "One PDF",
                value={"results": [examples.ATTACHMENT]},
                response_only=True,
                status_codes=["200"],
            )
        ],
    )
    def get(self, request: Request, document_id: UUID) -> Response:
        document = erp_document_get(company=self.company(), public_id=document_id)
        results = [
            attachment_body(request, document, attachment)
            for attachment in erp_attachment_list(document=document)
        ]
        return Response(AttachmentListSerializer({"results": results}).data)

    @extend_schema(
        tags=[DOCUMENTS_TAG],
        summary="Attach a file (PDF, PNG or JPEG)",
        description=(
            "`multipart/form-data` with one `file`. The type is recognised by the "
            "file's first bytes (the name's ending must agree); anything else → 415. "
            "At most `SIGNOFF_ATTACHMENT_MAX_BYTES` (20 MB by default) → 413 above. "
            "Only while the document is in approval (received, in progress, blocked); "
            "a finished document → 409. The document gets a new version."
        ),
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={
            201: OpenApiResponse(AttachmentSerializer, description="Stored."),
            **problem_responses(400, 401, 404),
            (409, "application/problem+json"): problem_response_schema(
                409,
                description="The document is approved, rejected or cancelled.",
                example=("Finished", examples.FINISHED_CONFLICT),
            ),
            (413, "application/problem+json"): problem_response_schema(
                413,
                description="Larger than the limit.",
                example=("Too large", examples.ATTACHMENT_TOO_LARGE),
            ),
            (415, "application/problem+json"): problem_response_schema(
                415,
                description="Not multipart, or not a PDF, PNG or JPEG.",
                example=("Not a PDF, PNG or JPEG", examples.ATTACHMENT_TYPE),
            ),
        },
        examples=[
            OpenApiExample(
                "Stored",
                value=examples.ATTACHMENT,
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request: Request, document_id: UUID) -> Response:
        document = erp_document_get(company=self.company(), public_id=document_id)
        limit = attachment_max_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + _MULTIPART_OVERHEAD:
            # Refused before Django spools the upload to disk.
            raise ApplicationError(
                f"An attachment may be at most {limit} bytes.",
                {"code": "attachment_too_large", "status": 413, "maxBytes": limit},
            )
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Send the file in the `file` field."]})
        attachment = erp_attachment_add(
            client=self.erp_client(),
            document=document,
            file=upload,
            filename=upload.name or "",
        )
        return Response(
            AttachmentSerializer(attachment_body(request, document, attachment)).data,
            status=201,
            headers={"Location": attachment_url(request, document, attachment.pk)},
        )


class DocumentAttachmentDownloadApi(ErpApiView):
    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[Any, str]:
        # The answer is the file, whatever `Accept` asks for (a client may well ask
        # for application/pdf); errors are still problem+json.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=[DOCUMENTS_TAG],
        operation_id="documents_attachment_download",
        summary="Download an attachment",
        description="The file itself, with its detected content type.",
        responses={
            **{
                (200, media): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The file."
                )
                for media in _FILE_TYPES
            },
            **DOCUMENT_404,
        },
    )
    def get(
        self, request: Request, document_id: UUID, attachment_id: int
    ) -> FileResponse:
        document = erp_document_get(company=self.company(), public_id=document_id)
        attachment = erp_attachment_get(document=document, attachment_id=attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type,
            as_attachment=True,
            filename=attachment.filename,
        )
        # A stored file is never rendered as a page, whatever a browser guesses.
        response["Content-Security-Policy"] = "sandbox"
        return response
