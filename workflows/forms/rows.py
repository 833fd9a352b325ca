"""The rows of the definition editor: workflow options, steps and rules.

Every row may be blank: a step without a name and rules, or a rule without a kind, is
left out, which is how rows are added without JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from orgunits.models import ApproverRole, Company, Employee
from orgunits.selectors import approver_list, approver_role_list, employee_list
from workflows.definition import DAY_CONDITIONS, ROLE_RULE_KINDS
from workflows.forms.common import MAX_RULES, MAX_STEPS
from workflows.models import CompletionPolicy, Limit, StepCondition, StepRuleKind


class EditorChoices:
    """The options the editor's fields offer, for one company and document type.

    Each list is read once and shared by every row: a page with ten steps and thirty
    rules renders with the same handful of queries as one with a single step. The
    querysets stay on the fields for validating posted values.
    """

    EMPTY = ("", "---------")

    def __init__(
        self, company: Company, document_type: str, named_ids: Sequence[int] = ()
    ) -> None:
        # Named approvers need the approver right for the type (VISMA_RULES §1.3); the
        # people a definition already names stay selectable so a load → save round
        # trip never drops them silently.
        rights = approver_list(company=company, document_type=document_type)
        self.people: QuerySet[Employee] = (
            employee_list(company=company)
            .filter(Q(pk__in=rights.values("pk")) | Q(pk__in=list(named_ids)))
            .order_by("name", "number")
        )
        self.roles: QuerySet[ApproverRole] = approver_role_list(company=company)
        self.limits: QuerySet[Limit] = (
            Limit.objects.filter(company=company)
            .prefetch_related("amounts")
            .order_by("name")
        )
        self.people_choices = [(e.pk, f"{e.name} ({e.number})") for e in self.people]
        self.role_choices = [(r.pk, r.name) for r in self.roles]
        self.limit_rows = list(self.limits)
        self.limit_choices = [
            (limit.pk, _limit_label(limit)) for limit in self.limit_rows
        ]

    def bind(
        self,
        field: forms.Field,
        queryset: QuerySet[Any],
        options: list[tuple[Any, str]],
    ) -> None:
        """Give a model choice field its queryset and the shared, already read options."""
        field.queryset = queryset  # type: ignore[attr-defined]  # a model choice field
        multiple = isinstance(field, forms.ModelMultipleChoiceField)
        field.choices = options if multiple else [self.EMPTY, *options]  # type: ignore[attr-defined]  # a choice field


def _limit_label(limit: Limit) -> str:
    amounts = ", ".join(f"{a.currency} {a.amount}" for a in limit.amounts.all())
    return f"{limit.name} ({amounts or _('no amounts')})"


class WorkflowOptionsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    four_eyes_enabled = forms.BooleanField(
        label=_("4-eyes approval"),
        required=False,
        help_text=_(
            "Adds a fallback step at the end. It is used only when one single person "
            "approved everything; that person is left out and one of the people below "
            "completes it."
        ),
    )
    four_eyes_people = forms.ModelMultipleChoiceField(
        label=_("4-eyes fallback people"),
        queryset=Employee.objects.none(),
        required=False,
        help_text=_("At least two people. Hold Ctrl (⌘ on a Mac) to pick several."),
    )
    skip_when_already_approved = forms.BooleanField(
        label=_("Skip steps already approved"),
        required=False,
        help_text=_(
            "Complete a step automatically when all its approvers already approved an "
            "earlier step of the same document."
        ),
    )

    def __init__(self, *args: Any, choices: EditorChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices.bind(
            self.fields["four_eyes_people"], choices.people, choices.people_choices
        )


class StepForm(forms.Form):
    position = forms.IntegerField(
        label=_("Order"),
        min_value=1,
        required=False,
        help_text=_("Steps run in this order; change the numbers to move a step."),
        widget=forms.NumberInput(attrs={"class": "narrow-number"}),
    )
    name = forms.CharField(label=_("Step name"), max_length=100)
    condition_kind = forms.ChoiceField(
        label=_("When does the step apply?"),
        choices=StepCondition.choices,
        initial=StepCondition.ALWAYS,
        help_text=_(
            "Amounts compare the gross amount with a limit in the document's currency; "
            "a limit without that currency blocks the document. Days count calendar "
            "days."
        ),
    )
    low_limit = forms.ModelChoiceField(
        label=_("Amount at or above limit"),
        queryset=Limit.objects.none(),
        required=False,
        help_text=_("For “above” and “between”."),
    )
    high_limit = forms.ModelChoiceField(
        label=_("Amount below limit"),
        queryset=Limit.objects.none(),
        required=False,
        help_text=_("For “below” and “between”."),
    )
    days = forms.IntegerField(
        label=_("Number of days"),
        min_value=0,
        required=False,
        help_text=_("For the days conditions, e.g. 3 for “due in fewer than 3 days”."),
    )
    mandatory = forms.BooleanField(
        label=_("Mandatory"),
        required=False,
        initial=True,
        help_text=_(
            "Ticked: no approver found blocks the document. Unticked: the step is "
            "skipped instead."
        ),
    )
    completion_policy = forms.ChoiceField(
        label=_("Who must approve"),
        choices=CompletionPolicy.choices,
        initial=CompletionPolicy.ANY,
    )
    required_count = forms.IntegerField(
        label=_("N (for “at least N”)"), min_value=1, initial=1, required=False
    )
    line_approval = forms.BooleanField(
        label=_("Line approval"),
        required=False,
        help_text=_(
            "Each approver approves the lines routed to them; the step completes when "
            "every line is approved."
        ),
    )
    editing_allowed = forms.BooleanField(label=_("Editing allowed"), required=False)
    reapprove_changes = forms.BooleanField(
        label=_("Re-approve changes"),
        required=False,
        help_text=_(
            "When a later step edits routing data, the document comes back to this step."
        ),
    )
    auto_approve_as = forms.ModelChoiceField(
        label=_("Approve automatically on behalf of"),
        queryset=Employee.objects.none(),
        required=False,
        help_text=_(
            "No task and no e-mail; recorded in the history. Leave empty for a "
            "normal step."
        ),
    )
    days_to_complete = forms.IntegerField(
        label=_("Days to complete"),
        min_value=1,
        initial=5,
        help_text=_("Working days per approver."),
    )

    rules: RuleFormSet

    def __init__(self, *args: Any, choices: EditorChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices.bind(self.fields["low_limit"], choices.limits, choices.limit_choices)
        choices.bind(self.fields["high_limit"], choices.limits, choices.limit_choices)
        choices.bind(
            self.fields["auto_approve_as"], choices.people, choices.people_choices
        )

    def has_changed(self) -> bool:
        """A step row counts when it has a name or a rule; a blank row is left out."""
        if not self.is_bound:
            return super().has_changed()
        named = bool(str(self["name"].data or "").strip())
        return named or any(rule.has_changed() for rule in self.rules.forms)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("condition_kind")
        low, high = cleaned.get("low_limit"), cleaned.get("high_limit")
        # Operands of another condition kind are dropped rather than refused: they are
        # what is left on the page after switching the condition.
        if kind not in (StepCondition.AMOUNT_ABOVE, StepCondition.AMOUNT_BETWEEN):
            cleaned["low_limit"] = low = None
        elif low is None:
            self.add_error("low_limit", _("Choose the limit the amount must reach."))
        if kind not in (StepCondition.AMOUNT_BELOW, StepCondition.AMOUNT_BETWEEN):
            cleaned["high_limit"] = high = None
        elif high is None:
            self.add_error(
                "high_limit", _("Choose the limit the amount must stay below.")
            )
        if low is not None and high is not None and low.pk == high.pk:
            self.add_error("high_limit", _("“Between” needs two different limits."))
        if kind in DAY_CONDITIONS:
            if cleaned.get("days") is None:
                self.add_error("days", _("Give the number of days."))
        else:
            cleaned["days"] = None
        if cleaned.get("completion_policy") == CompletionPolicy.AT_LEAST:
            if not cleaned.get("required_count"):
                self.add_error("required_count", _("Give N, 1 or more."))
        else:
            cleaned["required_count"] = 1
        return cleaned


class RuleForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Find approvers by"),
        choices=[("", _("— choose —")), *StepRuleKind.choices],
        required=False,
    )
    role = forms.ModelChoiceField(
        label=_("Approver role"),
        queryset=ApproverRole.objects.none(),
        required=False,
        help_text=_("For cost-unit, department, project, branch and exception rules."),
    )
    approvers = forms.ModelMultipleChoiceField(
        label=_("Named approvers"),
        queryset=Employee.objects.none(),
        required=False,
        help_text=_("For “Named approvers”: everyone listed gets the task."),
    )

    def __init__(self, *args: Any, choices: EditorChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices.bind(self.fields["role"], choices.roles, choices.role_choices)
        choices.bind(self.fields["approvers"], choices.people, choices.people_choices)

    def has_changed(self) -> bool:
        """A rule row counts once a kind is chosen."""
        if not self.is_bound:
            return super().has_changed()
        return bool(self["kind"].data)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind in ROLE_RULE_KINDS:
            if cleaned.get("role") is None:
                self.add_error(
                    "role", _("Choose the approver role this rule looks up.")
                )
            cleaned["approvers"] = []
        elif kind == StepRuleKind.NAMED:
            if not cleaned.get("approvers"):
                self.add_error("approvers", _("Choose at least one approver."))
            cleaned["role"] = None
        else:
            cleaned["role"] = None
            cleaned["approvers"] = []
        return cleaned


class RowsFormSet(forms.BaseFormSet):
    """Passes the shared choices to every row and lets every row be blank."""

    def __init__(self, *args: Any, choices: EditorChoices, **kwargs: Any) -> None:
        self.choices = choices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"choices": self.choices, "empty_permitted": True}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")

    @property
    def empty_form(self) -> forms.Form:  # pragma: no cover - not rendered (no JS rows)
        return self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            use_required_attribute=False,
            **self.get_form_kwargs(None),
        )


RuleFormSet = formset_factory(
    RuleForm,
    formset=RowsFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_RULES,
    validate_max=True,
)
StepFormSet = formset_factory(
    StepForm,
    formset=RowsFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_STEPS,
    validate_max=True,
)
