"""What the document endpoints answer: the output serializers (explicit field lists,
also the OpenAPI components) and the functions that fill them from the selectors.

Amounts are decimal strings, so they round-trip exactly; statuses come in Signoff's
vocabulary and, as `approvalStatus`, in Visma's (ERP_PAYLOADS §12d).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from documents.choices import APPROVING_ACTIONS, DocumentStatus, StepRunStatus
from documents.models import Attachment, Document
from documents.selectors import WAITING_TASK_STATUSES
from documents.services.outbox import APPROVAL_STATUS
from erp_sync.api.errors import problem_responses
from erp_sync.selectors import DocumentDetail, erp_document_detail
from orgunits.models import DocumentType

DOCUMENTS_TAG = "Documents"
#: The problems of an endpoint that looks a document up by id.
DOCUMENT_404 = problem_responses(401, 404)


def document_url(request: Request, public_id: UUID | str) -> str:
    return request.build_absolute_uri(
        reverse("erp_api:document-detail", kwargs={"document_id": public_id})
    )


def attachment_url(request: Request, document: Document, attachment_id: int) -> str:
    return request.build_absolute_uri(
        reverse(
            "erp_api:document-attachment",
            kwargs={"document_id": document.public_id, "attachment_id": attachment_id},
        )
    )


# --- output ----------------------------------------------------------------------------


@extend_schema_serializer(component_name="DocumentReceived")
class DocumentReceivedSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The document's id in Signoff.")
    status = serializers.CharField(help_text="Always `received`: routing follows.")
    erpReference = serializers.CharField()
    url = serializers.URLField(help_text="Where to read the document's state.")


_STEP_STATUSES = "One of " + ", ".join(f"`{value}`" for value in StepRunStatus.values)


@extend_schema_serializer(component_name="DocumentSupplier")
class _SupplierSerializer(serializers.Serializer):
    number = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="DocumentStep")
class _CurrentStepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField(help_text=_STEP_STATUSES)


@extend_schema_serializer(component_name="DocumentTask")
class _TaskSerializer(serializers.Serializer):
    """A task waiting for someone now: active, in review or blocked (tasks of later
    steps are not listed until their step starts)."""

    step = serializers.IntegerField(help_text="The step's position.")
    assignee = serializers.CharField(help_text="Employee number.")
    onBehalfOf = serializers.CharField(
        allow_null=True, help_text="Employee number of whom a substitute acts for."
    )
    status = serializers.CharField()
    kind = serializers.CharField(help_text="`approval` or `review`.")
    dueDate = serializers.DateField(allow_null=True)
    lineNumbers = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The lines routed to this task (line approval); empty for all.",
    )


@extend_schema_serializer(component_name="DocumentDecision")
class _DecisionSerializer(serializers.Serializer):
    action = serializers.CharField()
    approved = serializers.BooleanField()
    decidedBy = serializers.CharField(allow_null=True)
    onBehalfOf = serializers.CharField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    decidedAt = serializers.DateTimeField()


@extend_schema_serializer(component_name="DocumentLineDecision")
class _LineDecisionSerializer(serializers.Serializer):
    lineNumber = serializers.IntegerField()
    action = serializers.CharField()
    decidedBy = serializers.CharField(allow_null=True)
    onBehalfOf = serializers.CharField(allow_null=True)
    decidedAt = serializers.DateTimeField()


@extend_schema_serializer(component_name="DocumentStepRun")
class _StepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField(help_text=_STEP_STATUSES)
    decisions = _DecisionSerializer(many=True)
    lineDecisions = _LineDecisionSerializer(many=True)


@extend_schema_serializer(component_name="DocumentLine")
class _LineSerializer(serializers.Serializer):
    lineNumber = serializers.IntegerField()
    description = serializers.CharField(allow_blank=True)
    quantity = serializers.DecimalField(
        max_digits=18, decimal_places=4, allow_null=True
    )
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    account = serializers.CharField(allow_blank=True)
    subaccount = serializers.CharField(allow_blank=True)
    segments = serializers.DictField(
        child=serializers.CharField(), help_text="Segment id → value."
    )
    department = serializers.CharField(allow_blank=True)
    project = serializers.CharField(allow_blank=True)
    projectTask = serializers.CharField(allow_blank=True)
    branch = serializers.CharField(allow_blank=True)
    edited = serializers.BooleanField(help_text="Changed by an approver.")


@extend_schema_serializer(component_name="DocumentLineChange")
class _ChangeSerializer(serializers.Serializer):
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


@extend_schema_serializer(component_name="DocumentEditedLine")
class _EditedLineSerializer(serializers.Serializer):
    lineNumber = serializers.IntegerField()
    changes = serializers.DictField(
        child=_ChangeSerializer(), help_text="Field → first value before, last after."
    )


@extend_schema_serializer(component_name="DocumentComment")
class _CommentSerializer(serializers.Serializer):
    author = serializers.CharField(allow_null=True, help_text="Employee number.")
    authorName = serializers.CharField()
    text = serializers.CharField()
    createdAt = serializers.DateTimeField()
    processNumber = serializers.IntegerField(allow_null=True)


@extend_schema_serializer(component_name="DocumentAttachment")
class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    contentType = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    createdAt = serializers.DateTimeField()
    url = serializers.URLField(help_text="Downloads the file.")


@extend_schema_serializer(component_name="DocumentSummary")
class DocumentSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    type = serializers.ChoiceField(choices=DocumentType.choices)
    erpDocumentType = serializers.CharField()
    erpReference = serializers.CharField()
    status = serializers.ChoiceField(choices=DocumentStatus.choices)
    approvalStatus = serializers.CharField(help_text="Visma's vocabulary.")
    currency = serializers.CharField()
    grossAmount = serializers.DecimalField(max_digits=18, decimal_places=2)
    receivedAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


@extend_schema_serializer(component_name="Document")
class DocumentSerializer(DocumentSummarySerializer):
    statusText = serializers.CharField(
        allow_blank=True, help_text="Why the document is blocked, if it is."
    )
    version = serializers.IntegerField()
    netAmount = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True
    )
    vatAmount = serializers.DecimalField(
        max_digits=18, decimal_places=2, allow_null=True
    )
    description = serializers.CharField(allow_blank=True)
    documentDate = serializers.DateField(allow_null=True)
    dueDate = serializers.DateField(allow_null=True)
    requester = serializers.CharField(allow_blank=True)
    initialApprover = serializers.CharField(allow_blank=True)
    sender = serializers.CharField(allow_blank=True)
    supplier = _SupplierSerializer()
    branch = serializers.CharField(allow_blank=True)
    department = serializers.CharField(allow_blank=True)
    processNumber = serializers.IntegerField(
        allow_null=True, help_text="1 for the first submission; null before routing."
    )
    currentStep = _CurrentStepSerializer(allow_null=True)
    openTasks = _TaskSerializer(many=True)
    steps = _StepSerializer(many=True)
    lines = _LineSerializer(many=True)
    editedLines = _EditedLineSerializer(many=True)
    comments = _CommentSerializer(many=True)
    attachments = AttachmentSerializer(many=True)


def _number(employee: Any) -> str | None:
    return None if employee is None else employee.number


def summary_body(request: Request, document: Document) -> dict[str, Any]:
    return {
        "id": document.public_id,
        "url": document_url(request, document.public_id),
        "type": document.document_type,
        "erpDocumentType": document.erp_document_type,
        "erpReference": document.erp_reference,
        "status": document.status,
        "approvalStatus": APPROVAL_STATUS[DocumentStatus(document.status)],
        "currency": document.currency,
        "grossAmount": document.gross_amount,
        "receivedAt": document.received_at,
        "updatedAt": document.updated_at,
    }


def attachment_body(
    request: Request, document: Document, attachment: Attachment
) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "contentType": attachment.content_type,
        "size": attachment.size,
        "createdAt": attachment.created_at,
        "url": attachment_url(request, document, attachment.pk),
    }


def _edited_lines(detail: DocumentDetail) -> list[dict[str, Any]]:
    """Per edited line, each changed field's first `before` and last `after`."""
    edits: dict[int, dict[str, dict[str, Any]]] = {}
    for event in detail.line_edits:
        number, name = event.data.get("line"), event.data.get("field")
        if not isinstance(number, int) or not isinstance(name, str):
            continue
        change = edits.setdefault(number, {}).setdefault(
            name, {"before": event.data.get("before")}
        )
        change["after"] = event.data.get("after")
    return [
        {"lineNumber": number, "changes": changes}
        for number, changes in sorted(edits.items())
    ]


def document_body(request: Request, detail: DocumentDetail) -> dict[str, Any]:
    document = detail.document
    current = next(
        (step for step in detail.steps if step.status == StepRunStatus.ACTIVE), None
    )
    return {
        **summary_body(request, document),
        "statusText": document.blocked_reason,
        "version": document.version,
        "netAmount": document.net_amount,
        "vatAmount": document.vat_amount,
        "description": document.description,
        "documentDate": document.document_date,
        "dueDate": document.due_date,
        "requester": document.requester_number,
        "initialApprover": document.initial_approver_number,
        "sender": document.sender_number,
        "supplier": {
            "number": document.supplier_number,
            "name": document.supplier_name,
        },
        "branch": document.branch_code,
        "department": document.department_code,
        "processNumber": detail.process.number if detail.process else None,
        "currentStep": (
            {
                "position": current.position,
                "name": current.name,
                "status": current.status,
            }
            if current
            else None
        ),
        "openTasks": [
            {
                "step": task.step_run.position,
                "assignee": task.assignee.number,
                "onBehalfOf": _number(task.on_behalf_of),
                "status": task.status,
                "kind": task.kind,
                "dueDate": task.due_date,
                "lineNumbers": list(task.line_numbers or []),
            }
            for task in detail.tasks
            if task.status in WAITING_TASK_STATUSES
        ],
        "steps": [
            {
                "position": step.position,
                "name": step.name,
                "status": step.status,
                "decisions": [
                    {
                        "action": decision.action,
                        "approved": decision.action in APPROVING_ACTIONS,
                        "decidedBy": _number(decision.decided_by),
                        "onBehalfOf": _number(decision.on_behalf_of),
                        "comment": decision.comment,
                        "decidedAt": decision.at,
                    }
                    for decision in detail.decisions
                    if decision.step_run_id == step.pk
                ],
                "lineDecisions": [
                    {
                        "lineNumber": line_decision.line_number,
                        "action": line_decision.action,
                        "decidedBy": _number(line_decision.decided_by),
                        "onBehalfOf": _number(line_decision.on_behalf_of),
                        "decidedAt": line_decision.at,
                    }
                    for line_decision in detail.line_decisions
                    if line_decision.task is not None
                    and line_decision.task.step_run_id == step.pk
                ],
            }
            for step in detail.steps
        ],
        "lines": [
            {
                "lineNumber": line.line_number,
                "description": line.description,
                "quantity": line.quantity,
                "amount": line.amount,
                "account": line.account,
                "subaccount": line.subaccount_number,
                "segments": {
                    str(k): str(v) for k, v in (line.segment_values or {}).items()
                },
                "department": line.department_code,
                "project": line.project_code,
                "projectTask": line.task_code,
                "branch": line.branch_code,
                "edited": line.edited,
            }
            for line in detail.lines
        ],
        "editedLines": _edited_lines(detail),
        "comments": [
            {
                "author": _number(comment.author),
                "authorName": comment.author_label,
                "text": comment.text,
                "createdAt": comment.created_at,
                "processNumber": comment.process.number if comment.process else None,
            }
            for comment in detail.comments
        ],
        "attachments": [
            attachment_body(request, document, attachment)
            for attachment in detail.attachments
        ],
    }


def document_response(request: Request, document: Document) -> Response:
    detail = erp_document_detail(document=document)
    return Response(DocumentSerializer(document_body(request, detail)).data)
