"""Every write of the documents app: receive, route, decide, advance, cancel, comment.

One module per area; import from here.
"""

from documents.services.admin_actions import (
    DirectDecisionResult,
    RightsCheck,
    document_approve_directly,
    document_reject_directly,
    document_resend,
    document_resend_preview,
    documents_approve_directly,
    documents_reject_directly,
    tasks_block_for_lost_rights,
    tasks_reassign,
)
from documents.services.attachments import attachment_add
from documents.services.bulk import BulkRefusal, BulkResult, tasks_bulk_approve
from documents.services.calendar import document_due_date_default, working_days_add
from documents.services.cancellation import document_cancel
from documents.services.comments import comment_add
from documents.services.decisions import task_approve, task_reject
from documents.services.editing import document_edit
from documents.services.forwarding import task_forward
from documents.services.line_decisions import task_decide_lines
from documents.services.postpone import task_postpone
from documents.services.processes import process_advance
from documents.services.receive import LineInput, document_receive
from documents.services.review import task_request_review, task_review
from documents.services.routing import document_retry_blocked, document_route
from documents.services.steps import step_activate
from documents.step_state import step_evaluate

__all__ = [
    "BulkRefusal",
    "BulkResult",
    "DirectDecisionResult",
    "LineInput",
    "RightsCheck",
    "attachment_add",
    "comment_add",
    "document_approve_directly",
    "document_cancel",
    "document_due_date_default",
    "document_edit",
    "document_receive",
    "document_reject_directly",
    "document_resend",
    "document_resend_preview",
    "document_retry_blocked",
    "document_route",
    "documents_approve_directly",
    "documents_reject_directly",
    "process_advance",
    "step_activate",
    "step_evaluate",
    "task_approve",
    "task_decide_lines",
    "task_forward",
    "task_postpone",
    "task_reject",
    "task_request_review",
    "task_review",
    "tasks_block_for_lost_rights",
    "tasks_bulk_approve",
    "tasks_reassign",
    "working_days_add",
]
