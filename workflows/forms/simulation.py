"""The simulator's hypothetical document: header form, lines, code suggestions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django import forms
from django.forms import formset_factory
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from orgunits.models import Company, ProjectTask
from orgunits.selectors import (
    branch_list,
    cost_unit_list,
    cost_unit_type_list,
    department_list,
    employee_list,
    project_list,
)
from workflows.engine import RoutingFacts
from workflows.forms.common import MAX_SIMULATED_LINES, posted_count


def _codes_input(datalist: str, **attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"list": datalist, "autocomplete": "off", **attrs})


class SimulationForm(forms.Form):
    """The header of a hypothetical document."""

    amount = forms.DecimalField(
        label=_("Gross amount"),
        max_digits=18,
        decimal_places=2,
        help_text=_("Conditions compare this amount with the limits."),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("Three letters, e.g. NOK."),
        widget=forms.TextInput(attrs={"size": 4}),
    )
    requester = forms.CharField(
        label=_("Requester (employee number)"),
        required=False,
        widget=_codes_input("sim-employees"),
        help_text=_("Never approves their own document."),
    )
    initial_approver = forms.CharField(
        label=_("Initial approver (employee number)"),
        required=False,
        widget=_codes_input("sim-employees"),
    )
    department = forms.CharField(
        label=_("Department"), required=False, widget=_codes_input("sim-departments")
    )
    project = forms.CharField(
        label=_("Project"), required=False, widget=_codes_input("sim-projects")
    )
    task = forms.CharField(
        label=_("Project task"), required=False, widget=_codes_input("sim-tasks")
    )
    branch = forms.CharField(
        label=_("Branch"), required=False, widget=_codes_input("sim-branches")
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the document is treated as not due soon."),
    )
    today = forms.DateField(
        label=_("Simulate as of"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Day conditions count from this day."),
    )


class SimulationLineForm(forms.Form):
    """One line: its amount and org facts; a line without an amount is left out."""

    amount = forms.DecimalField(
        label=_("Amount"), max_digits=18, decimal_places=2, required=False
    )
    department = forms.CharField(
        label=_("Department"), required=False, widget=_codes_input("sim-departments")
    )
    project = forms.CharField(
        label=_("Project"), required=False, widget=_codes_input("sim-projects")
    )
    task = forms.CharField(
        label=_("Task"), required=False, widget=_codes_input("sim-tasks")
    )
    branch = forms.CharField(
        label=_("Branch"), required=False, widget=_codes_input("sim-branches")
    )

    def __init__(self, *args: Any, segments: Sequence[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        # One field per cost unit type used for routing, in hierarchy order.
        for segment_id, name in segments:
            self.fields[f"segment_{segment_id}"] = forms.CharField(
                label=name,
                required=False,
                widget=_codes_input(f"sim-segment-{segment_id}"),
            )

    def has_changed(self) -> bool:
        if not self.is_bound:
            return super().has_changed()
        return bool(str(self["amount"].data or "").strip())

    @property
    def segment_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("segment_")]

    @property
    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("segment_")]


class _LinesFormSet(forms.BaseFormSet):
    def __init__(
        self, *args: Any, segments: Sequence[tuple[int, str]], **kwargs: Any
    ) -> None:
        self.segments = segments
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"segments": self.segments, "empty_permitted": True}


SimulationLineFormSet = formset_factory(
    SimulationLineForm,
    formset=_LinesFormSet,
    extra=2,
    max_num=MAX_SIMULATED_LINES,
    validate_max=True,
)

ADD_LINE = "add_line"


class SimulationInput:
    """The hypothetical document on the simulator page: header form and line formset."""

    def __init__(
        self,
        *,
        company: Company,
        data: Mapping[str, Any] | None = None,
        facts: RoutingFacts | None = None,
        today: date,
    ) -> None:
        self.company = company
        self.segments = [
            (t.segment_id, t.name)
            for t in cost_unit_type_list(company=company)
            .filter(routing_position__isnull=False)
            .order_by("routing_position")
        ]
        header: dict[str, Any] = {
            "currency": company.currency,
            "received_on": today,
            "today": today,
        }
        lines: list[dict[str, Any]] = []
        if facts is not None:
            header = {
                "amount": facts.amount,
                "currency": facts.currency,
                "requester": facts.requester_number or "",
                "initial_approver": facts.initial_approver_number or "",
                "department": facts.header.department_code or "",
                "project": facts.header.project_code or "",
                "task": facts.header.task_code or "",
                "branch": facts.header.branch_code or "",
                "received_on": facts.received_on,
                "due_date": facts.due_date,
                "today": facts.today,
            }
            for line in facts.lines:
                row: dict[str, Any] = {
                    "amount": line.amount,
                    "department": line.org.department_code or "",
                    "project": line.org.project_code or "",
                    "task": line.org.task_code or "",
                    "branch": line.org.branch_code or "",
                }
                for segment_id, code in line.org.segment_values.items():
                    row[f"segment_{segment_id}"] = code
                lines.append(row)
        self.header = SimulationForm(data, prefix="doc", initial=header)
        self.lines = SimulationLineFormSet(
            data, prefix="lines", initial=lines, segments=self.segments
        )

    @classmethod
    def with_line_added(
        cls, *, company: Company, data: QueryDict, today: date
    ) -> SimulationInput:
        rows = data.copy()
        rows["lines-TOTAL_FORMS"] = str(
            min(posted_count(rows, "lines-TOTAL_FORMS") + 1, MAX_SIMULATED_LINES)
        )
        return cls(company=company, data=rows, today=today)

    def is_valid(self) -> bool:
        header_valid = self.header.is_valid()
        lines_valid = self.lines.is_valid()
        return header_valid and lines_valid

    def as_data(self) -> dict[str, Any]:
        """The input in the shape `workflows.simulator.facts_from_data` reads."""
        header = self.header.cleaned_data
        lines = []
        for form in self.lines.forms:
            if not form.has_changed():
                continue
            data = form.cleaned_data
            lines.append(
                {
                    "amount": data["amount"],
                    "department": data.get("department", ""),
                    "project": data.get("project", ""),
                    "task": data.get("task", ""),
                    "branch": data.get("branch", ""),
                    "segments": {
                        str(segment_id): data.get(f"segment_{segment_id}", "")
                        for segment_id, _name in self.segments
                    },
                }
            )
        return {
            "amount": header["amount"],
            "currency": header["currency"],
            "requester": header.get("requester", ""),
            "initial_approver": header.get("initial_approver", ""),
            "department": header.get("department", ""),
            "project": header.get("project", ""),
            "task": header.get("task", ""),
            "branch": header.get("branch", ""),
            "received_on": header["received_on"],
            "due_date": header.get("due_date"),
            "today": header["today"],
            "lines": lines,
        }

    def add_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        """Show `facts_from_data` errors (keyed `amount`, `lines[0].amount`) on fields."""
        kept = [f for f in self.lines.forms if f.has_changed()]
        for path, messages in errors.items():
            form: forms.Form = self.header
            field = path
            if path.startswith("lines[") and "]" in path:
                index_text, _sep, rest = path[len("lines[") :].partition("]")
                if index_text.isdigit() and int(index_text) < len(kept):
                    form = kept[int(index_text)]
                field = rest.lstrip(".")
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)

    def datalists(self) -> dict[str, list[tuple[str, str]]]:
        """Suggestions for the code fields: (value, label) per datalist id."""
        company = self.company
        lists: dict[str, list[tuple[str, str]]] = {
            "sim-employees": [
                (e.number, e.name)
                for e in employee_list(company=company).filter(active=True)
            ],
            "sim-departments": [
                (d.code, d.name) for d in department_list(company=company)
            ],
            "sim-projects": [(p.code, p.name) for p in project_list(company=company)],
            "sim-branches": [(b.code, b.name) for b in branch_list(company=company)],
        }
        # Project tasks have no selector of their own yet; this is the one read of them.
        lists["sim-tasks"] = [
            (t.code, f"{t.project.code}/{t.code} {t.name}")
            for t in ProjectTask.objects.filter(company=company)
            .select_related("project")
            .order_by("project__code", "code")
        ]
        for unit in cost_unit_list(company=company).order_by(
            "type__segment_id", "code"
        ):
            lists.setdefault(f"sim-segment-{unit.type.segment_id}", []).append(
                (unit.code, unit.name)
            )
        return lists
