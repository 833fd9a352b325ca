"""Small forms of the workflow pages: comments, create, duplicate, limits."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from orgunits.models import DocumentType

MAX_STEPS = 30
MAX_RULES = 20
MAX_SIMULATED_LINES = 100

COMMENT_HELP = _(
    "Required. Say what you changed and why; it is kept in the change log with your "
    "name and the time."
)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the change log"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=COMMENT_HELP,
        max_length=2000,
    )

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError(_("Describe the change in a comment."))
        return str(comment)


class WorkflowCreateForm(CommentForm):
    field_order = ["document_type", "name", "description", "comment"]

    document_type = forms.ChoiceField(
        label=_("Document type"),
        choices=DocumentType.choices,
        help_text=_("The workflow routes documents of this type only."),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("Unique per document type, e.g. “Invoices 2026”."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WorkflowDuplicateForm(CommentForm):
    field_order = ["name", "comment"]

    name = forms.CharField(
        label=_("Name of the copy"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for “<name> (copy)”."),
    )


class LimitForm(CommentForm):
    field_order = ["name", "description", "comment"]

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Steps refer to the limit by this name, e.g. “Small”."),
    )
    description = forms.CharField(
        label=_("Description"), max_length=300, required=False
    )


class LimitAmountForm(forms.Form):
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        help_text=_("ISO code, e.g. NOK"),
        widget=forms.TextInput(attrs={"size": 4, "autocapitalize": "characters"}),
    )
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=18, decimal_places=2
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        currency = (cleaned.get("currency") or "").strip().upper()
        amount = cleaned.get("amount")
        if currency and amount is None:
            self.add_error("amount", _("Give the amount in %(c)s.") % {"c": currency})
        if amount is not None and not currency:
            self.add_error("currency", _("Give the currency of this amount."))
        if currency and (len(currency) != 3 or not currency.isalpha()):
            self.add_error("currency", _("Use a three-letter code such as NOK or EUR."))
        cleaned["currency"] = currency
        return cleaned


class BaseLimitAmountFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            currency = form.cleaned_data.get("currency")
            if not currency:
                continue
            if currency in seen:
                raise forms.ValidationError(
                    _("%(c)s is given twice; a limit has one amount per currency.")
                    % {"c": currency}
                )
            seen.add(currency)
        if not seen:
            raise forms.ValidationError(
                _("Give the limit an amount in at least one currency.")
            )

    def amounts(self) -> dict[str, Decimal]:
        return {
            form.cleaned_data["currency"]: form.cleaned_data["amount"]
            for form in self.forms
            if form.cleaned_data.get("currency") and not self._should_delete_form(form)
        }


LimitAmountFormSet = formset_factory(
    LimitAmountForm,
    formset=BaseLimitAmountFormSet,
    extra=2,
    can_delete=True,
    max_num=50,
    validate_max=True,
)


def posted_count(data: Mapping[str, Any], key: str) -> int:
    """A formset count from posted data (0 when missing or not a number)."""
    value = str(data.get(key) or "0")
    return int(value) if value.isdigit() else 0
