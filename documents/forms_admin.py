"""Forms of the administrator pages: overview filters, document and task actions.

Filters are always bound to the query string and fall back to their defaults when a
value does not validate, so a hand-edited URL shows the unfiltered list, never an
error page. Action forms carry the document version the page showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.widgets import LongSelect
from documents.choices import DocumentStatus, ProcessStatus
from documents.selectors import TaskOverviewFilter
from documents.selectors_admin import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    DocumentQuery,
    ProcessQuery,
    TaskDue,
    TaskQuery,
)
from documents.services.admin_pages import COMMENT_REQUIRED
from documents.services.common import COMMENT_MAX_LENGTH
from documents.transitions import APPROVE_DIRECTLY, CANCEL_DIRECTLY, REJECT_DIRECTLY
from orgunits.models import DocumentType, Employee

#: The most documents or tasks one bulk action takes; the confirmation lists them all.
BULK_MAX_ITEMS = 200
#: Ids and versions beyond this are not ours (the columns are 32- or 64-bit).
MAX_ID = 2**63 - 1

_TYPE_CHOICES = [("", _("All types")), *DocumentType.choices]
_PER_PAGE_CHOICES = [(str(size), str(size)) for size in PAGE_SIZES]

BULK_ACTION_LABELS = {
    APPROVE_DIRECTLY: _("Approve directly"),
    REJECT_DIRECTLY: _("Reject directly"),
    CANCEL_DIRECTLY: _("Cancel directly"),
}


def _per_page() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Rows per page"),
        required=False,
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        choices=_PER_PAGE_CHOICES,
    )


def _comment(*, required: bool, label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class _FilterForm(forms.Form):
    def __init__(self, data: QueryDict, **kwargs: Any) -> None:
        # Bound with the default page size filled in, so the select shows what the
        # list applies when the parameter is missing.
        filled = data.copy()
        if not filled.get("per_page"):
            filled["per_page"] = str(DEFAULT_PAGE_SIZE)
        super().__init__(filled, **kwargs)

    def value(self, name: str, default: Any = "") -> Any:
        """The cleaned value, or `default` when it is missing or did not validate."""
        self.is_valid()  # validates once; later calls reuse the result
        found = self.cleaned_data.get(name)
        return default if found in (None, "") else found


class DocumentOverviewForm(_FilterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *DocumentStatus.choices],
    )
    type = forms.ChoiceField(
        label=_("Document type"), required=False, choices=_TYPE_CHOICES
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    per_page = _per_page()
    after = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def to_query(self) -> DocumentQuery:
        return DocumentQuery(
            status=self.value("status"),
            document_type=self.value("type"),
            search=self.value("q").strip(),
            after=self.value("after", None),
            before=self.value("before", None),
            page_size=self.value("per_page", DEFAULT_PAGE_SIZE),
        )


def _parse_task_key(raw: str) -> tuple[date, int] | None:
    """ "2026-03-11_42" → (date, id); None when it does not parse."""
    day_text, _sep, id_text = raw.partition("_")
    if not id_text.isdigit():
        return None
    try:
        return date.fromisoformat(day_text), int(id_text)
    except ValueError:
        return None


class TaskOverviewForm(_FilterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every waiting task")), *TaskOverviewFilter.choices],
    )
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None
    )
    step = forms.ChoiceField(label=_("Step"), required=False)
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("Any due date")),
            (TaskDue.OVERDUE, _("Overdue")),
            (TaskDue.SOON, _("Soon overdue")),
        ],
    )
    type = forms.ChoiceField(
        label=_("Document type"), required=False, choices=_TYPE_CHOICES
    )
    document = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    per_page = _per_page()
    after = forms.CharField(required=False, max_length=40)
    before = forms.CharField(required=False, max_length=40)

    def __init__(
        self,
        data: QueryDict,
        *,
        assignees: Sequence[Employee],
        step_names: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        # Choices before validation (which is lazy): they are what the filter accepts.
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            *((str(e.pk), e.name) for e in assignees),
        ]
        self.fields["step"].choices = [
            ("", _("Any step")),
            *((name, name) for name in step_names),
        ]

    def to_query(self) -> TaskQuery:
        return TaskQuery(
            status=self.value("status"),
            assignee_id=self.value("assignee", None),
            step_name=self.value("step"),
            due=self.value("due"),
            document_type=self.value("type"),
            document_id=self.value("document", None),
            after=_parse_task_key(self.value("after")),
            before=_parse_task_key(self.value("before")),
            page_size=self.value("per_page", DEFAULT_PAGE_SIZE),
        )


class ProcessOverviewForm(_FilterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *ProcessStatus.choices],
    )
    workflow = forms.TypedChoiceField(
        label=_("Workflow"), required=False, coerce=int, empty_value=None
    )
    type = forms.ChoiceField(
        label=_("Document type"), required=False, choices=_TYPE_CHOICES
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    started_from = forms.DateField(
        label=_("Started from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    started_to = forms.DateField(
        label=_("Started until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    per_page = _per_page()
    after = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def __init__(
        self, data: QueryDict, *, workflows: Sequence[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["workflow"].choices = [
            ("", _("Any workflow")),
            *((str(pk), name) for pk, name in workflows),
        ]

    def to_query(self) -> ProcessQuery:
        return ProcessQuery(
            status=self.value("status"),
            workflow_id=self.value("workflow", None),
            document_type=self.value("type"),
            search=self.value("q").strip(),
            started_from=self.value("started_from", None),
            started_to=self.value("started_to", None),
            after=self.value("after", None),
            before=self.value("before", None),
            page_size=self.value("per_page", DEFAULT_PAGE_SIZE),
        )


# --- actions ----------------------------------------------------------------------------


class DocumentActionForm(forms.Form):
    """One document action; the version the page showed, and the reason if needed."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1
    )
    comment = _comment(required=False, label=_("Comment"))

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if action in COMMENT_REQUIRED:
            field = self.fields["comment"]
            field.required = True
            field.label = _("Reason (required)")
            field.error_messages["required"] = (
                _("A comment is required to approve directly.")
                if action == APPROVE_DIRECTLY
                else _("A comment is required to reject directly.")
            )
        else:
            # Cancel and resend take no comment: the services record who did it.
            del self.fields["comment"]


def _pairs(raw_items: Sequence[str], *, empty: str) -> list[tuple[int, int]]:
    """ "12:3" → (12, 3), duplicates dropped; ValidationError on anything else."""
    items: list[tuple[int, int]] = []
    seen: set[int] = set()
    for raw in raw_items:
        id_text, _sep, version_text = raw.partition(":")
        if not (id_text.isdigit() and version_text.isdigit()):
            raise forms.ValidationError(_("The selection is not valid."))
        item_id, version = int(id_text), int(version_text)
        if item_id not in seen:
            seen.add(item_id)
            items.append((item_id, version))
    if not items:
        raise forms.ValidationError(empty)
    if len(items) > BULK_MAX_ITEMS:
        raise forms.ValidationError(
            _("Choose at most %(count)d at once.") % {"count": BULK_MAX_ITEMS}
        )
    return items


class BulkDocumentForm(forms.Form):
    """Documents picked in the overview ("id:version") and what to do with them."""

    action = forms.ChoiceField(
        label=_("Action"), choices=list(BULK_ACTION_LABELS.items())
    )
    comment = _comment(required=False, label=_("Reason"))

    def __init__(self, data: QueryDict, *, confirming: bool, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.raw_items: list[str] = data.getlist("item")
        # The reason is asked on the confirmation page, so only its POST needs it.
        self.confirming = confirming

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["items"] = _pairs(
            self.raw_items, empty=str(_("Select at least one document."))
        )
        action = cleaned.get("action")
        if (
            self.confirming
            and action in COMMENT_REQUIRED
            and not (cleaned.get("comment") or "").strip()
        ):
            self.add_error(
                "comment",
                _("A comment is required to approve directly.")
                if action == APPROVE_DIRECTLY
                else _("A comment is required to reject directly."),
            )
        return cleaned


class ReassignForm(forms.Form):
    """Tasks picked in the overview ("id:document version"), the new approver, why."""

    to_employee = forms.ModelChoiceField(
        label=_("New approver"), queryset=Employee.objects.none(), widget=LongSelect
    )
    comment = _comment(required=True, label=_("Comment (required)"))

    def __init__(
        self,
        data: QueryDict | None,
        *,
        candidates: QuerySet[Employee],
        raw_items: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["to_employee"].queryset = candidates
        self.fields["comment"].error_messages["required"] = _(
            "A comment is required to reassign."
        )
        self.raw_items = list(raw_items)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["items"] = _pairs(
            self.raw_items, empty=str(_("Select at least one task."))
        )
        return cleaned


def selected_pairs(raw_items: Sequence[str]) -> list[tuple[int, int]] | None:
    """The selection of a confirmation page's GET, or None when it does not parse."""
    try:
        return _pairs(raw_items, empty="")
    except forms.ValidationError:
        return None
