"""Forms of the approver setup pages: unit assignments, exceptions, roles, cost unit
types and the cost-unit combination table.

Every choice is limited to the page's company, so an id of another company (or one that
does not exist) is an ordinary "not one of the choices" error. The business rules
themselves (same company, task of the project, duplicates, (unspecified)) are the
services'; the views turn their refusals into errors on these forms.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orgunits.models import (
    ApproverRole,
    Branch,
    Company,
    CostUnit,
    CostUnitCombinationValue,
    CostUnitType,
    Department,
    Employee,
    Project,
    ProjectTask,
)
from orgunits.services_combinations import Cell

ANY = "any"
UNSPECIFIED = "unspecified"
Match = CostUnitCombinationValue.Match


class EmployeeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Employee) -> str:  # type: ignore[override]
        label = f"{obj.name} ({obj.number})"
        return label if obj.active else f"{label} — {_('inactive')}"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = getattr(obj, "name", "")
        return f"{obj.code} {name}".strip()


class TaskChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProjectTask) -> str:  # type: ignore[override]
        return f"{obj.project.code} / {obj.code} {obj.name}".strip()


def employee_choices(company: Company) -> Any:
    return Employee.objects.filter(company=company).order_by("-active", "name", "pk")


class CompanyForm(forms.Form):
    """A form whose choices come from one company."""

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company


class _RoleApproverMixin(CompanyForm):
    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["role"] = forms.ModelChoiceField(
            label=_("Role"), queryset=ApproverRole.objects.filter(company=company)
        )
        self.fields["approver"] = EmployeeChoiceField(
            label=_("Approver"), queryset=employee_choices(company)
        )


class DepartmentApproverForm(_RoleApproverMixin):
    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["department"] = UnitChoiceField(
            label=_("Department"), queryset=Department.objects.filter(company=company)
        )
        self.order_fields(["department", "role", "approver"])


class BranchApproverForm(_RoleApproverMixin):
    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["branch"] = UnitChoiceField(
            label=_("Branch"), queryset=Branch.objects.filter(company=company)
        )
        self.order_fields(["branch", "role", "approver"])


class ProjectApproverForm(_RoleApproverMixin):
    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["project"] = UnitChoiceField(
            label=_("Project"), queryset=Project.objects.filter(company=company)
        )
        self.fields["task"] = TaskChoiceField(
            label=_("Project task"),
            required=False,
            empty_label=_("The whole project"),
            queryset=ProjectTask.objects.filter(company=company).select_related(
                "project"
            ),
            help_text=_("Leave empty to approve for every task of the project."),
        )
        self.order_fields(["project", "task", "role", "approver"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        project, task = cleaned.get("project"), cleaned.get("task")
        if task is not None and project is not None and task.project_id != project.pk:
            self.add_error("task", _("This task belongs to another project."))
        return cleaned


class RequesterExceptionForm(_RoleApproverMixin):
    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["requester"] = EmployeeChoiceField(
            label=_("Requester"),
            queryset=employee_choices(company),
            help_text=_(
                "Documents this person requests go to the approver below instead of "
                "the general rule for the role."
            ),
        )
        self.order_fields(["requester", "role", "approver"])


class ApproverRoleForm(forms.Form):
    name = forms.CharField(label=_("Role name"), max_length=100)


class CostUnitTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    active = forms.BooleanField(label=_("Active"), required=False)


class RoutingMoveForm(CompanyForm):
    """One change to the routing order: move a type up or down, select or unselect it."""

    ACTIONS = (
        ("up", _("Move up")),
        ("down", _("Move down")),
        ("select", _("Use for routing")),
        ("unselect", _("Stop using for routing")),
    )
    action = forms.ChoiceField(choices=ACTIONS)

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["type"] = forms.ModelChoiceField(
            queryset=CostUnitType.objects.filter(company=company)
        )

    def new_order(self, current: list[int]) -> list[int]:
        """The routing order (type ids, top first) after this change."""
        pk = self.cleaned_data["type"].pk
        action = self.cleaned_data["action"]
        order = list(current)
        if action == "select" and pk not in order:
            order.append(pk)
        elif action == "unselect" and pk in order:
            order.remove(pk)
        elif action in ("up", "down") and pk in order:
            at = order.index(pk)
            other = at - 1 if action == "up" else at + 1
            if 0 <= other < len(order):
                order[at], order[other] = order[other], order[at]
        return order


class CombinationForm(_RoleApproverMixin):
    """One combination row: a cell per routing type (value, Any, (unspecified))."""

    def __init__(
        self,
        *args: Any,
        company: Company,
        hierarchy: list[CostUnitType],
        units: list[CostUnit],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.hierarchy = hierarchy
        self._units = {u.pk: u for u in units}
        by_type: dict[int, list[CostUnit]] = {t.pk: [] for t in hierarchy}
        for unit in units:
            by_type.setdefault(unit.type_id, []).append(unit)
        for unit_type in hierarchy:
            self.fields[self.cell_name(unit_type)] = forms.ChoiceField(
                label=unit_type.name,
                initial=ANY,
                choices=[
                    (ANY, _("Any")),
                    (UNSPECIFIED, _("(unspecified)")),
                    (
                        _("Values"),
                        [
                            (str(u.pk), f"{u.code} {u.name}".strip())
                            for u in by_type[unit_type.pk]
                        ],
                    ),
                ],
            )
        self.order_fields([self.cell_name(t) for t in hierarchy] + ["role", "approver"])

    @staticmethod
    def cell_name(unit_type: CostUnitType) -> str:
        return f"cell_{unit_type.pk}"

    @staticmethod
    def initial_cells(
        cells: list[Cell], hierarchy: list[CostUnitType]
    ) -> dict[str, str]:
        initial = {}
        for unit_type, cell in zip(hierarchy, cells, strict=True):
            if cell.match == Match.VALUE and cell.cost_unit is not None:
                value = str(cell.cost_unit.pk)
            else:
                value = UNSPECIFIED if cell.match == Match.UNSPECIFIED else ANY
            initial[CombinationForm.cell_name(unit_type)] = value
        return initial

    def cell_fields(self) -> list[forms.BoundField]:
        return [self[self.cell_name(t)] for t in self.hierarchy]

    def cells(self) -> dict[int, Cell]:
        result = {}
        for unit_type in self.hierarchy:
            raw = self.cleaned_data[self.cell_name(unit_type)]
            if raw == ANY:
                result[unit_type.pk] = Cell()
            elif raw == UNSPECIFIED:
                result[unit_type.pk] = Cell(match=Match.UNSPECIFIED)
            else:
                result[unit_type.pk] = Cell(
                    match=Match.VALUE, cost_unit=self._units[int(raw)]
                )
        return result


class CombinationFilterForm(CompanyForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Approver name or number, or a cost unit code."),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["role"] = forms.ModelChoiceField(
            label=_("Role"),
            required=False,
            empty_label=_("All roles"),
            queryset=ApproverRole.objects.filter(company=company),
        )


class WinnerForm(CompanyForm):
    """Segment values of a document line: which rows would the resolver pick?"""

    def __init__(
        self,
        *args: Any,
        company: Company,
        hierarchy: list[CostUnitType],
        units: list[CostUnit],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.hierarchy = hierarchy
        self.fields["role"] = forms.ModelChoiceField(
            label=_("Role"), queryset=ApproverRole.objects.filter(company=company)
        )
        for unit_type in hierarchy:
            self.fields[f"seg_{unit_type.segment_id}"] = forms.ChoiceField(
                label=unit_type.name,
                required=False,
                choices=[("", _("(none)"))]
                + [(u.code, u.code) for u in units if u.type_id == unit_type.pk],
            )

    def segment_values(self) -> dict[int, str]:
        return {
            t.segment_id: value
            for t in self.hierarchy
            if (value := self.cleaned_data.get(f"seg_{t.segment_id}"))
        }
