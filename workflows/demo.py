"""The demo company's workflows: one active workflow per document type.

Registered with `orgunits.demo.register_demo_loader` from `WorkflowsConfig.ready()`, so
`load_demo` runs it after the org units, in the same transaction. Everything goes
through the workflows services (limits, drafts, activation), so the demo has the change
log and published versions a real company would have. Idempotent: a second run finds
every limit and workflow as wanted and writes nothing.

What the workflows show off (DOMAIN §3): amount limits in NOK (and EUR), a days
condition (the controller is skipped when payment is due in under 3 days), every kind
of approver rule, a line-approval step, an optional step and 4-eyes approval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orgunits.demo import (
    CFO,
    CONTROLLER,
    DEFAULT,
    DEPARTMENT_MANAGER,
    HEAD_OF_OPERATIONS,
    DemoSummary,
)
from orgunits.models import DocumentType, Employee
from workflows import selectors, services
from workflows.definition import (
    LimitRef,
    PersonRef,
    RuleDefinition,
    StepDefinition,
    WorkflowDefinition,
    definition_diff,
    definition_from_workflow,
)
from workflows.models import CompletionPolicy, StepCondition, StepRuleKind, Workflow

COMMENT = "Demo workflow (manage.py load_demo)"
ADMIN_LOGIN = "admin"

SMALL, LARGE = "Small", "Large"
# name → (description, amounts per currency).
LIMITS: Mapping[str, tuple[str, Mapping[str, Decimal]]] = {
    SMALL: (
        "Above this, a manager looks at it too.",
        {"NOK": Decimal("10000.00"), "EUR": Decimal("1000.00")},
    ),
    LARGE: (
        "Above this, the CFO approves.",
        {"NOK": Decimal("100000.00"), "EUR": Decimal("10000.00")},
    ),
}


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    role: str | None = None
    people: Sequence[str] = ()  # employee numbers of named approvers


@dataclass(frozen=True)
class StepSpec:
    name: str
    rules: Sequence[RuleSpec]
    condition: str = StepCondition.ALWAYS.value
    low: str | None = None
    high: str | None = None
    days: int | None = None
    mandatory: bool = True
    policy: str = CompletionPolicy.ANY.value
    line_approval: bool = False
    editing_allowed: bool = False
    reapprove_changes: bool = False
    days_to_complete: int = 5


@dataclass(frozen=True)
class WorkflowSpec:
    document_type: str
    name: str
    description: str
    steps: Sequence[StepSpec]
    four_eyes: Sequence[str] = field(default_factory=tuple)


WORKFLOWS: Sequence[WorkflowSpec] = (
    WorkflowSpec(
        DocumentType.PURCHASE_INVOICE,
        "Invoices (demo)",
        "Cost-unit owners approve their lines; bigger invoices go up the line.",
        steps=(
            StepSpec(
                "Cost-unit owner",
                rules=(RuleSpec(StepRuleKind.COST_UNIT, DEFAULT),),
                line_approval=True,
                editing_allowed=True,
                reapprove_changes=True,
            ),
            StepSpec(
                "Department manager",
                rules=(
                    RuleSpec(StepRuleKind.DEPARTMENT, DEPARTMENT_MANAGER),
                    RuleSpec(StepRuleKind.INITIAL_APPROVER),
                ),
                condition=StepCondition.AMOUNT_ABOVE,
                low=SMALL,
                mandatory=False,
            ),
            # The seed's own example: no time for the controller when payment is due
            # in under three days.
            StepSpec(
                "Controller",
                rules=(RuleSpec(StepRuleKind.COST_UNIT, CONTROLLER),),
                condition=StepCondition.DUE_IN_DAYS_AT_LEAST,
                days=3,
                days_to_complete=2,
            ),
            StepSpec(
                "CFO",
                rules=(RuleSpec(StepRuleKind.NAMED, people=(CFO,)),),
                condition=StepCondition.AMOUNT_ABOVE,
                low=LARGE,
            ),
        ),
        four_eyes=(CFO, HEAD_OF_OPERATIONS),
    ),
    WorkflowSpec(
        DocumentType.TIME_SHEET,
        "Time sheets (demo)",
        "Project managers approve the hours on their projects, then the manager.",
        steps=(
            StepSpec(
                "Project manager",
                rules=(RuleSpec(StepRuleKind.PROJECT_MANAGER),),
                line_approval=True,
            ),
            StepSpec(
                "Project approver",
                rules=(RuleSpec(StepRuleKind.PROJECT, DEFAULT),),
                mandatory=False,
            ),
            StepSpec(
                "Nearest manager",
                rules=(RuleSpec(StepRuleKind.NEAREST_MANAGER),),
            ),
        ),
    ),
    WorkflowSpec(
        DocumentType.EXPENSE_CLAIM,
        "Expense claims (demo)",
        "The department manager approves (with requester exceptions); large claims "
        "also go to the CFO.",
        steps=(
            StepSpec(
                "Department manager",
                rules=(
                    RuleSpec(StepRuleKind.DEPARTMENT, DEPARTMENT_MANAGER),
                    RuleSpec(StepRuleKind.BRANCH, DEFAULT),
                ),
                # Both rules find someone for most claims; both must agree.
                policy=CompletionPolicy.ALL,
            ),
            StepSpec(
                "CFO",
                rules=(RuleSpec(StepRuleKind.NAMED, people=(CFO,)),),
                condition=StepCondition.AMOUNT_BETWEEN,
                low=SMALL,
                high=LARGE,
                mandatory=True,
            ),
            StepSpec(
                "CFO and controller",
                rules=(
                    RuleSpec(StepRuleKind.NAMED, people=(CFO,)),
                    RuleSpec(StepRuleKind.COST_UNIT, CONTROLLER),
                ),
                condition=StepCondition.AMOUNT_ABOVE,
                low=LARGE,
                policy=CompletionPolicy.ALL,
            ),
        ),
    ),
)


def load_demo_workflows(summary: DemoSummary) -> None:
    """Ensure the demo limits and one active workflow per document type."""
    company = summary.company
    actor = summary.users.get(ADMIN_LOGIN)
    existing = {limit.name: limit for limit in selectors.limit_list(company=company)}
    limits: dict[str, LimitRef] = {}
    for name, (description, amounts) in LIMITS.items():
        current = existing.get(name)
        wanted = LimitRef.of(name, amounts)
        if current is None or LimitRef.from_limit(current) != wanted:
            saved = services.limit_save(
                company=company,
                name=name,
                amounts=amounts,
                description=description,
                actor=actor,
                comment=COMMENT,
            )
            if current is None:
                summary.created += 1
            else:
                summary.updated += 1
            current = selectors.limit_list(company=company).get(pk=saved.pk)
        limits[name] = LimitRef.from_limit(current)

    for spec in WORKFLOWS:
        definition = _definition(spec, summary, limits)
        workflow = (
            selectors.workflow_list(company=company, document_type=spec.document_type)
            .filter(name=spec.name)
            .first()
        )
        if workflow is None:
            workflow = services.workflow_create(
                company=company,
                document_type=spec.document_type,
                name=spec.name,
                description=spec.description,
                definition=definition,
                actor=actor,
                comment=COMMENT,
            )
            summary.created += 1
        elif definition_diff(definition_from_workflow(workflow), definition):
            was_active = workflow.is_active
            if was_active:
                # The live workflow is never edited in place; the demo's own is
                # replaced by publishing its new steps as a new version.
                services.workflow_deactivate(
                    workflow=workflow, actor=actor, comment=COMMENT
                )
            services.workflow_save_definition(
                workflow=workflow, definition=definition, actor=actor, comment=COMMENT
            )
            summary.updated += 1
            if was_active:
                services.workflow_activate(
                    workflow=workflow, actor=actor, comment=COMMENT
                )
                continue
        # Leave an administrator's own choice of active workflow alone.
        has_active = (
            selectors.workflow_list(company=company, document_type=spec.document_type)
            .filter(is_active=True)
            .exists()
        )
        if not has_active:
            services.workflow_activate(workflow=workflow, actor=actor, comment=COMMENT)
            summary.updated += 1


def _definition(
    spec: WorkflowSpec, summary: DemoSummary, limits: Mapping[str, LimitRef]
) -> WorkflowDefinition:
    def person(number: str) -> PersonRef:
        employee: Employee = summary.employees[number]
        return PersonRef(
            employee_id=employee.pk, number=employee.number, name=employee.name
        )

    def people(numbers: Sequence[str]) -> tuple[PersonRef, ...]:
        # The order `definition_from_workflow` reads back, so a rerun diffs empty.
        refs = (person(n) for n in numbers)
        return tuple(sorted(refs, key=lambda p: (p.name, p.employee_id)))

    def rule(rule_spec: RuleSpec) -> RuleDefinition:
        role = summary.roles[rule_spec.role] if rule_spec.role else None
        return RuleDefinition(
            kind=rule_spec.kind,
            role_id=role.pk if role else None,
            role_name=role.name if role else "",
            approvers=people(rule_spec.people),
        )

    return WorkflowDefinition(
        company_id=summary.company.pk,
        document_type=spec.document_type,
        name=spec.name,
        description=spec.description,
        four_eyes_enabled=bool(spec.four_eyes),
        four_eyes_people=people(spec.four_eyes),
        steps=tuple(
            StepDefinition(
                position=position,
                name=step.name,
                condition_kind=step.condition,
                low_limit=limits[step.low] if step.low else None,
                high_limit=limits[step.high] if step.high else None,
                days=step.days,
                rules=tuple(rule(r) for r in step.rules),
                mandatory=step.mandatory,
                completion_policy=step.policy,
                line_approval=step.line_approval,
                editing_allowed=step.editing_allowed,
                reapprove_changes=step.reapprove_changes,
                days_to_complete=step.days_to_complete,
            )
            for position, step in enumerate(spec.steps, start=1)
        ),
    )


def demo_workflow(document_type: str, summary: DemoSummary) -> Workflow | None:
    """The demo's workflow for a document type (for tests and the banner)."""
    name = next(s.name for s in WORKFLOWS if s.document_type == document_type)
    return (
        selectors.workflow_list(company=summary.company, document_type=document_type)
        .filter(name=name)
        .first()
    )
