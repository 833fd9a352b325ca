"""POST /api/v1/documents/{supplier-invoices,expense-claims,time-cards}: one Visma
document DTO in, answered 202 once per `Idempotency-Key` (ERP_API.md "Documents").

The view validates the header and the body and hands a `DocumentSubmission` to
`erp_document_submit`, which owns the key protocol (`erp_sync.services.idempotency`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from erp_sync.api import document_dto, dto
from erp_sync.api import document_examples as examples
from erp_sync.api.base import ErpApiView
from erp_sync.api.document_output import (
    DOCUMENTS_TAG,
    DocumentReceivedSerializer,
    document_url,
)
from erp_sync.api.errors import problem_response_schema, problem_responses
from erp_sync.services.documents import DocumentSubmission, erp_document_submit
from erp_sync.services.idempotency import (
    StoredResponse,
    idempotency_key_find,
    idempotency_key_validate,
    request_fingerprint,
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "Required. A unique value per submission (a UUID, say; 1–255 printable ASCII "
        "characters), sent unchanged with every retry of it. The same key with the "
        "same body answers the first response again (header `Idempotent-Replayed: "
        "true`); with another body → 422; while the first request still runs → 409. "
        "Keys belong to the ERP client and are kept 24 hours "
        "(`SIGNOFF_IDEMPOTENCY_KEY_HOURS`); after that a retry is a new submission, "
        "and an ERP document that is still in approval is refused with 409 anyway."
    ),
)


SUBMIT_RESPONSE_HEADERS = [
    OpenApiParameter(
        "Idempotent-Replayed",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[202],
        description="`true` when this is the stored answer to an earlier request.",
    ),
    OpenApiParameter(
        "Location",
        OpenApiTypes.URI,
        OpenApiParameter.HEADER,
        response=[202],
        description="The document (same as `url`).",
    ),
]


# --- submit ----------------------------------------------------------------------------


def _answer(answer: StoredResponse) -> Response:
    body = dict(answer.body)
    headers = {"Idempotent-Replayed": "true" if answer.replayed else "false"}
    if isinstance(body.get("url"), str):
        headers["Location"] = body["url"]
    return Response(body, status=answer.status, headers=headers)


class DocumentSubmitApi(ErpApiView):
    """POST one Visma document DTO; answered 202 once, the same answer on retries."""

    InputSerializer: ClassVar[type[serializers.Serializer]]
    to_submission: ClassVar[Callable[[Mapping[str, Any]], DocumentSubmission]]

    def post(self, request: Request) -> Response:
        key = idempotency_key_validate(request.headers.get("Idempotency-Key"))
        body = request.data
        client = self.erp_client()
        fingerprint = request_fingerprint(
            method=request.method or "POST", path=request.path, body=body
        )
        # A retry is answered before its body is validated again: the stored answer
        # (or the 422 for another body) is what it gets, whatever changed since.
        found = idempotency_key_find(client=client, key=key, fingerprint=fingerprint)
        if found is not None:
            return _answer(found)
        serializer = self.InputSerializer(data=dto.unwrap_values(body))
        serializer.is_valid(raise_exception=True)
        submission = type(self).to_submission(serializer.validated_data)
        answer = erp_document_submit(
            client=client,
            idempotency_key=key,
            method=request.method or "POST",
            path=request.path,
            fingerprint=fingerprint,
            submission=submission,
            raw_payload=body,
            document_url=lambda public_id: document_url(request, public_id),
        )
        return _answer(answer)


SUBMIT_RULES = (
    "\n\nHeader `Idempotency-Key` is required (see the parameter). Read shape or "
    'write shape (`{"value": x}` scalars); unknown and server-owned fields (status, '
    "approvalStatus, ids, decisions) are ignored. Amounts are JSON numbers with at "
    f"most 2 decimals; at most {document_dto.MAX_LINES} lines; the lines must sum to "
    "the line total to the cent; every bad value is reported with its JSON path. "
    "Unknown cost units, projects and employees are not an error: routing explains "
    "what is missing. Answered 202: routing happens next and the document becomes "
    "`in_progress` or `blocked` (see `url`). The same ERP document while it is in "
    "approval → 409 with `existingId`; after it was rejected or cancelled → 202 and a "
    "new process."
)


def submit_schema(
    *,
    summary: str,
    description: str,
    read: dict[str, Any],
    write: dict[str, Any] | None,
) -> Callable[[type[DocumentSubmitApi]], type[DocumentSubmitApi]]:
    def decorate(view: type[DocumentSubmitApi]) -> type[DocumentSubmitApi]:
        request_examples = [
            OpenApiExample("Read shape", value=read, request_only=True),
        ]
        if write is not None:
            request_examples.append(
                OpenApiExample(
                    "Write shape",
                    value=write,
                    request_only=True,
                    description='Scalars wrapped as `{"value": x}`.',
                )
            )
        return extend_schema(
            methods=["POST"],
            tags=[DOCUMENTS_TAG],
            summary=summary,
            description=description + SUBMIT_RULES,
            parameters=[IDEMPOTENCY_KEY, *SUBMIT_RESPONSE_HEADERS],
            request=view.InputSerializer,
            responses={
                202: OpenApiResponse(
                    DocumentReceivedSerializer,
                    description="Accepted (or the first answer again for a retry).",
                ),
                **problem_responses(400, 401, 413, 415),
                (409, "application/problem+json"): problem_response_schema(
                    409,
                    description=(
                        "The ERP document is in approval (`open_process`, with "
                        "`existingId`) or approved (`finished`), or the first request "
                        "with this key is still running."
                    ),
                    example=("Already in approval", examples.OPEN_PROCESS_CONFLICT),
                ),
                (422, "application/problem+json"): problem_response_schema(
                    422,
                    description="The Idempotency-Key was used with another body.",
                    example=("Key reused", examples.KEY_REUSED),
                ),
                **problem_responses(503),
            },
            examples=[
                *request_examples,
                OpenApiExample(
                    "Received",
                    value=examples.RECEIVED,
                    response_only=True,
                    status_codes=["202"],
                ),
            ],
        )(view)

    return decorate


@submit_schema(
    summary="Send a supplier invoice for approval",
    description=(
        "A `SupplierInvoiceDto` with `invoiceLines`. `documentType` + `referenceNumber` "
        "identify it; `CreditAdj`/`DebitAdj` are credit notes (negative amounts "
        "allowed). Line amount: `costInCurrency` (or `cost`, or quantity × "
        "`unitCostInCurrency`); subaccount segments route the line. `sender` is "
        "recorded as the requester (it never approves its own invoice)."
    ),
    read=examples.SUPPLIER_INVOICE_READ,
    write=examples.SUPPLIER_INVOICE_WRITE,
)
class SupplierInvoiceSubmitApi(DocumentSubmitApi):
    InputSerializer = document_dto.SupplierInvoiceSerializer
    to_submission = staticmethod(document_dto.supplier_invoice_submission)


@submit_schema(
    summary="Send an expense claim for approval",
    description=(
        "An `ExpenseClaimDto` with `details`, keyed by `refNbr`; `claimedBy` is the "
        "requester. A detail's amount is `amountInClaimCurr` (or `claimAmount`); the "
        "details must sum to `claimTotal`. A claim with a receipt on hold "
        '(`status: "Hold"` or `hold: true`) is refused.'
    ),
    read=examples.EXPENSE_CLAIM_READ,
    write=None,
)
class ExpenseClaimSubmitApi(DocumentSubmitApi):
    InputSerializer = document_dto.ExpenseClaimSerializer
    to_submission = staticmethod(document_dto.expense_claim_submission)


@submit_schema(
    summary="Send a time card for approval",
    description=(
        "A `TimeCardDto` with `summary` lines, keyed by `refNbr`; `employee` is the "
        "requester. Times are whole minutes: at most 1440 a day (also summed over the "
        "lines), a line's `timeSpent` equals its days, the lines sum to "
        "`totalTimeSpent`. Stored amounts are hours (2 decimals) in the company's "
        "currency field, since a time card has none."
    ),
    read=examples.TIME_CARD_READ,
    write=None,
)
class TimeCardSubmitApi(DocumentSubmitApi):
    InputSerializer = document_dto.TimeCardSerializer
    to_submission = staticmethod(document_dto.time_card_submission)
