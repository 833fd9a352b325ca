"""Forms of the substitutes and due-date pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orgunits.forms.assignments import (
    CompanyForm,
    EmployeeChoiceField,
    employee_choices,
)
from orgunits.models import Company

_DATETIME = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)

# Which field of the substitute form a refusal of `substitution_set` is about.
SUBSTITUTION_ERROR_FIELD = {
    "substitution_self": "substitute",
    "substitution_other_company": "substitute",
    "substitution_substitute_inactive": "substitute",
    "substitution_mutual": "substitute",
    "substitution_substitute_has_substitute": "substitute",
    "substitution_end_not_after_start": "ends_at",
    "substitution_ends_in_past": "ends_at",
    "substitution_principal_has_substitute": "principal",
}


class SubstitutionSetForm(CompanyForm):
    starts_at = forms.DateTimeField(
        label=_("From"),
        required=False,
        widget=_DATETIME,
        help_text=_("Empty: from now."),
    )
    ends_at = forms.DateTimeField(
        label=_("To"),
        required=False,
        widget=_DATETIME,
        help_text=_("Empty: until switched off."),
    )
    replace_current = forms.BooleanField(
        label=_("Replace the current substitute"),
        required=False,
        help_text=_(
            "If the person already has a substitute in this period, end or remove "
            "that substitution instead of refusing."
        ),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["principal"] = EmployeeChoiceField(
            label=_("Person"),
            queryset=employee_choices(company),
            help_text=_("Whose tasks the substitute may act on."),
        )
        self.fields["substitute"] = EmployeeChoiceField(
            label=_("Substitute"),
            queryset=employee_choices(company).filter(active=True),
        )
        self.order_fields(
            ["principal", "substitute", "starts_at", "ends_at", "replace_current"]
        )


class SubstitutionFilterForm(forms.Form):
    WHEN = (
        ("current", _("Current")),
        ("upcoming", _("Upcoming")),
        ("past", _("Past")),
        ("all", _("All")),
    )
    when = forms.ChoiceField(label=_("Show"), choices=WHEN, required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Name or number of the person or the substitute."),
    )


class DueDefaultsForm(forms.Form):
    MODES = (
        ("none", _("No default: documents without a due date have none")),
        ("day", _("A monthly deadline day")),
        ("after", _("A number of days after receipt")),
    )
    mode = forms.ChoiceField(
        label=_("Document due date when the ERP sends none"),
        choices=MODES,
        widget=forms.RadioSelect,
    )
    day_of_month = forms.IntegerField(
        label=_("Monthly deadline day"),
        required=False,
        min_value=1,
        max_value=31,
        help_text=_("31 means the last day in shorter months."),
    )
    after_days = forms.IntegerField(
        label=_("Days after receipt"),
        required=False,
        min_value=0,
        max_value=366,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        mode = cleaned.get("mode")
        if mode == "day" and cleaned.get("day_of_month") is None:
            self.add_error("day_of_month", _("Enter the day of the month."))
        if mode == "after" and cleaned.get("after_days") is None:
            self.add_error("after_days", _("Enter the number of days."))
        return cleaned

    def values(self) -> tuple[int | None, int | None]:
        """(day of month, days after receipt) for the service: only the chosen one."""
        mode = self.cleaned_data["mode"]
        return (
            self.cleaned_data["day_of_month"] if mode == "day" else None,
            self.cleaned_data["after_days"] if mode == "after" else None,
        )

    @staticmethod
    def initial_for(company: Company) -> dict[str, Any]:
        mode = "none"
        if company.document_due_day_of_month is not None:
            mode = "day"
        elif company.document_due_after_days is not None:
            mode = "after"
        return {
            "mode": mode,
            "day_of_month": company.document_due_day_of_month,
            "after_days": company.document_due_after_days,
        }


class HolidayForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    name = forms.CharField(label=_("Name"), max_length=100)
