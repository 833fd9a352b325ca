"""Every status and kind of the documents app, in one module.

The models, the transitions map and the querysets all import from here, so none of them
needs to import another to know a value.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ProcessStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    BLOCKED = "blocked", _("Blocked")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class StepRunStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    SKIPPED = "skipped", _("Skipped")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class TaskStatus(models.TextChoices):
    """Stored task states; "overdue" is derived (active and past its due date)."""

    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    IN_REVIEW = "in_review", _("In review")
    BLOCKED = "blocked", _("Blocked")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


#: Tasks that still wait for someone; at most one per (step run, assignee, kind).
TASK_OPEN_STATUSES = (
    TaskStatus.PLANNED,
    TaskStatus.ACTIVE,
    TaskStatus.IN_REVIEW,
    TaskStatus.BLOCKED,
)


class TaskOrigin(models.TextChoices):
    WORKFLOW = "workflow", _("Workflow")
    SUBSTITUTE = "substitute", _("Substitute")
    FORWARD = "forward", _("Forwarded")
    REVIEW = "review", _("Review request")
    REASSIGN = "reassign", _("Reassigned by an administrator")


class TaskKind(models.TextChoices):
    APPROVAL = "approval", _("Approval")
    REVIEW = "review", _("Review")


class DecisionAction(models.TextChoices):
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    AUTO_APPROVE = "auto_approve", _("Approved automatically")
    ADMIN_APPROVE = "admin_approve", _("Approved directly by an administrator")
    ADMIN_REJECT = "admin_reject", _("Rejected directly by an administrator")


#: Decisions that count as an approval of their step.
APPROVING_ACTIONS = (
    DecisionAction.APPROVE,
    DecisionAction.AUTO_APPROVE,
    DecisionAction.ADMIN_APPROVE,
)


class LineDecisionAction(models.TextChoices):
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")


class OutboxEventType(models.TextChoices):
    APPROVED = "document.approved", _("Document approved")
    REJECTED = "document.rejected", _("Document rejected")
    CANCELLED = "document.cancelled", _("Document cancelled")
    STATUS_CHANGED = "document.status_changed", _("Document status changed")


#: The events that end a process; INV-2 allows exactly one of them per process.
OUTCOME_EVENT_TYPES = (
    OutboxEventType.APPROVED,
    OutboxEventType.REJECTED,
    OutboxEventType.CANCELLED,
)


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Dead")
