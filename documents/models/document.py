"""What the ERP sent: the document header, its lines and attachments (DOMAIN §4)."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.choices import DocumentStatus
from orgunits.models import CompanyScopedModel, DocumentType, Employee


class Document(CompanyScopedModel):
    """One ERP document. Resubmitted after reject/cancel, it keeps its row and id.

    `version` is bumped by every service that changes the document or its approval
    state; pages and API clients send it back (hidden field / `If-Match`) so an action
    taken on an outdated view is refused instead of silently applied.
    """

    Status = DocumentStatus
    #: A process may still run or be started for these.
    OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS, Status.BLOCKED)
    FINISHED_STATUSES = (Status.APPROVED, Status.REJECTED, Status.CANCELLED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    erp_document_type = models.CharField(
        max_length=30, help_text=_('The ERP\'s own type, e.g. "Invoice", "CreditAdj"')
    )
    erp_reference = models.CharField(max_length=60)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    blocked_reason = models.TextField(blank=True)

    net_amount = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True
    )
    vat_amount = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True
    )
    gross_amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)

    # SET_NULL: the number stays as sent even if the employee row goes away.
    requester = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_documents",
    )
    requester_number = models.CharField(max_length=30, blank=True)
    initial_approver_number = models.CharField(max_length=30, blank=True)
    sender_number = models.CharField(max_length=30, blank=True)
    supplier_number = models.CharField(max_length=30, blank=True)
    supplier_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    document_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    branch_code = models.CharField(max_length=30, blank=True)
    department_code = models.CharField(max_length=30, blank=True)
    raw_payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["company", "status"], name="document_company_status"),
            models.Index(fields=["status", "received_at"], name="document_status_recv"),
        ]
        constraints = [
            # INV-1: one row per ERP document; a resubmission reuses it.
            models.UniqueConstraint(
                fields=[
                    "company",
                    "document_type",
                    "erp_document_type",
                    "erp_reference",
                ],
                name="document_erp_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DocumentStatus.values),
                name="document_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(document_type__in=DocumentType.values),
                name="document_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="document_currency_iso",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="document_version_from_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.erp_document_type} {self.erp_reference}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES


class Line(CompanyScopedModel):
    """One document line with the org facts that route it (codes, not rows)."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="lines"
    )
    line_number = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    quantity = models.DecimalField(
        max_digits=18, decimal_places=4, null=True, blank=True
    )
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    account = models.CharField(max_length=30, blank=True)
    subaccount_number = models.CharField(max_length=60, blank=True)
    segment_values = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Segment id → value code, e.g. {"1": "20", "2": "B"}'),
    )
    department_code = models.CharField(max_length=30, blank=True)
    project_code = models.CharField(max_length=30, blank=True)
    task_code = models.CharField(max_length=30, blank=True)
    branch_code = models.CharField(max_length=30, blank=True)
    extra = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    edited = models.BooleanField(default=False)

    class Meta:
        ordering = ["document", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "line_number"], name="line_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.line_number}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """Company-scoped storage path; the stored name is random so names never clash."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return (
        f"documents/{instance.company_id}/{instance.document.public_id}/"
        f"{uuid.uuid4().hex}{suffix}"
    )


class Attachment(CompanyScopedModel):
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # None when the ERP sent it.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["document", "created_at", "id"]

    def __str__(self) -> str:
        return self.filename
