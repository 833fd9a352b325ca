"""Forms of the approver pages: list filters, task actions, settings.

Forms only parse and validate input; the services decide. Every action form that
changes what the approver decided on carries the document version the page showed, so
an action taken on an outdated page is refused by the service (Document.version).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import LongSelect
from documents.models import Document, Line
from documents.services.common import COMMENT_MAX_LENGTH
from documents.services.editing import HEADER_FIELDS, LINE_FIELDS
from documents.views.lists import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SORT,
    PAGE_SIZES,
    SORT_KEYS,
    Cursor,
    DueFilter,
    HistoryQuery,
    TaskQuery,
)
from orgunits.models import Company, DocumentType, Employee, UserPreference

#: The most tasks one bulk approval takes; the confirmation page lists every one.
BULK_MAX_ITEMS = 200

_TYPE_CHOICES = [("", _("All types")), *DocumentType.choices]


def _comment_field(*, required: bool, label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- My tasks and My history -----------------------------------------------------------


#: My tasks' columns by their sort key, as headers and in the "Sort by" select.
SORT_LABELS = {
    "type": _("Type"),
    "party": _("Supplier or requester"),
    "description": _("Description"),
    "company": _("Company"),
    "amount": _("Amount"),
    "due": _("Task due date"),
}


class TaskListForm(forms.Form):
    """The query string of My tasks. Invalid values fall back to the defaults."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    company = forms.ChoiceField(label=_("Company"), required=False)
    type = forms.ChoiceField(
        label=_("Document type"), required=False, choices=_TYPE_CHOICES
    )
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("Any due date")),
            (DueFilter.OVERDUE, _("Overdue")),
            (DueFilter.SOON, _("Soon overdue")),
        ],
    )
    # Also in the form, not only in the column headers: a phone shows the list as
    # cards without headers, and a select is easier to reach by keyboard.
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(key, SORT_LABELS[key]) for key in SORT_KEYS],
    )
    dir = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("asc", _("Ascending")), ("desc", _("Descending"))],
    )
    per_page = forms.TypedChoiceField(
        label=_("Rows per page"),
        required=False,
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        choices=[(str(size), str(size)) for size in PAGE_SIZES],
    )
    after = forms.CharField(required=False, max_length=300)
    after_id = forms.IntegerField(required=False, min_value=1)
    before = forms.CharField(required=False, max_length=300)
    before_id = forms.IntegerField(required=False, min_value=1)

    def __init__(
        self, data: QueryDict, *, companies: Sequence[Company], **kwargs: Any
    ) -> None:
        # Always bound (a list reads its query string), with the defaults filled in
        # so the selects show what the list applies when a parameter is missing.
        defaults = {"sort": DEFAULT_SORT, "dir": "asc", "per_page": DEFAULT_PAGE_SIZE}
        filled = data.copy()
        for key, value in defaults.items():
            if not filled.get(key):
                filled[key] = str(value)
        super().__init__(filled, **kwargs)
        self.companies = {company.code: company for company in companies}
        self.fields["company"].choices = [
            ("", _("All companies")),
            *((company.code, company.name) for company in companies),
        ]

    def to_query(self) -> TaskQuery:
        """The validated query; fields that failed validation keep their default."""
        self.is_valid()
        data = self.cleaned_data

        def cursor(key: str, id_key: str) -> Cursor | None:
            task_id = data.get(id_key)
            return None if task_id is None else Cursor(data.get(key) or "", task_id)

        return TaskQuery(
            company=self.companies.get(data.get("company") or ""),
            document_type=data.get("type") or "",
            due=data.get("due") or "",
            search=(data.get("q") or "").strip(),
            sort=data.get("sort") or DEFAULT_SORT,
            descending=data.get("dir") == "desc",
            after=cursor("after", "after_id"),
            before=cursor("before", "before_id"),
            page_size=data.get("per_page") or DEFAULT_PAGE_SIZE,
        )


class HistoryFilterForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Document type"), required=False, choices=_TYPE_CHOICES
    )
    reference = forms.CharField(label=_("ERP reference"), required=False, max_length=60)
    sender = forms.CharField(
        label=_("Sender, supplier or requester"), required=False, max_length=200
    )
    after = forms.IntegerField(required=False, min_value=1)

    def to_query(self) -> HistoryQuery:
        self.is_valid()
        data = self.cleaned_data
        return HistoryQuery(
            document_type=data.get("type") or "",
            reference=(data.get("reference") or "").strip(),
            sender=(data.get("sender") or "").strip(),
            after=data.get("after"),
        )


class BulkSelectionForm(forms.Form):
    """(task id, document version) pairs as the list showed them: "12:3"."""

    item = forms.CharField(required=False)

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.raw_items: list[str] = data.getlist("item") if data is not None else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        items: list[tuple[int, int]] = []
        seen: set[int] = set()
        for raw in self.raw_items:
            task_text, _sep, version_text = raw.partition(":")
            if not (task_text.isdigit() and version_text.isdigit()):
                raise forms.ValidationError(_("The selection is not valid."))
            task_id, version = int(task_text), int(version_text)
            if task_id not in seen:
                seen.add(task_id)
                items.append((task_id, version))
        if not items:
            raise forms.ValidationError(_("Select at least one task to approve."))
        if len(items) > BULK_MAX_ITEMS:
            raise forms.ValidationError(
                _("Approve at most %(count)d tasks at once.")
                % {"count": BULK_MAX_ITEMS}
            )
        cleaned["items"] = items
        return cleaned


# --- task actions -------------------------------------------------------------------------


class ActionForm(forms.Form):
    """A task action's form; the task page shows several, so ids carry the action."""

    id_prefix = "action"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class VersionedForm(ActionForm):
    """An action on what the page showed: the document version travels with it."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ApproveForm(VersionedForm):
    id_prefix = "approve"
    comment = _comment_field(required=False, label=_("Comment (optional)"))


class RejectForm(VersionedForm):
    id_prefix = "reject"
    comment = _comment_field(required=True, label=_("Reason for rejecting"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service's own wording, so the page and the API say the same thing.
        self.fields["comment"].error_messages["required"] = _(
            "A comment is required to reject."
        )


class CommentForm(ActionForm):
    id_prefix = "comment"
    text = _comment_field(required=True, label=_("Comment"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].error_messages["required"] = _("Write a comment first.")


class ReviewForm(ActionForm):
    id_prefix = "review"
    comment = _comment_field(required=True, label=_("Your review"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"].error_messages["required"] = _(
            "A review needs a comment."
        )


def _person_label(name: str, email: str) -> str:
    # Same-name people are told apart by e-mail (VISMA_RULES §1.10).
    return f"{name} ({email})" if email else name


class _PersonChoices(forms.models.ModelChoiceIterator):
    """The options as (id, label) from three columns: a company's 2 000 people are
    not built as model instances for each picker on every task page."""

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, email in self.queryset.values_list("pk", "name", "email"):
            yield (pk, _person_label(name, email))


class _PersonChoiceField(forms.ModelChoiceField):
    widget = LongSelect
    iterator = _PersonChoices

    def label_from_instance(self, obj: Employee) -> str:
        return _person_label(obj.name, obj.email)


class ForwardForm(VersionedForm):
    id_prefix = "forward"
    to_employee = _PersonChoiceField(
        label=_("Forward to"), queryset=Employee.objects.none()
    )
    comment = _comment_field(required=False, label=_("Comment (optional)"))

    def __init__(
        self, *args: Any, candidates: QuerySet[Employee], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_employee"].queryset = candidates


class RequestReviewForm(VersionedForm):
    id_prefix = "request-review"
    reviewer = _PersonChoiceField(label=_("Reviewer"), queryset=Employee.objects.none())
    comment = _comment_field(required=False, label=_("What should they look at?"))

    def __init__(
        self, *args: Any, candidates: QuerySet[Employee], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = candidates


class PostponeForm(ActionForm):
    id_prefix = "postpone"
    until = forms.DateField(
        label=_("New task due date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DecideLinesForm(VersionedForm):
    id_prefix = "lines"
    approve = forms.TypedMultipleChoiceField(
        label=_("Approve lines"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    reject = forms.TypedMultipleChoiceField(
        label=_("Reject lines"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = _comment_field(
        required=False, label=_("Comment (required when rejecting)")
    )

    def __init__(self, *args: Any, line_numbers: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(n), _("Line %(number)d") % {"number": n}) for n in line_numbers]
        self.fields["approve"].choices = choices
        self.fields["reject"].choices = choices


class AttachmentForm(ActionForm):
    id_prefix = "attachment"
    file = forms.FileField(
        label=_("File (PDF, PNG or JPEG)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/png,image/jpeg"}
        ),
    )


def _segments_text(values: object) -> str:
    if not isinstance(values, dict):
        return ""
    return ", ".join(f"{key}={value}" for key, value in sorted(values.items()))


class DocumentEditForm(VersionedForm):
    """Header fields and the editable lines, one field per value.

    Line fields are named `line-<number>-<field>`; segment values are written as
    "1=20, 2=B" (segment id = value code; an empty value removes the segment).
    """

    id_prefix = "edit"

    def __init__(
        self,
        *args: Any,
        document: Document,
        lines: Sequence[Line],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        self.lines = list(lines)
        for name in HEADER_FIELDS:
            field = Document._meta.get_field(name).formfield()
            if isinstance(field, forms.DateField):
                field.widget = forms.DateInput(
                    attrs={"type": "date"}, format="%Y-%m-%d"
                )
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 2
            self.fields[f"header-{name}"] = field
            self.initial.setdefault(f"header-{name}", getattr(document, name))
        for line in self.lines:
            for name in LINE_FIELDS:
                key = f"line-{line.line_number}-{name}"
                if name == "segment_values":
                    self.fields[key] = forms.CharField(
                        label=_("Segments"), required=False, max_length=300
                    )
                    self.initial.setdefault(key, _segments_text(line.segment_values))
                    continue
                field = Line._meta.get_field(name).formfield()
                if isinstance(field.widget, forms.Textarea):
                    field.widget = forms.TextInput()
                self.fields[key] = field
                self.initial.setdefault(key, getattr(line, name))

    def header_fields(self) -> list[forms.BoundField]:
        return [self[f"header-{name}"] for name in HEADER_FIELDS]

    def line_rows(self) -> list[tuple[Line, list[forms.BoundField]]]:
        return [
            (line, [self[f"line-{line.line_number}-{name}"] for name in LINE_FIELDS])
            for line in self.lines
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for line in self.lines:
            key = f"line-{line.line_number}-segment_values"
            text = cleaned.get(key) or ""
            segments: dict[str, str] = {}
            for part in filter(None, (p.strip() for p in text.split(","))):
                segment, sep, value = part.partition("=")
                if not sep or not segment.strip().isdigit():
                    self.add_error(
                        key, _('Write segments as "1=20, 2=B" (segment id = value).')
                    )
                    break
                segments[segment.strip()] = value.strip()
            else:
                cleaned[key] = segments
        return cleaned

    def header_values(self) -> dict[str, object]:
        return {name: self.cleaned_data[f"header-{name}"] for name in HEADER_FIELDS}

    def line_values(self) -> dict[int, dict[str, object]]:
        return {
            line.line_number: {
                name: self.cleaned_data[f"line-{line.line_number}-{name}"]
                for name in LINE_FIELDS
            }
            for line in self.lines
        }


# --- settings -------------------------------------------------------------------------------


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = UserPreference
        fields = [
            "soon_overdue_days",
            "after_action",
            "email_new_task",
            "email_daily_reminder",
            "email_overview",
        ]
        widgets = {"after_action": forms.RadioSelect}


class SubstituteMode:
    INACTIVE = "inactive"
    NOW = "now"
    PERIOD = "period"


class SubstituteForm(forms.Form):
    """My substitute in one company: inactive, active now, or active in a period.

    Periods are whole days in the company's time zone: from the start of the first day
    to the end of the last one; no last day means "until switched off".
    """

    mode = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (SubstituteMode.INACTIVE, _("Inactive")),
            (SubstituteMode.NOW, _("Active now, until I switch it off")),
            (SubstituteMode.PERIOD, _("Active in a period")),
        ],
        widget=forms.RadioSelect,
    )
    substitute = _PersonChoiceField(
        label=_("Substitute"), required=False, queryset=Employee.objects.none()
    )
    starts_on = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ends_on = forms.DateField(
        label=_("To (leave empty for no end date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, *args: Any, candidates: QuerySet[Employee], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = candidates

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mode = cleaned.get("mode")
        if mode in (SubstituteMode.NOW, SubstituteMode.PERIOD) and not cleaned.get(
            "substitute"
        ):
            self.add_error("substitute", _("Choose your substitute."))
        if mode == SubstituteMode.PERIOD and not cleaned.get("starts_on"):
            self.add_error("starts_on", _("Choose the first day."))
        return cleaned

    def period(self) -> tuple[datetime | None, datetime | None]:
        """(starts_at, ends_at) for the service; (None, None) is "from now, no end"."""
        if self.cleaned_data["mode"] != SubstituteMode.PERIOD:
            return None, None
        zone = timezone.get_current_timezone()
        starts_on = self.cleaned_data["starts_on"]
        ends_on = self.cleaned_data.get("ends_on")
        starts_at = datetime.combine(starts_on, time.min, tzinfo=zone)
        ends_at = (
            None
            if ends_on is None
            else datetime.combine(ends_on + timedelta(days=1), time.min, tzinfo=zone)
        )
        return starts_at, ends_at
