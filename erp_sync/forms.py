"""Forms of the administrators' ERP pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from documents.choices import OutboxStatus
from erp_sync.models import validate_callback_url


class ErpClientCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Which ERP or integration this is, e.g. “Visma.net production”."),
    )
    callback_url = forms.URLField(
        label=_("Callback URL"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_callback_url],
        help_text=_(
            "Where Signoff sends the outcome of each document (https; http only for "
            "localhost)."
        ),
    )


class DeliveryFilterForm(forms.Form):
    """The deliveries list's query: status tab and keyset cursor; bad values ignored."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *OutboxStatus.choices],
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def query(self) -> dict[str, Any]:
        """The validated query; a field that failed validation keeps its default."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        status = None if "status" in self.errors else data.get("status") or None
        before = None if "before" in self.errors else data.get("before")
        return {"status": status, "before": before}


#: More ids than one page shows is not a click on this page.
MAX_REDELIVER = 200


class IdListField(forms.Field):
    """Many integer ids from repeated form fields (checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(
                _("Choose deliveries from the list."), code="invalid"
            ) from error
        if len(ids) > MAX_REDELIVER:
            raise forms.ValidationError(
                _("Choose at most %(max)d deliveries at once."),
                code="too_many",
                params={"max": MAX_REDELIVER},
            )
        return ids


class RedeliverForm(forms.Form):
    """One or many events to send again; the view keeps only the company's dead ones."""

    event_ids = IdListField(
        label=_("Deliveries"),
        error_messages={"required": _("Choose at least one delivery to send again.")},
    )
