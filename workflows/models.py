"""Workflows: who approves a document, step by step (DOMAIN §3).

The editable rows (Workflow, Step, StepRule, Limit) are what an administrator changes.
Activating a workflow freezes them into a `WorkflowVersion`: a JSON snapshot that a
process pins, so later edits never disturb documents in flight. Every saved change leaves
a `WorkflowChange` with who, when, a readable diff and a comment.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    CompanyScopedModel,
    DocumentType,
    Employee,
)


class Limit(CompanyScopedModel):
    """A named amount threshold with one amount per currency ("Small", "Big"...)."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="limit_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LimitAmount(CompanyScopedModel):
    limit = models.ForeignKey(Limit, on_delete=models.CASCADE, related_name="amounts")
    currency = models.CharField(max_length=3, help_text=_("ISO 4217 code"))
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["limit", "currency"], name="limit_amount_one_per_currency"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="limit_amount_currency_iso",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="limit_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.limit_id}: {self.amount} {self.currency}"


class Workflow(CompanyScopedModel):
    """The steps for one document type; many may exist, exactly one is active per type."""

    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False, editable=False)
    four_eyes_enabled = models.BooleanField(
        _("4-eyes approval"),
        default=False,
        help_text=_(
            "Adds a fallback step at the end, used only when one single person approved "
            "everything."
        ),
    )
    four_eyes_people = models.ManyToManyField(
        Employee, blank=True, related_name="+", verbose_name=_("4-eyes fallback people")
    )
    skip_when_already_approved = models.BooleanField(
        default=False,
        help_text=_(
            "Complete a step automatically when all its approvers already approved an "
            "earlier step of the same process."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["document_type", "name"]
        constraints = [
            # The database, not the service, is what finally guarantees "exactly one
            # active": it still holds when two activations race.
            models.UniqueConstraint(
                fields=["company", "document_type"],
                condition=Q(is_active=True),
                name="workflow_one_active_per_type",
            ),
            models.UniqueConstraint(
                fields=["company", "document_type", "name"],
                name="workflow_name_unique_per_type",
            ),
            models.CheckConstraint(
                condition=Q(document_type__in=DocumentType.values),
                name="workflow_document_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StepCondition(models.TextChoices):
    """When a step applies; a step whose condition is false is skipped.

    Amounts: the half-open interval ``low <= |gross| < high`` (see `Step`). Days, with
    ``N = Step.days``: *due in* counts ``due_date - today`` (negative once overdue),
    *received ago* counts ``today - received_on``; "below" means ``< N`` and "at least"
    ``>= N``, so each pair partitions every document. A document without a due date is
    treated as not due soon: "due in at least N" holds and "due in below N" does not.
    """

    ALWAYS = "always", _("Always")
    AMOUNT_BELOW = "amount_below", _("Amount below a limit")
    AMOUNT_ABOVE = "amount_above", _("Amount at or above a limit")
    AMOUNT_BETWEEN = "amount_between", _("Amount between two limits")
    DUE_IN_DAYS_BELOW = "due_in_days_below", _("Due in fewer than N days")
    DUE_IN_DAYS_AT_LEAST = "due_in_days_at_least", _("Due in N days or more")
    RECEIVED_DAYS_AGO_BELOW = (
        "received_days_ago_below",
        _("Received fewer than N days ago"),
    )
    RECEIVED_DAYS_AGO_AT_LEAST = (
        "received_days_ago_at_least",
        _("Received N or more days ago"),
    )


class CompletionPolicy(models.TextChoices):
    ANY = "any", _("Any one approver")
    ALL = "all", _("All approvers")
    AT_LEAST = "at_least", _("At least N approvers")


class Step(CompanyScopedModel):
    """One sequential stage of a workflow.

    The amount condition is one half-open interval ``low <= amount < high`` where either
    bound may be absent: *below* sets only `high_limit`, *above* only `low_limit`,
    *between* both. So "below X" and "above X" partition every amount, and a document
    exactly at a limit belongs to the step above it. The engine compares the absolute
    gross amount, so a credit note routes like an invoice of the same size.
    """

    Condition = StepCondition
    CompletionPolicy = CompletionPolicy

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(help_text=_("1 = first step"))
    name = models.CharField(max_length=100)
    condition_kind = models.CharField(
        max_length=30, choices=Condition.choices, default=Condition.ALWAYS
    )
    low_limit = models.ForeignKey(
        Limit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Amount at or above this limit (above, between)"),
    )
    high_limit = models.ForeignKey(
        Limit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Amount below this limit (below, between)"),
    )
    days = models.PositiveIntegerField(null=True, blank=True)
    mandatory = models.BooleanField(
        default=True, help_text=_("No approver found → the document is blocked")
    )
    completion_policy = models.CharField(
        max_length=10, choices=CompletionPolicy.choices, default=CompletionPolicy.ANY
    )
    required_count = models.PositiveSmallIntegerField(
        default=1, help_text=_("N for the policy “at least N”")
    )
    line_approval = models.BooleanField(default=False)
    editing_allowed = models.BooleanField(default=False)
    reapprove_changes = models.BooleanField(
        default=False,
        help_text=_("When a later step edits routing data, come back to this step"),
    )
    # PROTECT: deleting the person would silently turn automatic approval off.
    auto_approve_as = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approve automatically on behalf of"),
    )
    days_to_complete = models.PositiveSmallIntegerField(
        default=5, help_text=_("Working days per approver")
    )

    class Meta:
        ordering = ["workflow", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "position"], name="step_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="step_position_from_one"
            ),
            models.CheckConstraint(
                condition=Q(condition_kind__in=StepCondition.values),
                name="step_condition_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(completion_policy__in=CompletionPolicy.values),
                name="step_completion_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(required_count__gte=1), name="step_required_count_positive"
            ),
            # Each condition kind carries exactly the operands it uses.
            models.CheckConstraint(
                condition=(
                    Q(
                        condition_kind="always",
                        low_limit__isnull=True,
                        high_limit__isnull=True,
                        days__isnull=True,
                    )
                    | Q(
                        condition_kind="amount_below",
                        low_limit__isnull=True,
                        high_limit__isnull=False,
                        days__isnull=True,
                    )
                    | Q(
                        condition_kind="amount_above",
                        low_limit__isnull=False,
                        high_limit__isnull=True,
                        days__isnull=True,
                    )
                    | Q(
                        condition_kind="amount_between",
                        low_limit__isnull=False,
                        high_limit__isnull=False,
                        days__isnull=True,
                    )
                    | Q(
                        condition_kind__in=[
                            "due_in_days_below",
                            "due_in_days_at_least",
                            "received_days_ago_below",
                            "received_days_ago_at_least",
                        ],
                        low_limit__isnull=True,
                        high_limit__isnull=True,
                        days__isnull=False,
                    )
                ),
                name="step_condition_operands",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class StepRuleKind(models.TextChoices):
    NAMED = "named", _("Named approvers")
    COST_UNIT = "cost_unit", _("Cost-unit assignments")
    DEPARTMENT = "department", _("Department assignments")
    PROJECT = "project", _("Project assignments")
    BRANCH = "branch", _("Branch assignments")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    NEAREST_MANAGER = "nearest_manager", _("Nearest manager")
    INITIAL_APPROVER = "initial_approver", _("Initial approver")
    REQUESTER_EXCEPTION = "requester_exception", _("Exceptions per requester")


class StepRule(CompanyScopedModel):
    """One way a step finds approvers; a step's approvers are the union of its rules."""

    Kind = StepRuleKind

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # CASCADE: removing a role removes the rules that select by it (VISMA_RULES §2 r9).
    role = models.ForeignKey(
        ApproverRole, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    approvers = models.ManyToManyField(
        Employee, blank=True, related_name="+", verbose_name=_("named approvers")
    )

    class Meta:
        ordering = ["step", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=StepRuleKind.values), name="step_rule_kind_valid"
            ),
            # Assignment rules select by role; the others must not carry one.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=[
                            "cost_unit",
                            "department",
                            "project",
                            "branch",
                            "requester_exception",
                        ],
                        role__isnull=False,
                    )
                    | (
                        Q(
                            kind__in=[
                                "named",
                                "project_manager",
                                "nearest_manager",
                                "initial_approver",
                            ]
                        )
                        & Q(role__isnull=True)
                    )
                ),
                name="step_rule_role_iff_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step_id}: {self.kind}"


class WorkflowVersion(CompanyScopedModel):
    """An immutable snapshot of a workflow, published on activation; processes pin it.

    Rows are only ever inserted. The documents app points its processes here with
    on_delete=PROTECT, so a version in use cannot disappear with its workflow.
    """

    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    definition = models.JSONField(
        help_text=_("The whole workflow as plain data (WorkflowDefinition.to_dict)")
    )
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField()

    class Meta:
        ordering = ["workflow", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "number"], name="workflow_version_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="workflow_version_number_from_one"
            ),
            models.CheckConstraint(
                condition=Q(document_type__in=DocumentType.values),
                name="workflow_version_document_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Immutability is the whole point of a version: a process that pinned it must
        # route tomorrow exactly as today. Only the first insert is allowed.
        if not self._state.adding:
            raise ApplicationError(
                "A published workflow version cannot be changed; duplicate the "
                "workflow and activate the copy instead."
            )
        super().save(*args, **kwargs)


class WorkflowChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    DUPLICATED = "duplicated", _("Duplicated")
    EDITED = "edited", _("Edited")
    ACTIVATED = "activated", _("Activated")
    PUBLISHED = "published", _("Published again")
    DEACTIVATED = "deactivated", _("Deactivated")
    DELETED = "deleted", _("Deleted")
    LIMIT_SAVED = "limit_saved", _("Limit saved")


class WorkflowChange(CompanyScopedModel):
    """An append-only change-log entry: who changed what, when, with a readable diff."""

    Action = WorkflowChangeAction

    # SET_NULL with the name copied: the log outlives a deleted workflow.
    workflow = models.ForeignKey(
        Workflow,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
    )
    workflow_name = models.CharField(max_length=200, blank=True)
    version = models.ForeignKey(
        WorkflowVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=WorkflowChangeAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField()
    diff = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=WorkflowChangeAction.values),
                name="workflow_change_action_valid",
            ),
            # A comment is required: at least one non-blank character.
            models.CheckConstraint(
                condition=Q(comment__regex=r"\S"),
                name="workflow_change_comment_required",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.workflow_name}: {self.action} at {self.created_at:%Y-%m-%d %H:%M}"
        )

    @property
    def at(self) -> datetime:
        """When the change was saved (the row's creation time)."""
        return self.created_at
