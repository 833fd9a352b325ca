"""Reads of the erp_sync app: signing secrets, and documents as the ERP client sees them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from documents.models import (
    Attachment,
    Comment,
    Decision,
    Document,
    HistoryEvent,
    Line,
    LineDecision,
    Process,
    StepRun,
    Task,
)
from erp_sync.filters import ErpDocumentFilterSet
from erp_sync.models import SIGNING_SECRET_OVERLAP, ErpClient
from orgunits.models import Company


def erp_client_signing_secrets(
    *, client: ErpClient, at: datetime | None = None
) -> list[str]:
    """The secrets a push made at `at` is signed with, newest first.

    Right after a rotation both are listed, so Standard Webhooks receivers that still
    hold the previous secret keep verifying (one signature per secret in the header).
    """
    moment = at or timezone.now()
    secrets = [client.signing_secret]
    if (
        client.previous_signing_secret
        and client.rotated_at is not None
        and moment < client.rotated_at + SIGNING_SECRET_OVERLAP
    ):
        secrets.append(client.previous_signing_secret)
    return secrets


# --- documents, as the ERP client sees them --------------------------------------------


def erp_document_get(*, company: Company, public_id: UUID) -> Document:
    """The company's document by its public id; Http404 for any other, identically.

    An unknown id and another company's id answer the same, so ids reveal nothing
    (RELIABILITY 9, INV-6).
    """
    document = (
        Document.objects.filter(company=company, public_id=public_id)
        .select_related("company")
        .first()
    )
    if document is None:
        raise Http404("No such document.")
    return document


@dataclass(frozen=True)
class DocumentDetail:
    """A document with everything `GET /documents/{id}` shows, loaded in a fixed number
    of queries: the latest process, its steps, tasks, decisions and line decisions,
    the lines, comments, attachments and the latest process's line edits."""

    document: Document
    process: Process | None
    steps: Sequence[StepRun]
    tasks: Sequence[Task]
    decisions: Sequence[Decision]
    line_decisions: Sequence[LineDecision]
    lines: Sequence[Line]
    comments: Sequence[Comment]
    attachments: Sequence[Attachment]
    line_edits: Sequence[HistoryEvent]


def erp_document_detail(*, document: Document) -> DocumentDetail:
    """Everything about one document for the ERP (access checked by the caller)."""
    process = Process.objects.filter(document=document).order_by("-number").first()
    steps: list[StepRun] = []
    tasks: list[Task] = []
    decisions: list[Decision] = []
    line_decisions: list[LineDecision] = []
    line_edits: list[HistoryEvent] = []
    if process is not None:
        steps = list(StepRun.objects.filter(process=process).order_by("position"))
        tasks = list(
            Task.objects.filter(process=process)
            .select_related("assignee", "on_behalf_of", "step_run")
            .order_by("step_run__position", "pk")
        )
        decisions = list(
            Decision.objects.filter(process=process)
            .select_related("step_run", "decided_by", "on_behalf_of")
            .order_by("at", "pk")
        )
        line_decisions = list(
            LineDecision.objects.filter(task__process=process)
            .select_related("task__step_run", "decided_by", "on_behalf_of")
            .order_by("line_number", "at", "pk")
        )
        line_edits = list(
            HistoryEvent.objects.filter(
                document=document, process=process, action="documents.line.edit"
            ).order_by("at", "pk")
        )
    return DocumentDetail(
        document=document,
        process=process,
        steps=steps,
        tasks=tasks,
        decisions=decisions,
        line_decisions=line_decisions,
        lines=list(Line.objects.filter(document=document).order_by("line_number")),
        comments=list(
            Comment.objects.filter(document=document)
            .select_related("author", "process")
            .order_by("created_at", "pk")
        ),
        attachments=list(
            Attachment.objects.filter(document=document).order_by("created_at", "pk")
        ),
        line_edits=line_edits,
    )


@dataclass(frozen=True)
class DocumentCursor:
    """Where a page of the document list ends: the last row's (updated_at, id)."""

    updated_at: datetime
    id: int


def erp_document_list(
    *, company: Company, filters: Mapping[str, Any] | None = None
) -> QuerySet[Document]:
    """The company's documents, filtered (`ErpDocumentFilterSet`), oldest change first.

    Ordered by (updated_at, id): a client polling with `updated_after` pages through
    every change exactly once, even while documents change.
    """
    queryset = Document.objects.filter(company=company)
    filterset = ErpDocumentFilterSet(data=dict(filters or {}), queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(
            {name: list(errors) for name, errors in filterset.errors.items()}
        )
    return filterset.qs.order_by("updated_at", "id")


def erp_document_page(
    *,
    company: Company,
    filters: Mapping[str, Any] | None = None,
    after: DocumentCursor | None = None,
    limit: int = 50,
) -> tuple[list[Document], DocumentCursor | None]:
    """One page of `erp_document_list` after the cursor, and the next page's cursor.

    Keyset pagination: a page is found by where the previous one ended, never by an
    offset, so rows that change between two requests are neither skipped nor repeated.
    """
    documents = erp_document_list(company=company, filters=filters)
    if after is not None:
        documents = documents.filter(
            Q(updated_at__gt=after.updated_at)
            | Q(updated_at=after.updated_at, id__gt=after.id)
        )
    rows = list(documents[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (
        DocumentCursor(updated_at=rows[-1].updated_at, id=rows[-1].pk)
        if more and rows
        else None
    )
    return rows, cursor


def erp_attachment_list(*, document: Document) -> QuerySet[Attachment]:
    return Attachment.objects.filter(document=document).order_by("created_at", "pk")


def erp_attachment_get(*, document: Document, attachment_id: int) -> Attachment:
    """One attachment of the document; Http404 for any other."""
    attachment = Attachment.objects.filter(document=document, pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment
