"""Outcome events for the ERP, written in the caller's transaction (transactional outbox).

Only inserts happen here. The ERP app relays pending rows, signs them and records the
delivery; because the row commits or rolls back with the state change it reports, an
outcome is never lost and never announced for a change that did not happen.

Each insert also asks for a relay run once its transaction commits (by task name:
documents does not import erp_sync), so the ERP hears of the outcome within a moment
rather than at the next periodic run. The periodic run stays as the safety net for a
message lost with the broker.
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from documents.choices import (
    APPROVING_ACTIONS,
    DocumentStatus,
    LineDecisionAction,
    OutboxEventType,
)
from documents.models import (
    Comment,
    Decision,
    Document,
    HistoryEvent,
    LineDecision,
    OutboxEvent,
    Process,
)

#: Our status → Visma's `approvalStatus` vocabulary (ERP_PAYLOADS §12d).
APPROVAL_STATUS = {
    DocumentStatus.RECEIVED: "ReceivedByApproval",
    DocumentStatus.IN_PROGRESS: "InProgressApproval",
    DocumentStatus.BLOCKED: "InProgressApproval",
    DocumentStatus.APPROVED: "ApprovedInApproval",
    DocumentStatus.REJECTED: "RejectedInApproval",
    DocumentStatus.CANCELLED: "Canceled",
}


def outbox_event_add(
    *,
    document: Document,
    process: Process | None,
    event_type: OutboxEventType,
    status_text: str,
) -> OutboxEvent:
    """Insert one pending event describing the document as it is now."""
    event_id = uuid.uuid4()
    payload = _payload(
        document=document,
        process=process,
        event_type=event_type,
        event_id=event_id,
        status_text=status_text,
    )
    event = OutboxEvent.objects.create(
        company_id=document.company_id,
        event_id=event_id,
        document=document,
        process=process,
        event_type=event_type,
        payload=payload,
    )
    relay_enqueue_on_commit()
    return event


#: The ERP app's relay task (erp_sync.tasks.relay_outbox), sent by name.
RELAY_TASK_NAME = "erp_sync.relay_outbox"


def _send_relay() -> None:
    # Eager mode (the browser tests) runs tasks in the caller and has no worker for a
    # published message; send_task would ignore eagerness and leave one in the broker.
    if current_app.conf.task_always_eager:
        return
    current_app.send_task(RELAY_TASK_NAME)


def relay_enqueue_on_commit() -> None:
    """Once the current transaction commits, ask the relay to deliver what is due.

    On commit only: before it the relay would not see the row, and a rolled-back row
    must not be announced. robust=True: a broker outage must not fail the request that
    already committed; the periodic relay delivers the event then. One message per row
    (a transaction writes one outcome); a run that finds nothing due costs one query.
    """
    transaction.on_commit(_send_relay, robust=True)


def _payload(
    *,
    document: Document,
    process: Process | None,
    event_type: OutboxEventType,
    event_id: uuid.UUID,
    status_text: str,
) -> dict[str, Any]:
    """The body of the push (ERP_API "Outcome push"), frozen at the time of the change."""
    decisions: list[Decision] = []
    line_decisions: list[LineDecision] = []
    if process is not None:
        decisions = list(
            Decision.objects.filter(process=process)
            .select_related("step_run", "decided_by", "on_behalf_of")
            .order_by("at", "pk")
        )
        # By task, not by decision: lines approved one by one have no decision yet.
        line_decisions = list(
            LineDecision.objects.filter(task__process=process)
            .select_related("decided_by", "on_behalf_of")
            .order_by("line_number", "pk")
        )
    # Comments of earlier processes stay part of the document's story (DOMAIN §4).
    comments = list(
        Comment.objects.filter(document=document)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    line_status: dict[int, dict[str, Any]] = {}
    for line_decision in line_decisions:
        approver = line_decision.decided_by or line_decision.on_behalf_of
        line_status[line_decision.line_number] = {
            "approvalStatus": (
                APPROVAL_STATUS[DocumentStatus.APPROVED]
                if line_decision.action == LineDecisionAction.APPROVE
                else APPROVAL_STATUS[DocumentStatus.REJECTED]
            ),
            "approver": approver.number if approver else None,
        }
    changes = _line_changes(document=document, process=process)
    lines = [
        {
            "lineNumber": line.line_number,
            **line_status.get(
                line.line_number,
                {"approvalStatus": APPROVAL_STATUS[document.status], "approver": None},
            ),
            "edited": line.edited,
            "changes": changes.get(line.line_number, {}),
        }
        for line in document.lines.order_by("line_number")
    ]
    return {
        "id": str(event_id),
        "type": event_type.value,
        "occurredAt": timezone.now().isoformat(),
        "document": {
            "id": str(document.public_id),
            "kind": document.document_type,
            "documentType": document.erp_document_type,
            "referenceNumber": document.erp_reference,
            "approvalStatus": APPROVAL_STATUS[document.status],
            "processNumber": process.number if process else None,
        },
        "approvalStatusText": status_text,
        "comments": [
            {
                "author": comment.author.number if comment.author else None,
                "authorName": comment.author_label,
                "text": comment.text,
                "createdAt": comment.created_at.isoformat(),
            }
            for comment in comments
        ],
        "decisions": [
            {
                "step": decision.step_run.position,
                "stepName": decision.step_run.name,
                "action": decision.action,
                "approved": decision.action in APPROVING_ACTIONS,
                "decidedBy": decision.decided_by.number
                if decision.decided_by
                else None,
                "onBehalfOf": (
                    decision.on_behalf_of.number if decision.on_behalf_of else None
                ),
                "comment": decision.comment,
                "decidedAt": decision.at.isoformat(),
            }
            for decision in decisions
        ],
        "lines": lines,
    }


def _line_changes(
    *, document: Document, process: Process | None
) -> dict[int, dict[str, Any]]:
    """Line number → field → value now, for the fields approvers edited in this process.

    Read from the edit history (one row per changed field, oldest first), so the ERP
    can apply the edits without comparing whole lines (ERP_API "Outcome push").
    """
    if process is None:
        return {}
    changes: dict[int, dict[str, Any]] = {}
    for data in (
        HistoryEvent.objects.filter(
            document=document, process=process, action="documents.line.edit"
        )
        .order_by("at", "pk")
        .values_list("data", flat=True)
    ):
        changes.setdefault(int(data["line"]), {})[data["field"]] = data["after"]
    return changes
