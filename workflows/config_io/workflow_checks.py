"""Reading the workflows of a file: each step, condition and rule, checked by path.

The definition itself is built only when writing, once the roles and limits the file
brings exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgunits.models import DocumentType
from workflows.config_io.checking import Check, Known, role_name
from workflows.definition import DAY_CONDITIONS, ROLE_RULE_KINDS
from workflows.models import CompletionPolicy, StepCondition, StepRuleKind

_LOW = (StepCondition.AMOUNT_ABOVE, StepCondition.AMOUNT_BETWEEN)
_HIGH = (StepCondition.AMOUNT_BELOW, StepCondition.AMOUNT_BETWEEN)


@dataclass(frozen=True)
class WorkflowEntry:
    path: str
    name: str
    document_type: str
    active: bool
    raw: dict[str, Any]  # checked; turned into a definition once roles/limits exist


_WORKFLOW_KEYS = (
    "description",
    "active",
    "four_eyes",
    "skip_when_already_approved",
    "steps",
)
_STEP_KEYS = (
    "condition", "low_limit", "high_limit", "days", "rules", "mandatory", "completion",
    "required_count", "line_approval", "editing_allowed", "reapprove_changes",
    "auto_approve_as", "days_to_complete",
)  # fmt: skip


def read_workflow(
    item: object, path: str, known: Known, check: Check
) -> WorkflowEntry | None:
    entry = check.mapping(
        item, path, required=("name", "document_type"), optional=_WORKFLOW_KEYS
    )
    if entry is None:
        return None
    name = check.text(entry.get("name"), f"{path}.name")
    document_type = entry.get("document_type")
    if document_type not in DocumentType.values:
        check.fail(
            f"{path}.document_type",
            f"unknown document type {document_type!r}; expected one of {', '.join(DocumentType.values)}",
        )
    active = check.flag(entry.get("active"), f"{path}.active", False)
    check.flag(
        entry.get("skip_when_already_approved"),
        f"{path}.skip_when_already_approved",
        False,
    )
    four_eyes = entry.get("four_eyes")
    if four_eyes is not None:
        eyes = (
            check.mapping(
                four_eyes, f"{path}.four_eyes", optional=("enabled", "people")
            )
            or {}
        )
        check.flag(eyes.get("enabled"), f"{path}.four_eyes.enabled", False)
        for person_path, number in check.items(
            eyes.get("people"), f"{path}.four_eyes.people"
        ):
            check.lookup(known.employees, number, person_path, "employee")
    for step_path, step in check.items(entry.get("steps"), f"{path}.steps"):
        _check_step(step, step_path, known, check)
    if name is None or document_type not in DocumentType.values:
        return None
    return WorkflowEntry(path, name, str(document_type), active, entry)


def _check_step(item: object, path: str, known: Known, check: Check) -> None:
    step = check.mapping(item, path, required=("name",), optional=_STEP_KEYS)
    if step is None:
        return
    check.text(step.get("name"), f"{path}.name")
    condition = step.get("condition", StepCondition.ALWAYS.value)
    if condition not in StepCondition.values:
        check.fail(
            f"{path}.condition",
            f"unknown condition {condition!r}; expected one of {', '.join(StepCondition.values)}",
        )
    for key, wanted in (
        ("low_limit", condition in _LOW),
        ("high_limit", condition in _HIGH),
    ):
        if wanted and step.get(key) is None:
            check.fail(f"{path}.{key}", f"the condition {condition} needs it")
        elif not wanted and step.get(key) is not None:
            check.fail(f"{path}.{key}", f"the condition {condition} takes no {key}")
        elif wanted:
            limit = check.text(step[key], f"{path}.{key}", what="a limit name")
            if limit is not None and not known.has_limit(limit):
                check.fail(f"{path}.{key}", f'unknown limit "{limit}"')
    if condition in DAY_CONDITIONS:
        check.number(step.get("days"), f"{path}.days", minimum=0)
    elif step.get("days") is not None:
        check.fail(f"{path}.days", f"the condition {condition} takes no days")
    completion = step.get("completion", CompletionPolicy.ANY.value)
    if completion not in CompletionPolicy.values:
        check.fail(
            f"{path}.completion",
            f"unknown completion {completion!r}; expected one of {', '.join(CompletionPolicy.values)}",
        )
    if completion == CompletionPolicy.AT_LEAST:
        check.number(step.get("required_count"), f"{path}.required_count", minimum=1)
    for key in ("mandatory", "line_approval", "editing_allowed", "reapprove_changes"):
        check.flag(step.get(key), f"{path}.{key}", False)
    if step.get("days_to_complete") is not None:
        check.number(step["days_to_complete"], f"{path}.days_to_complete", minimum=1)
    if step.get("auto_approve_as") is not None:
        check.lookup(
            known.employees,
            step["auto_approve_as"],
            f"{path}.auto_approve_as",
            "employee",
        )
    for rule_path, rule in check.items(step.get("rules"), f"{path}.rules"):
        entry = check.mapping(
            rule, rule_path, required=("kind",), optional=("role", "approvers")
        )
        if entry is None:
            continue
        kind = entry.get("kind")
        if kind not in StepRuleKind.values:
            check.fail(
                f"{rule_path}.kind",
                f"unknown rule kind {kind!r}; expected one of {', '.join(StepRuleKind.values)}",
            )
            continue
        if kind in ROLE_RULE_KINDS:
            if "role" not in entry:
                check.fail(f"{rule_path}.role", f"a {kind} rule needs a role")
            else:
                role_name(entry["role"], f"{rule_path}.role", known, check)
        elif "role" in entry:
            check.fail(f"{rule_path}.role", f"a {kind} rule takes no role")
        if kind == StepRuleKind.NAMED:
            people = check.items(entry.get("approvers"), f"{rule_path}.approvers")
            if not people:
                check.fail(
                    f"{rule_path}.approvers", "a named rule needs at least one approver"
                )
            for person_path, number in people:
                check.lookup(known.employees, number, person_path, "employee")
        elif "approvers" in entry:
            check.fail(
                f"{rule_path}.approvers", f"a {kind} rule takes no named approvers"
            )
