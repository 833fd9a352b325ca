"""Import, second half: write the checked entries in one transaction, or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    Company,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    Membership,
    Substitution,
)
from orgunits.services import substitution_set
from workflows import services
from workflows.config_io.checking import Check, Known
from workflows.config_io.common import ConfigError, ImportReport
from workflows.config_io.reading import (
    AssignmentEntry,
    CombinationEntry,
    LimitEntry,
    MembershipEntry,
    Parsed,
    RoleEntry,
    SubstituteEntry,
    parse,
)
from workflows.config_io.workflow_checks import WorkflowEntry
from workflows.definition import (
    LimitRef,
    PersonRef,
    RuleDefinition,
    StepDefinition,
    WorkflowDefinition,
    definition_diff,
    definition_from_workflow,
    definition_problems,
)
from workflows.models import (
    CompletionPolicy,
    Limit,
    StepCondition,
    Workflow,
)


def config_import(
    *,
    company: Company,
    data: object,
    actor: AbstractBaseUser | None = None,
    comment: str = "Imported configuration",
) -> ImportReport:
    """Apply a configuration file to the company: all of it, or nothing.

    Raises ConfigError listing every problem ("path: message") and writes nothing if
    the file or any of its writes is refused. Substitutes go through the same service
    (and rules) as in the UI, which needs an administrator as `actor`.
    """
    check = Check()
    known = Known(company, data if isinstance(data, Mapping) else {})
    parsed = parse(data, known, check)
    if check.errors:
        raise ConfigError(check.errors)
    report = ImportReport()
    with transaction.atomic():
        writer = _Writer(company, known, report, check, actor, comment)
        writer.write(parsed)
        if check.errors:
            # Leaving the block with an exception rolls every write back.
            raise ConfigError(check.errors)
    return report


class _Writer:
    def __init__(
        self,
        company: Company,
        known: Known,
        report: ImportReport,
        check: Check,
        actor: AbstractBaseUser | None,
        comment: str,
    ) -> None:
        self.company = company
        self.known = known
        self.report = report
        self.check = check
        self.actor = actor
        self.comment = comment

    def attempt(self, path: str, write: Callable[[], None]) -> None:
        """Run one write in a savepoint; a refusal becomes an error at `path`."""
        try:
            with transaction.atomic():
                write()
        except ApplicationError as error:
            self.check.fail(path, error.message)
        except ValidationError as error:
            self.check.fail(path, "; ".join(error.messages))

    def write(self, parsed: Parsed) -> None:
        for role in parsed.roles:
            self.attempt(role.path, lambda role=role: self.role(role))
        if parsed.hierarchy is not None:
            self.attempt(
                "cost_unit_hierarchy", lambda: self.hierarchy(parsed.hierarchy or [])
            )
        for limit in parsed.limits:
            self.attempt(limit.path, lambda limit=limit: self.limit(limit))
        existing = self.combinations()
        for combination in parsed.combinations:
            self.attempt(
                combination.path, lambda c=combination: self.combination(c, existing)
            )
        for assignment in parsed.assignments:
            self.attempt(assignment.path, lambda a=assignment: self.assignment(a))
        for membership in parsed.memberships:
            self.attempt(membership.path, lambda m=membership: self.membership(m))
        for substitute in parsed.substitutes:
            self.attempt(substitute.path, lambda s=substitute: self.substitute(s))
        self.workflows(parsed.workflows)

    # --- org setup ----------------------------------------------------------------------

    def role(self, entry: RoleEntry) -> None:
        role = self.known.roles.get(entry.name)
        if role is None:
            if entry.default:
                ApproverRole.objects.filter(
                    company=self.company, is_default=True
                ).update(is_default=False)
            role = ApproverRole(
                company=self.company, name=entry.name, is_default=entry.default
            )
            role.full_clean()
            role.save()
            self.known.roles[entry.name] = role
            self.report.add("approver_roles", "created")
        elif entry.default and not role.is_default:
            # One default per company: the old one gives way first.
            ApproverRole.objects.filter(company=self.company, is_default=True).update(
                is_default=False
            )
            role.is_default = True
            role.save(update_fields=["is_default", "updated_at"])
            self.report.add("approver_roles", "updated")
        else:
            self.report.add("approver_roles", "unchanged")

    def hierarchy(self, wanted: Sequence[CostUnitType]) -> None:
        positions = {t.pk: i for i, t in enumerate(wanted, start=1)}
        types = list(CostUnitType.objects.filter(company=self.company).order_by("pk"))
        moved = [t for t in types if t.routing_position != positions.get(t.pk)]
        # Clear first: positions are unique, and a swap would collide halfway.
        for unit_type in moved:
            unit_type.routing_position = None
            unit_type.save(update_fields=["routing_position", "updated_at"])
        for unit_type in moved:
            if unit_type.pk in positions:
                unit_type.routing_position = positions[unit_type.pk]
                unit_type.save(update_fields=["routing_position", "updated_at"])
        self.report.add("cost_unit_hierarchy", "updated" if moved else "unchanged")

    def limit(self, entry: LimitEntry) -> None:
        current = self.known.limits.get(entry.name)
        same = (
            current is not None
            and LimitRef.from_limit(current) == LimitRef.of(entry.name, entry.amounts)
            and (not entry.description or current.description == entry.description)
        )
        if same:
            self.report.add("limits", "unchanged")
            return
        services.limit_save(
            company=self.company,
            name=entry.name,
            amounts=entry.amounts,
            description=entry.description,
            actor=self.actor,
            comment=self.comment,
        )
        self.known.limits[entry.name] = Limit.objects.prefetch_related("amounts").get(
            company=self.company, name=entry.name
        )
        self.report.add("limits", "created" if current is None else "updated")

    def combinations(
        self,
    ) -> set[tuple[int, int, frozenset[tuple[int, str, int | None]]]]:
        rows = CostUnitCombination.objects.filter(
            company=self.company
        ).prefetch_related("values")
        return {
            (
                row.role_id,
                row.approver_id,
                frozenset(
                    (v.type_id, v.match, v.cost_unit_id) for v in row.values.all()
                ),
            )
            for row in rows
        }

    def combination(
        self,
        entry: CombinationEntry,
        existing: set[tuple[int, int, frozenset[tuple[int, str, int | None]]]],
    ) -> None:
        role = self.known.roles[entry.role]
        cells = frozenset(
            (t.pk, match, unit.pk if unit else None) for t, match, unit in entry.cells
        )
        key = (role.pk, entry.approver.pk, cells)
        if key in existing:
            self.report.add("cost_unit_approvers", "unchanged")
            return
        row = CostUnitCombination(
            company=self.company, role=role, approver=entry.approver
        )
        row.full_clean()
        row.save()
        for unit_type, match, unit in entry.cells:
            value = CostUnitCombinationValue(
                company=self.company,
                combination=row,
                type=unit_type,
                match=match,
                cost_unit=unit,
            )
            value.full_clean()
            value.save()
        existing.add(key)
        self.report.add("cost_unit_approvers", "created")

    def assignment(self, entry: AssignmentEntry) -> None:
        lookup = {**entry.keys, "role": self.known.roles[entry.role]}
        if entry.model._default_manager.filter(company=self.company, **lookup).exists():
            self.report.add(entry.section, "unchanged")
            return
        row = entry.model(company=self.company, **lookup)
        row.full_clean()
        row.save()
        self.report.add(entry.section, "created")

    def membership(self, entry: MembershipEntry) -> None:
        membership = Membership.objects.filter(
            company=self.company, user=entry.user
        ).first()
        if membership is None:
            membership = Membership(
                company=self.company, user=entry.user, **entry.values
            )
            membership.full_clean()
            membership.save()
            self.report.add("memberships", "created")
            return
        changed = [f for f, v in entry.values.items() if getattr(membership, f) != v]
        if not changed:
            self.report.add("memberships", "unchanged")
            return
        for name in changed:
            setattr(membership, name, entry.values[name])
        membership.save(update_fields=[*changed, "updated_at"])
        self.report.add("memberships", "updated")

    def substitute(self, entry: SubstituteEntry) -> None:
        exists = Substitution.objects.filter(
            company=self.company,
            principal=entry.principal,
            substitute=entry.substitute,
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
        ).exists()
        if exists:
            self.report.add("substitutes", "unchanged")
            return
        if self.actor is None:
            raise ApplicationError(
                "substitutes are set through the substitute rules on behalf of a "
                "system administrator: give one (import_config --actor USERNAME)"
            )
        substitution_set(
            company=self.company,
            principal=entry.principal,
            substitute=entry.substitute,
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
            actor=self.actor,
        )
        self.report.add("substitutes", "created")

    # --- workflows ----------------------------------------------------------------------

    def workflows(self, entries: Sequence[WorkflowEntry]) -> None:
        existing = {
            (w.document_type, w.name): w
            for w in Workflow.objects.filter(company=self.company)
        }
        outcome: dict[str, str] = {}
        saved: list[tuple[WorkflowEntry, Workflow]] = []
        for entry in entries:
            definition = self.definition(entry)
            problems = definition_problems(definition, complete=entry.active)
            if problems:
                for problem in problems:
                    self.check.fail(entry.path, problem)
                continue
            workflow = existing.get((entry.document_type, entry.name))

            def save(
                entry: WorkflowEntry = entry,
                workflow: Workflow | None = workflow,
                definition: WorkflowDefinition = definition,
            ) -> None:
                saved.append(
                    (entry, self.save_workflow(entry, workflow, definition, outcome))
                )

            self.attempt(entry.path, save)
        # Activations after every save: activating one deactivates the other of its
        # type, and only then is it clear which of those the file wants inactive.
        for wanted in (True, False):
            for entry, workflow in saved:
                workflow.refresh_from_db()
                if entry.active == wanted and workflow.is_active != wanted:
                    self.attempt(
                        entry.path,
                        lambda w=workflow, on=wanted: self.switch(w, active=on),
                    )
                    outcome.setdefault(entry.path, "updated")
        for entry, _workflow in saved:
            self.report.add("workflows", outcome.get(entry.path, "unchanged"))

    def switch(self, workflow: Workflow, *, active: bool) -> None:
        if active:
            services.workflow_activate(
                workflow=workflow, actor=self.actor, comment=self.comment
            )
        else:
            services.workflow_deactivate(
                workflow=workflow, actor=self.actor, comment=self.comment
            )

    def save_workflow(
        self,
        entry: WorkflowEntry,
        workflow: Workflow | None,
        definition: WorkflowDefinition,
        outcome: dict[str, str],
    ) -> Workflow:
        if workflow is None:
            outcome[entry.path] = "created"
            return services.workflow_create(
                company=self.company,
                document_type=entry.document_type,
                name=entry.name,
                description=definition.description,
                definition=definition,
                actor=self.actor,
                comment=self.comment,
            )
        if not definition_diff(definition_from_workflow(workflow), definition):
            return workflow
        outcome[entry.path] = "updated"
        was_active = workflow.is_active
        if was_active:
            # The live workflow is never edited in place; it is published again with
            # the file's steps (a new version) right after.
            services.workflow_deactivate(
                workflow=workflow, actor=self.actor, comment=self.comment
            )
        services.workflow_save_definition(
            workflow=workflow,
            definition=definition,
            actor=self.actor,
            comment=self.comment,
        )
        if was_active and entry.active:
            services.workflow_activate(
                workflow=workflow, actor=self.actor, comment=self.comment
            )
        return workflow

    def definition(self, entry: WorkflowEntry) -> WorkflowDefinition:
        raw = entry.raw
        people = self.known.employees

        def person(number: object) -> PersonRef:
            employee = people[str(number).strip()]
            return PersonRef(
                employee_id=employee.pk, number=employee.number, name=employee.name
            )

        def persons(numbers: Iterable[object]) -> tuple[PersonRef, ...]:
            return tuple(
                sorted(
                    (person(n) for n in numbers), key=lambda p: (p.name, p.employee_id)
                )
            )

        def limit(name: object) -> LimitRef | None:
            return (
                None
                if name is None
                else LimitRef.from_limit(self.known.limits[str(name).strip()])
            )

        def rule(data: Mapping[str, Any]) -> RuleDefinition:
            role = (
                self.known.roles[str(data["role"]).strip()] if "role" in data else None
            )
            return RuleDefinition(
                kind=data["kind"],
                role_id=role.pk if role else None,
                role_name=role.name if role else "",
                approvers=persons(data.get("approvers") or ()),
            )

        def flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
            value = data.get(key)
            return default if value is None else bool(value)

        eyes = raw.get("four_eyes") or {}
        steps = []
        for position, step in enumerate(raw.get("steps") or [], start=1):
            completion = step.get("completion") or CompletionPolicy.ANY.value
            auto = step.get("auto_approve_as")
            steps.append(
                StepDefinition(
                    position=position,
                    name=str(step["name"]).strip(),
                    condition_kind=step.get("condition") or StepCondition.ALWAYS.value,
                    low_limit=limit(step.get("low_limit")),
                    high_limit=limit(step.get("high_limit")),
                    days=step.get("days"),
                    rules=tuple(rule(r) for r in step.get("rules") or []),
                    mandatory=flag(step, "mandatory", True),
                    completion_policy=completion,
                    required_count=(
                        step.get("required_count") or 1
                        if completion == CompletionPolicy.AT_LEAST
                        else 1
                    ),
                    line_approval=flag(step, "line_approval", False),
                    editing_allowed=flag(step, "editing_allowed", False),
                    reapprove_changes=flag(step, "reapprove_changes", False),
                    auto_approve_as=person(auto) if auto is not None else None,
                    days_to_complete=step.get("days_to_complete") or 5,
                )
            )
        return WorkflowDefinition(
            company_id=self.company.pk,
            document_type=entry.document_type,
            name=entry.name,
            description=str(raw.get("description") or ""),
            four_eyes_enabled=flag(eyes, "enabled", False),
            four_eyes_people=persons(eyes.get("people") or ()),
            skip_when_already_approved=flag(raw, "skip_when_already_approved", False),
            steps=tuple(steps),
        )
