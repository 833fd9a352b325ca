"""Documents from the ERP, their approval processes, decisions, history and outbox.

Split by concern: `document` (what the ERP sent), `process` (one approval run with its
steps, tasks and decisions) and `audit` (comments, history and the outbox — rows that
are only ever inserted, apart from the outbox's delivery bookkeeping).
"""

from documents.models.audit import Comment, HistoryEvent, OutboxEvent
from documents.models.document import Attachment, Document, Line
from documents.models.notification import NotificationKind, NotificationSent
from documents.models.process import (
    Decision,
    LineDecision,
    Process,
    StepRun,
    Task,
)

__all__ = [
    "Attachment",
    "Comment",
    "Decision",
    "Document",
    "HistoryEvent",
    "Line",
    "LineDecision",
    "NotificationKind",
    "NotificationSent",
    "OutboxEvent",
    "Process",
    "StepRun",
    "Task",
]
