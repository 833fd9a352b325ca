"""Every write of the documents app: receive, route, decide, advance, cancel, comment.

One module per area; import from here.
"""

from documents.services.cancellation import document_cancel
from documents.services.comments import comment_add
from documents.services.decisions import task_approve, task_reject
from documents.services.processes import process_advance
from documents.services.receive import LineInput, document_receive
from documents.services.routing import document_retry_blocked, document_route
from documents.services.steps import step_activate
from documents.step_state import step_evaluate

__all__ = [
    "LineInput",
    "comment_add",
    "document_cancel",
    "document_receive",
    "document_retry_blocked",
    "document_route",
    "process_advance",
    "step_activate",
    "step_evaluate",
    "task_approve",
    "task_reject",
]
