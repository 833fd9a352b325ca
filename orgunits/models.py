"""Companies, people, org units synced from the ERP, and who approves for them.

Every row of business data carries its company (DOMAIN §1). Rows synced from the ERP carry
`erp_synced=True` and are never edited by hand, except their approver assignments (§2).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from orgunits.querysets import SubstitutionQuerySet


class DocumentType(models.TextChoices):
    PURCHASE_INVOICE = "purchase_invoice", _("Purchase invoice")
    TIME_SHEET = "time_sheet", _("Time sheet")
    EXPENSE_CLAIM = "expense_claim", _("Expense claim")


class Company(TimeStampedModel):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, help_text=_("ISO 4217 base currency"))
    is_active = models.BooleanField(default=True)
    # The document due date when the ERP sends none (DOMAIN §6, VISMA_RULES §2 r15):
    # a monthly deadline day or a number of days after receipt, at most one of them.
    document_due_day_of_month = models.PositiveSmallIntegerField(
        _("monthly deadline day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_(
            "Documents without a due date are due on this day of the month (the next "
            "one on or after receipt); 31 means the last day in shorter months."
        ),
    )
    document_due_after_days = models.PositiveSmallIntegerField(
        _("days after receipt"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(366)],
        help_text=_(
            "Documents without a due date are due this many calendar days after "
            "they are received."
        ),
    )

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="company_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(document_due_day_of_month__isnull=True)
                | Q(
                    document_due_day_of_month__gte=1,
                    document_due_day_of_month__lte=31,
                ),
                name="company_due_day_of_month_range",
            ),
            models.CheckConstraint(
                condition=Q(document_due_after_days__isnull=True)
                | Q(document_due_after_days__lte=366),
                name="company_due_after_days_range",
            ),
            # Two defaults would contradict each other: the company picks one.
            models.CheckConstraint(
                condition=Q(document_due_day_of_month__isnull=True)
                | Q(document_due_after_days__isnull=True),
                name="company_one_document_due_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CompanyScopedModel(TimeStampedModel):
    """Business data: belongs to exactly one company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class CompanyHoliday(CompanyScopedModel):
    """A day the company does not work: task due dates skip it (DOMAIN §6).

    Weekends are never working days; these are the public holidays and closures on
    top of them, per company because companies sit in different countries.
    """

    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "date"], name="company_holiday_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class ErpSyncedModel(CompanyScopedModel):
    """A row owned by the ERP: upserted by sync, read-only in Signoff's UI."""

    erp_synced = models.BooleanField(default=False, editable=False)
    erp_internal_id = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True


class Membership(CompanyScopedModel):
    """A login's roles in one company (DOMAIN §1). A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_system_admin = models.BooleanField(_("system administrator"), default=False)
    is_system_viewer = models.BooleanField(_("system viewer"), default=False)
    approves_purchase_invoices = models.BooleanField(
        _("invoice approver"), default=False
    )
    approves_time_sheets = models.BooleanField(_("time-sheet approver"), default=False)
    approves_expense_claims = models.BooleanField(_("expense approver"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "user"], name="membership_one_per_company_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company_id}"

    APPROVER_FIELD_BY_TYPE = {
        DocumentType.PURCHASE_INVOICE: "approves_purchase_invoices",
        DocumentType.TIME_SHEET: "approves_time_sheets",
        DocumentType.EXPENSE_CLAIM: "approves_expense_claims",
    }

    def may_approve(self, document_type: str) -> bool:
        return bool(
            getattr(self, self.APPROVER_FIELD_BY_TYPE[DocumentType(document_type)])
        )

    @property
    def approvable_types(self) -> list[str]:
        return [
            t
            for t, field in self.APPROVER_FIELD_BY_TYPE.items()
            if getattr(self, field)
        ]

    @property
    def approvable_type_labels(self) -> list[str]:
        return [str(DocumentType(t).label) for t in self.approvable_types]


class Branch(ErpSyncedModel):
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name_plural = "branches"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="branch_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Department(ErpSyncedModel):
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="department_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Employee(ErpSyncedModel):
    """A person in a company: synced from the ERP or created locally.

    Approvers are employees; the linked login is how they sign in. An employee without a
    login can be named as an approver, but their tasks are blocked (DOMAIN §4).
    """

    class ManagerSource(models.TextChoices):
        ERP = "erp", _("ERP")
        LOCAL = "local", _("Set in Signoff")

    number = models.CharField(_("employee number"), max_length=30)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("nearest manager"),
    )
    manager_source = models.CharField(
        max_length=5, choices=ManagerSource.choices, default=ManagerSource.LOCAL
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
        verbose_name=_("linked login"),
    )
    erp_login = models.CharField(max_length=150, blank=True)
    erp_user_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], name="employee_number_unique"
            ),
            models.UniqueConstraint(
                fields=["company", "user"],
                condition=Q(user__isnull=False),
                name="employee_one_per_company_user",
            ),
            models.CheckConstraint(
                condition=~Q(manager=models.F("pk")), name="employee_not_own_manager"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class CostUnitType(ErpSyncedModel):
    """A subaccount segment. `routing_position` (1 = top) selects it for approver routing."""

    segment_id = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    routing_position = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Position in the cost-unit hierarchy (1 = highest); empty = not used for "
            "approver routing."
        ),
    )

    class Meta:
        ordering = ["segment_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "segment_id"], name="cost_unit_type_segment_unique"
            ),
            models.UniqueConstraint(
                fields=["company", "routing_position"],
                condition=Q(routing_position__isnull=False),
                name="cost_unit_type_position_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.name}"


class CostUnit(ErpSyncedModel):
    """A value of one segment, e.g. segment Department, value `20` "R&D"."""

    type = models.ForeignKey(
        CostUnitType, on_delete=models.CASCADE, related_name="units"
    )
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["type__segment_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "code"], name="cost_unit_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Subaccount(ErpSyncedModel):
    """A whole subaccount (a combination of segment values) as the ERP numbers it."""

    number = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    segment_values = models.JSONField(
        default=dict, help_text=_('Segment id → value code, e.g. {"1": "20", "2": "B"}')
    )

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], name="subaccount_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Project(ErpSyncedModel):
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200)
    manager = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_projects",
        verbose_name=_("project manager"),
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="project_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectTask(ErpSyncedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["project__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "code"], name="project_task_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code}/{self.code}"


class ApproverRole(CompanyScopedModel):
    """A workflow role ("Approver (default)", "Department manager"...), data per company."""

    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="approver_role_unique"
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(is_default=True),
                name="approver_role_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentModel(CompanyScopedModel):
    """An approver with a role, responsible for something."""

    role = models.ForeignKey(ApproverRole, on_delete=models.CASCADE, related_name="+")
    approver = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class CostUnitCombination(AssignmentModel):
    """One row of the cost-unit approver table: a combination of segment values → approver.

    The values live in `CostUnitCombinationValue`, one per selected cost unit type; a type
    without a value row matches like "Any".
    """

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"combination #{self.pk} → {self.approver_id} as {self.role_id}"


class CostUnitCombinationValue(CompanyScopedModel):
    class Match(models.TextChoices):
        VALUE = "value", _("Value")
        ANY = "any", _("Any")
        UNSPECIFIED = "unspecified", _("(unspecified)")

    combination = models.ForeignKey(
        CostUnitCombination, on_delete=models.CASCADE, related_name="values"
    )
    type = models.ForeignKey(CostUnitType, on_delete=models.CASCADE, related_name="+")
    match = models.CharField(max_length=11, choices=Match.choices, default=Match.VALUE)
    cost_unit = models.ForeignKey(
        CostUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["combination", "type"], name="combination_value_one_per_type"
            ),
            models.CheckConstraint(
                condition=Q(match__in=["value", "any", "unspecified"]),
                name="combination_value_match_valid",
            ),
            models.CheckConstraint(
                condition=(Q(match="value") & Q(cost_unit__isnull=False))
                | (~Q(match="value") & Q(cost_unit__isnull=True)),
                name="combination_value_unit_iff_value",
            ),
        ]

    def __str__(self) -> str:
        if self.match == self.Match.VALUE:
            return str(self.cost_unit.code if self.cost_unit else "?")
        return str(self.Match(self.match).label)


class DepartmentApprover(AssignmentModel):
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="approvers"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["department", "role", "approver"],
                name="department_approver_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department_id}: {self.approver_id} as {self.role_id}"


class ProjectApprover(AssignmentModel):
    """Approver for a project, or only for one of its tasks when `task` is set."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="approvers"
    )
    task = models.ForeignKey(
        ProjectTask,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="approvers",
    )

    class Meta:
        constraints = [
            # Two partial constraints instead of nulls_distinct=False, which SQLite lacks.
            models.UniqueConstraint(
                fields=["project", "task", "role", "approver"],
                condition=Q(task__isnull=False),
                name="project_task_approver_unique",
            ),
            models.UniqueConstraint(
                fields=["project", "role", "approver"],
                condition=Q(task__isnull=True),
                name="project_approver_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.task_id or '*'}: {self.approver_id}"


class BranchApprover(AssignmentModel):
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="approvers"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "role", "approver"], name="branch_approver_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}: {self.approver_id} as {self.role_id}"


class RequesterException(AssignmentModel):
    """For one requester, other approvers than the general rule (overrides it, DOMAIN §2)."""

    requester = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "role", "approver"],
                name="requester_exception_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"exception for {self.requester_id}: {self.approver_id}"


class Substitution(CompanyScopedModel):
    """`substitute` stands in for `principal` from `starts_at` until `ends_at` (open = None).

    "Inactive" is the absence of a current row; "active now" is a row starting now with no
    end, ended by switching it off; "active in a period" has its own dates (DOMAIN §5).
    """

    principal = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="substitutions"
    )
    substitute = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="substituting_for"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = SubstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(principal=models.F("substitute")),
                name="substitution_not_self",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="substitution_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.substitute_id} for {self.principal_id}"


class UserPreference(TimeStampedModel):
    """One login's personal settings, the same in every company it works in.

    Not company-scoped on purpose: a person sees one task list across their companies
    (DOMAIN §1), so "soon overdue" and the e-mail choices are theirs, not a tenant's.
    A login without a row uses the field defaults.
    """

    class AfterAction(models.TextChoices):
        NEXT = "next", _("Open the next task")
        LIST = "list", _("Return to my tasks")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    soon_overdue_days = models.PositiveSmallIntegerField(
        _("days before due that count as soon overdue"),
        default=3,
        validators=[MaxValueValidator(30)],
    )
    after_action = models.CharField(
        _("after handling a task"),
        max_length=4,
        choices=AfterAction.choices,
        default=AfterAction.NEXT,
    )
    email_new_task = models.BooleanField(
        _("e-mail me about each new task"), default=True
    )
    email_daily_reminder = models.BooleanField(
        _("daily reminder of soon overdue and overdue tasks"), default=True
    )
    email_overview = models.BooleanField(_("periodic overview e-mail"), default=False)
    # The language of the person's e-mails (sent from workers, outside any request);
    # empty = the site default (LANGUAGE_CODE).
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        default="",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(after_action__in=["next", "list"]),
                name="user_preference_after_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(soon_overdue_days__lte=30),
                name="user_preference_soon_overdue_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
