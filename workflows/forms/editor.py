"""The definition editor: options, steps and rules as forms, read into a definition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from orgunits.models import ApproverRole, Company, Employee
from workflows.definition import (
    LimitRef,
    PersonRef,
    RuleDefinition,
    StepDefinition,
    WorkflowDefinition,
)
from workflows.forms.common import MAX_RULES, MAX_STEPS, posted_count
from workflows.forms.rows import (
    EditorChoices,
    RuleFormSet,
    StepForm,
    StepFormSet,
    WorkflowOptionsForm,
)
from workflows.models import CompletionPolicy, StepCondition

ADD_STEP = "add_step"
ADD_RULE_PREFIX = "add_rule:"


class DefinitionEditor:
    """The workflow options, steps and rules of one workflow, as forms.

    Build it unbound from a definition (`DefinitionEditor(..., definition=d)`) or bound
    from posted data (`DefinitionEditor(..., data=request.POST)`), then `is_valid()` and
    `definition()`.
    """

    def __init__(
        self,
        *,
        company: Company,
        document_type: str,
        data: Mapping[str, Any] | None = None,
        definition: WorkflowDefinition | None = None,
    ) -> None:
        self.company = company
        self.document_type = document_type
        named_ids = sorted(definition.employee_ids()) if definition else []
        if data is not None:
            named_ids = sorted(set(named_ids) | _posted_people(data))
        self.choices = EditorChoices(company, document_type, named_ids)
        limit_ids = {limit.name: limit.pk for limit in self.choices.limit_rows}
        options_initial: dict[str, Any] = {}
        steps_initial: list[dict[str, Any]] = []
        rules_initial: list[list[dict[str, Any]]] = []
        if definition is not None:
            options_initial = {
                "name": definition.name,
                "description": definition.description,
                "four_eyes_enabled": definition.four_eyes_enabled,
                "four_eyes_people": [
                    p.employee_id for p in definition.four_eyes_people
                ],
                "skip_when_already_approved": definition.skip_when_already_approved,
            }
            for step in definition.steps:
                steps_initial.append(_step_initial(step, limit_ids))
                rules_initial.append([_rule_initial(rule) for rule in step.rules])
        self.options = WorkflowOptionsForm(
            data, prefix="workflow", initial=options_initial, choices=self.choices
        )
        self.steps = StepFormSet(
            data, prefix="steps", initial=steps_initial, choices=self.choices
        )
        for index, form in enumerate(self.steps.forms):
            form.rules = RuleFormSet(
                data,
                prefix=f"{form.prefix}-rules",
                initial=rules_initial[index] if index < len(rules_initial) else [],
                choices=self.choices,
            )

    @classmethod
    def with_row_added(
        cls, *, company: Company, document_type: str, data: QueryDict, action: str
    ) -> DefinitionEditor:
        """The posted editor with one more blank step or rule row (no validation)."""
        rows = data.copy()
        if action == ADD_STEP:
            index = posted_count(rows, "steps-TOTAL_FORMS")
            rows["steps-TOTAL_FORMS"] = str(index + 1)
            prefix = f"steps-{index}"
            # The defaults a fresh row shows, so the new row counts as blank.
            rows[f"{prefix}-condition_kind"] = StepCondition.ALWAYS.value
            rows[f"{prefix}-mandatory"] = "on"
            rows[f"{prefix}-completion_policy"] = CompletionPolicy.ANY.value
            rows[f"{prefix}-required_count"] = "1"
            rows[f"{prefix}-days_to_complete"] = "5"
            _management(rows, f"{prefix}-rules", total=1)
        elif action.startswith(ADD_RULE_PREFIX):
            step_index = action.removeprefix(ADD_RULE_PREFIX)
            if step_index.isdigit():
                key = f"steps-{step_index}-rules-TOTAL_FORMS"
                rows[key] = str(min(posted_count(rows, key) + 1, MAX_RULES))
        return cls(company=company, document_type=document_type, data=rows)

    # --- validation -------------------------------------------------------------------

    def is_valid(self) -> bool:
        valid = self.options.is_valid() and self.steps.is_valid()
        for form in self._kept_steps():
            valid = form.rules.is_valid() and valid
        return valid

    @property
    def has_errors(self) -> bool:
        return self.steps.is_bound and not self.is_valid()

    def _kept_steps(self) -> list[StepForm]:
        return [
            form
            for form in self.steps.forms
            if form.has_changed() and not _deleted(self.steps, form)
        ]

    # --- the result -------------------------------------------------------------------

    def definition(self) -> WorkflowDefinition:
        """The posted definition; call after `is_valid()` returned True."""
        kept = self._kept_steps()
        ordered = sorted(
            enumerate(kept),
            key=lambda pair: (
                pair[1].cleaned_data.get("position") or MAX_STEPS * 100,
                pair[0],
            ),
        )
        steps = tuple(
            _step_definition(form, position)
            for position, (_index, form) in enumerate(ordered, start=1)
        )
        options = self.options.cleaned_data
        return WorkflowDefinition(
            company_id=self.company.pk,
            document_type=self.document_type,
            name=options["name"].strip(),
            description=options.get("description", ""),
            four_eyes_enabled=bool(options.get("four_eyes_enabled")),
            four_eyes_people=_people(options.get("four_eyes_people") or ()),
            skip_when_already_approved=bool(options.get("skip_when_already_approved")),
            steps=steps,
        )


def _step_initial(step: StepDefinition, limit_ids: Mapping[str, int]) -> dict[str, Any]:
    return {
        "position": step.position,
        "name": step.name,
        "condition_kind": step.condition_kind,
        "low_limit": limit_ids.get(step.low_limit.name) if step.low_limit else None,
        "high_limit": limit_ids.get(step.high_limit.name) if step.high_limit else None,
        "days": step.days,
        "mandatory": step.mandatory,
        "completion_policy": step.completion_policy,
        "required_count": step.required_count,
        "line_approval": step.line_approval,
        "editing_allowed": step.editing_allowed,
        "reapprove_changes": step.reapprove_changes,
        "auto_approve_as": (
            step.auto_approve_as.employee_id if step.auto_approve_as else None
        ),
        "days_to_complete": step.days_to_complete,
    }


def _rule_initial(rule: RuleDefinition) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "role": rule.role_id,
        "approvers": [p.employee_id for p in rule.approvers],
    }


def _step_definition(form: StepForm, position: int) -> StepDefinition:
    data = form.cleaned_data
    rules = tuple(
        _rule_definition(rule.cleaned_data)
        for rule in form.rules.forms
        if rule.has_changed() and not _deleted(form.rules, rule)
    )
    low, high = data.get("low_limit"), data.get("high_limit")
    auto = data.get("auto_approve_as")
    return StepDefinition(
        position=position,
        name=data["name"].strip(),
        condition_kind=data["condition_kind"],
        low_limit=LimitRef.from_limit(low) if low else None,
        high_limit=LimitRef.from_limit(high) if high else None,
        days=data.get("days"),
        rules=rules,
        mandatory=bool(data.get("mandatory")),
        completion_policy=data["completion_policy"],
        required_count=data.get("required_count") or 1,
        line_approval=bool(data.get("line_approval")),
        editing_allowed=bool(data.get("editing_allowed")),
        reapprove_changes=bool(data.get("reapprove_changes")),
        auto_approve_as=_person(auto) if auto else None,
        days_to_complete=data["days_to_complete"],
    )


def _rule_definition(data: Mapping[str, Any]) -> RuleDefinition:
    role: ApproverRole | None = data.get("role")
    return RuleDefinition(
        kind=data["kind"],
        role_id=role.pk if role else None,
        role_name=role.name if role else "",
        approvers=_people(data.get("approvers") or ()),
    )


def _person(employee: Employee) -> PersonRef:
    return PersonRef(
        employee_id=employee.pk, number=employee.number, name=employee.name
    )


def _people(
    employees: Sequence[Employee] | QuerySet[Employee],
) -> tuple[PersonRef, ...]:
    # The same order as `definition_from_workflow`, so an unchanged page diffs empty.
    return tuple(
        sorted((_person(e) for e in employees), key=lambda p: (p.name, p.employee_id))
    )


def _deleted(formset: forms.BaseFormSet, form: forms.Form) -> bool:
    return bool(formset.can_delete and form["DELETE"].data)


def _management(data: QueryDict, prefix: str, *, total: int) -> None:
    data[f"{prefix}-TOTAL_FORMS"] = str(total)
    data[f"{prefix}-INITIAL_FORMS"] = "0"
    data[f"{prefix}-MIN_NUM_FORMS"] = "0"
    data[f"{prefix}-MAX_NUM_FORMS"] = str(MAX_RULES)


def _posted_people(data: Mapping[str, Any]) -> set[int]:
    """Employee ids a post names, so a simulator draft may keep people without rights."""
    ids: set[int] = set()
    getlist = getattr(data, "getlist", None)
    for key in data:
        if not key.endswith(("-approvers", "-auto_approve_as", "-four_eyes_people")):
            continue
        values = getlist(key) if getlist else [data[key]]
        ids.update(int(v) for v in values if str(v).isdigit())
    return ids
