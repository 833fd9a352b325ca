"""One approval run of a document: its steps, tasks and decisions (DOMAIN §4).

A document rejected or cancelled and sent again gets a new `Process`; the earlier ones
stay with their decisions and comments. The database holds the invariants that must
survive racing requests: one open process per document (INV-1), one open task per
(step, person, kind), one decision per task (INV-3).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from documents.choices import (
    TASK_OPEN_STATUSES,
    DecisionAction,
    LineDecisionAction,
    ProcessStatus,
    StepRunStatus,
    TaskKind,
    TaskOrigin,
    TaskStatus,
)
from documents.models.base import ImmutableRecord
from documents.models.document import Document, Line
from documents.querysets import TaskQuerySet
from orgunits.models import CompanyScopedModel, Employee
from workflows.models import CompletionPolicy, WorkflowVersion


class Process(CompanyScopedModel):
    """One approval run; `plan` is the routing trace the engine produced for it."""

    Status = ProcessStatus
    OPEN_STATUSES = (Status.RUNNING, Status.BLOCKED)

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="processes"
    )
    number = models.PositiveSmallIntegerField(help_text="1 = first submission")
    # PROTECT: a process must always be able to show the workflow it ran. Null when
    # no workflow was active (the process is then blocked).
    workflow_version = models.ForeignKey(
        WorkflowVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="processes",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    blocked_reason = models.TextField(blank=True)
    plan = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set (in the decision's transaction) when an approval may have completed the
    # active step; cleared by the advance that looked at it. The reconciler advances
    # processes whose mark outlived its grace: a lost `advance_process` message.
    advance_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["document", "number"]
        verbose_name_plural = "processes"
        indexes = [
            # The reconciler's two reads: due advances, and running processes that
            # lost their active step. Both small, whatever the number of documents; a
            # mark left on a process that stopped running (rejected or cancelled before
            # its advance ran) drops out of the index with the status.
            models.Index(
                fields=["advance_due_at"],
                condition=Q(advance_due_at__isnull=False, status="running"),
                name="process_advance_due",
            ),
            models.Index(
                fields=["updated_at"],
                condition=Q(status="running"),
                name="process_running_updated",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="process_number_unique"
            ),
            # INV-1: whatever races, a document has at most one open process.
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status__in=["running", "blocked"]),
                name="process_one_open_per_document",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProcessStatus.values),
                name="process_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="process_number_from_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} process {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class StepRun(CompanyScopedModel):
    """One step of a process, copied from the plan with the options it runs with."""

    Status = StepRunStatus

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="step_runs"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    reasons = models.JSONField(default=list, blank=True)
    completion_policy = models.CharField(
        max_length=10, choices=CompletionPolicy.choices, default=CompletionPolicy.ANY
    )
    required_count = models.PositiveSmallIntegerField(default=1)
    mandatory = models.BooleanField(default=True)
    line_approval = models.BooleanField(default=False)
    editing_allowed = models.BooleanField(default=False)
    reapprove_changes = models.BooleanField(default=False)
    days_to_complete = models.PositiveSmallIntegerField(default=5)
    is_four_eyes = models.BooleanField(default=False)
    # Raised each time the step is sent back for re-approval; only the tasks of the
    # current round count towards completing it (earlier decisions stay as history).
    round = models.PositiveSmallIntegerField(default=1)
    # Set for a step the workflow approves automatically on this person's behalf.
    auto_approve_as = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["process", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "position"], name="step_run_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StepRunStatus.values),
                name="step_run_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(completion_policy__in=CompletionPolicy.values),
                name="step_run_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(required_count__gte=1), name="step_run_required_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


#: Tasks without a due date sort after every dated one (ascending).
TASK_NO_DUE_DATE = date(9999, 12, 31)


def task_due_sort_key() -> Coalesce:
    """The due date My tasks sorts by, undated last; the index `task_assignee_due`
    holds exactly this expression, so the list reads a person's tasks in order."""
    return Coalesce(
        F("due_date"), Value(TASK_NO_DUE_DATE), output_field=models.DateField()
    )


class Task(CompanyScopedModel):
    """One person's part in one step: approve (or review) the document."""

    Status = TaskStatus
    Origin = TaskOrigin
    Kind = TaskKind
    OPEN_STATUSES = TASK_OPEN_STATUSES

    step_run = models.ForeignKey(
        StepRun, on_delete=models.CASCADE, related_name="tasks"
    )
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="tasks")
    # Denormalised from the process so task lists filter and join in one step.
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="tasks"
    )
    # PROTECT: a task must always name who it was for.
    assignee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="document_tasks"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    origin = models.CharField(
        max_length=10, choices=Origin.choices, default=Origin.WORKFLOW
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.APPROVAL)
    on_behalf_of = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    forwarded_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reassigned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A review task's approval task: it waits in review until this one is answered.
    review_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    # The step run's round this task belongs to (see StepRun.round).
    round = models.PositiveSmallIntegerField(default=1)
    # Why the person got the document again, shown next to the task (re-approval).
    reapproval_reason = models.CharField(max_length=300, blank=True)
    due_date = models.DateField(null=True, blank=True)
    postponed_until = models.DateField(null=True, blank=True)
    line_numbers = models.JSONField(default=list, blank=True)
    rule = models.CharField(max_length=30, blank=True, help_text="Why this person")
    source = models.CharField(max_length=300, blank=True)
    blocked_reason = models.TextField(blank=True)
    closed_reason = models.CharField(max_length=300, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            # A person's open tasks in My tasks' default order (due date, id): the
            # first page stops after its rows instead of sorting all of them (500
            # open tasks at 1 M documents: 5.1 -> 0.8 ms). Its (assignee, status)
            # prefix serves every other read by assignee.
            models.Index(
                F("assignee"),
                F("status"),
                task_due_sort_key(),
                F("id"),
                name="task_assignee_due",
            ),
            models.Index(fields=["status", "due_date"], name="task_status_due"),
        ]
        constraints = [
            # Two activations racing cannot give one person the same task twice.
            models.UniqueConstraint(
                fields=["step_run", "assignee", "kind"],
                condition=Q(status__in=["planned", "active", "in_review", "blocked"]),
                name="task_one_open_per_step_person_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="task_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=TaskOrigin.values), name="task_origin_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=TaskKind.values), name="task_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.status}) for {self.assignee_id}"

    @property
    def is_open(self) -> bool:
        return self.status in TASK_OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Active and past due; derived from the row, never stored."""
        return (
            self.status == TaskStatus.ACTIVE
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class Decision(ImmutableRecord):
    """Who decided a task, for whom and how. The OneToOne is INV-3 in the database.

    Automatic and direct administrator decisions have no task; `decided_by` is then
    empty for automatic approval (the workflow acts on behalf of `on_behalf_of`).
    """

    Action = DecisionAction

    task = models.OneToOneField(
        Task,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision",
    )
    step_run = models.ForeignKey(
        StepRun, on_delete=models.PROTECT, related_name="decisions"
    )
    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="decisions"
    )
    action = models.CharField(max_length=15, choices=Action.choices)
    decided_by = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=DecisionAction.values),
                name="decision_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} on step {self.step_run_id}"

    @property
    def approver_id(self) -> int | None:
        """The person whose approval this is: the actor, else the one acted for."""
        return self.decided_by_id or self.on_behalf_of_id


class LineDecision(ImmutableRecord):
    """A decision on one line of a line-approval step, by one task's approver.

    Lines are approved one by one; the task's `Decision` is written only once all its
    lines are approved (or one is rejected), so `decision` is empty on the rows decided
    before that. `task` ties every row to the person's task.
    """

    Action = LineDecisionAction

    decision = models.ForeignKey(
        Decision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="line_decisions",
    )
    # Null only for decisions without a task (none write line decisions today).
    task = models.ForeignKey(
        Task,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="line_decisions",
    )
    decided_by = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    # SET_NULL + the number copied: a resubmission may drop the line, the record stays.
    line = models.ForeignKey(
        Line, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    line_number = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)

    class Meta:
        ordering = ["decision", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "line_number"], name="line_decision_unique"
            ),
            # A line is decided once per task: no approving a line twice.
            models.UniqueConstraint(
                fields=["task", "line_number"], name="line_decision_one_per_task"
            ),
            models.CheckConstraint(
                condition=Q(action__in=LineDecisionAction.values),
                name="line_decision_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.action}"

    @property
    def approver_id(self) -> int | None:
        """The person whose decision this is: the actor, else the one acted for."""
        return self.decided_by_id or self.on_behalf_of_id
