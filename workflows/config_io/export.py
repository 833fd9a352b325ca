"""Export: a company's approval setup as plain data, by natural keys."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from orgunits.models import (
    ApproverRole,
    BranchApprover,
    Company,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    DepartmentApprover,
    Membership,
    ProjectApprover,
    RequesterException,
    Substitution,
)
from workflows.config_io.common import ANY, FORMAT, UNSPECIFIED
from workflows.definition import (
    RuleDefinition,
    StepDefinition,
    definition_from_workflow,
)
from workflows.models import CompletionPolicy, Limit, Workflow


def config_export(*, company: Company) -> dict[str, Any]:
    """The company's approval setup as plain data, in the order the file shows it."""
    hierarchy = CostUnitType.objects.filter(
        company=company, routing_position__isnull=False
    ).order_by("routing_position")
    now = timezone.now()
    return {
        "format": FORMAT,
        "company": company.code,
        "approver_roles": [
            {"name": r.name, "default": r.is_default}
            for r in ApproverRole.objects.filter(company=company).order_by("name")
        ],
        "cost_unit_hierarchy": [t.segment_id for t in hierarchy],
        "limits": [
            {
                "name": limit.name,
                "description": limit.description,
                "amounts": {a.currency: str(a.amount) for a in limit.amounts.all()},
            }
            for limit in Limit.objects.filter(company=company)
            .prefetch_related("amounts")
            .order_by("name")
        ],
        "cost_unit_approvers": [
            {
                "role": row.role.name,
                "approver": row.approver.number,
                "values": {
                    str(v.type.segment_id): _cell_out(v)
                    for v in sorted(row.values.all(), key=lambda v: v.type.segment_id)
                },
            }
            for row in CostUnitCombination.objects.filter(company=company)
            .select_related("role", "approver")
            .prefetch_related("values__type", "values__cost_unit")
            .order_by("id")
        ],
        "department_approvers": [
            {
                "department": r.department.code,
                "role": r.role.name,
                "approver": r.approver.number,
            }
            for r in DepartmentApprover.objects.filter(company=company)
            .select_related("department", "role", "approver")
            .order_by("department__code", "role__name", "approver__number")
        ],
        "project_approvers": [
            {
                "project": r.project.code,
                "task": r.task.code if r.task else None,
                "role": r.role.name,
                "approver": r.approver.number,
            }
            for r in ProjectApprover.objects.filter(company=company)
            .select_related("project", "task", "role", "approver")
            .order_by("project__code", "task__code", "role__name", "approver__number")
        ],
        "branch_approvers": [
            {
                "branch": r.branch.code,
                "role": r.role.name,
                "approver": r.approver.number,
            }
            for r in BranchApprover.objects.filter(company=company)
            .select_related("branch", "role", "approver")
            .order_by("branch__code", "role__name", "approver__number")
        ],
        "requester_exceptions": [
            {
                "requester": r.requester.number,
                "role": r.role.name,
                "approver": r.approver.number,
            }
            for r in RequesterException.objects.filter(company=company)
            .select_related("requester", "role", "approver")
            .order_by("requester__number", "role__name", "approver__number")
        ],
        "memberships": [
            {
                "username": m.user.get_username(),
                "system_admin": m.is_system_admin,
                "system_viewer": m.is_system_viewer,
                "approves": [str(t) for t in m.approvable_types],
            }
            for m in Membership.objects.filter(company=company)
            .select_related("user")
            .order_by("user__username")
        ],
        # Ended substitutions are history, not setup.
        "substitutes": [
            {
                "principal": s.principal.number,
                "substitute": s.substitute.number,
                "starts_at": s.starts_at.isoformat(),
                "ends_at": s.ends_at.isoformat() if s.ends_at else None,
            }
            for s in Substitution.objects.filter(company=company)
            .exclude(ends_at__lte=now)
            .select_related("principal", "substitute")
            .order_by("principal__number", "starts_at")
        ],
        "workflows": [
            _workflow_out(w)
            for w in Workflow.objects.filter(company=company).order_by(
                "document_type", "name"
            )
        ],
    }


def _cell_out(value: CostUnitCombinationValue) -> str | dict[str, str]:
    if value.match == CostUnitCombinationValue.Match.ANY:
        return ANY
    if value.match == CostUnitCombinationValue.Match.UNSPECIFIED:
        return UNSPECIFIED
    code = value.cost_unit.code if value.cost_unit else ""
    # A unit literally coded "Any" must not read back as the wildcard.
    return {"code": code} if code in (ANY, UNSPECIFIED) else code


def _workflow_out(workflow: Workflow) -> dict[str, Any]:
    definition = definition_from_workflow(workflow)
    return {
        "name": workflow.name,
        "document_type": workflow.document_type,
        "active": workflow.is_active,
        "description": definition.description,
        "four_eyes": {
            "enabled": definition.four_eyes_enabled,
            "people": [p.number for p in definition.four_eyes_people],
        },
        "skip_when_already_approved": definition.skip_when_already_approved,
        "steps": [_step_out(s) for s in definition.steps],
    }


def _step_out(step: StepDefinition) -> dict[str, Any]:
    data: dict[str, Any] = {"name": step.name, "condition": step.condition_kind}
    if step.low_limit is not None:
        data["low_limit"] = step.low_limit.name
    if step.high_limit is not None:
        data["high_limit"] = step.high_limit.name
    if step.days is not None:
        data["days"] = step.days
    data["rules"] = [_rule_out(r) for r in step.rules]
    data |= {
        "mandatory": step.mandatory,
        "completion": step.completion_policy,
    }
    if step.completion_policy == CompletionPolicy.AT_LEAST:
        data["required_count"] = step.required_count
    data |= {
        "line_approval": step.line_approval,
        "editing_allowed": step.editing_allowed,
        "reapprove_changes": step.reapprove_changes,
        "auto_approve_as": step.auto_approve_as.number
        if step.auto_approve_as
        else None,
        "days_to_complete": step.days_to_complete,
    }
    return data


def _rule_out(rule: RuleDefinition) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": rule.kind}
    if rule.role_id is not None:
        data["role"] = rule.role_name
    if rule.approvers:
        data["approvers"] = [p.number for p in rule.approvers]
    return data
