"""Who is responsible for a document or line: the approver resolver (DOMAIN §2).

Pure reads. `OrgDirectory.load()` fetches, in a fixed number of queries whatever the number
of lines, every assignment that could matter for the given facts; its methods then answer
in memory. Each answer names the rule and the assignment row that produced it, so the
simulator can explain routing and live routing can record why a task exists.

The facts are plain values (`OrgFacts`), never a document: the workflow engine, the
simulator and tests all call the same code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from orgunits.models import (
    BranchApprover,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    DepartmentApprover,
    Employee,
    Project,
    ProjectApprover,
    RequesterException,
    Substitution,
)


class Rule(StrEnum):
    """How an approver was found; the workflow step rules use the same names."""

    COST_UNIT = "cost_unit"
    DEPARTMENT = "department"
    PROJECT = "project"
    BRANCH = "branch"
    PROJECT_MANAGER = "project_manager"
    NEAREST_MANAGER = "nearest_manager"
    REQUESTER_EXCEPTION = "requester_exception"


@dataclass(frozen=True)
class OrgFacts:
    """What routing knows about one line (or the document header) — codes, not rows."""

    requester_number: str | None = None
    segment_values: Mapping[int, str] = field(default_factory=dict)
    department_code: str | None = None
    project_code: str | None = None
    task_code: str | None = None
    branch_code: str | None = None


@dataclass(frozen=True)
class ResolvedApprover:
    """One approver and why: the rule, a readable source and the assignment row id."""

    employee_id: int
    employee_number: str
    employee_name: str
    rule: Rule
    source: str
    row_id: int | None = None
    substitute_for_id: int | None = None


@dataclass(frozen=True)
class Resolution:
    approvers: tuple[ResolvedApprover, ...]
    notes: tuple[str, ...] = ()

    @property
    def employee_ids(self) -> list[int]:
        return [a.employee_id for a in self.approvers]


_MATCH_RANK = {
    CostUnitCombinationValue.Match.VALUE: 2,
    CostUnitCombinationValue.Match.UNSPECIFIED: 1,
    CostUnitCombinationValue.Match.ANY: 0,
}


@dataclass(frozen=True)
class _Pattern:
    """One combination row laid out in hierarchy order: (match, code) per selected type."""

    row_id: int
    approver_id: int
    cells: tuple[tuple[str, str | None], ...]
    # Compared position by position from the top of the hierarchy: a concrete value
    # beats "(unspecified)", which beats "Any". Computed once, compared per line.
    specificity: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "specificity", tuple(_MATCH_RANK[m] for m, _ in self.cells)
        )

    def matches(self, codes: Sequence[str | None]) -> bool:
        lower_must_be_empty = False
        for (match, code), value in zip(self.cells, codes, strict=True):
            if (
                lower_must_be_empty
                or match == CostUnitCombinationValue.Match.UNSPECIFIED
            ):
                # "(unspecified)": this and every lower segment must be empty.
                lower_must_be_empty = True
                if value:
                    return False
            elif match == CostUnitCombinationValue.Match.VALUE and value != code:
                return False
        return True

    def describe(self, type_names: Sequence[str]) -> str:
        parts = []
        for name, (match, code) in zip(type_names, self.cells, strict=True):
            if match == CostUnitCombinationValue.Match.VALUE:
                parts.append(f"{name}={code}")
            elif match == CostUnitCombinationValue.Match.ANY:
                parts.append(f"{name}=Any")
            else:
                parts.append(f"{name}=(unspecified)")
        return " + ".join(parts)


#: (approver id, assignment row id, readable source) — what a rule found, before checks.
_Found = tuple[int, int | None, str]

_PERSON_FIELDS = ("id", "company_id", "number", "name", "active", "manager_id")


@dataclass(frozen=True, slots=True)
class Person:
    """An employee as routing sees them: the columns it reads, not a model instance."""

    pk: int
    company_id: int
    number: str
    name: str
    active: bool
    manager_id: int | None


@dataclass(frozen=True, slots=True)
class SubstitutionRow:
    """An active substitution: `pk` is the row the plan records as the reason."""

    pk: int
    principal_id: int
    substitute_id: int


@dataclass(frozen=True)
class _ProjectApproverRow:
    approver_id: int
    row_id: int
    task_id: int | None
    task_code: str | None
    source: str


@dataclass(frozen=True)
class _ProjectRow:
    pk: int
    code: str
    manager_id: int | None


class OrgDirectory:
    """The org-unit assignments of one company that a set of facts can touch, in memory.

    Assignments are indexed by (role, code) when loaded, so each lookup is a dict access
    whatever the size of the company.
    """

    def __init__(
        self,
        *,
        company_id: int,
        at: datetime,
        employees: Mapping[int, Person],
        employees_by_number: Mapping[str, Person],
        hierarchy: Sequence[CostUnitType],
        patterns_by_role: Mapping[int, Sequence[_Pattern]],
        departments: Mapping[tuple[int, str], Sequence[_Found]],
        project_approvers: Mapping[tuple[int, str], Sequence[_ProjectApproverRow]],
        branches: Mapping[tuple[int, str], Sequence[_Found]],
        exceptions: Mapping[tuple[int, str], Sequence[_Found]],
        projects: Mapping[str, _ProjectRow],
        substitutes: Mapping[int, Sequence[SubstitutionRow]],
    ) -> None:
        self.company_id = company_id
        self.at = at
        self._employees = employees
        self._employees_by_number = employees_by_number
        self._hierarchy = hierarchy
        self._patterns_by_role = patterns_by_role
        self._departments = departments
        self._project_approvers = project_approvers
        self._branches = branches
        self._exceptions = exceptions
        self._projects = projects
        self._substitutes = substitutes

    # --- loading ----------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        *,
        company_id: int,
        facts: Iterable[OrgFacts],
        extra_employee_ids: Iterable[int] = (),
        extra_employee_numbers: Iterable[str] = (),
        at: datetime | None = None,
    ) -> OrgDirectory:
        """Fetch everything the facts can need, in a constant number of queries.

        At most ten, whatever the number of facts (lines); a query whose codes are all
        absent (no line names a branch, say) is not sent at all. `segment_values` keys
        are segment ids as ints. Rows come as plain values (`values_list`), not model
        instances: building hundreds of instances per routed document was most of the
        time `plan()` spent (see bench/PERF_NOTES.md).
        """
        facts = list(facts)
        moment = at or timezone.now()
        departments = {f.department_code for f in facts if f.department_code}
        project_codes = {f.project_code for f in facts if f.project_code}
        branches = {f.branch_code for f in facts if f.branch_code}
        requesters = {f.requester_number for f in facts if f.requester_number}

        hierarchy = list(
            CostUnitType.objects.filter(
                company_id=company_id, routing_position__isnull=False
            ).order_by("routing_position")
        )
        patterns_by_role = _load_patterns(company_id, hierarchy, facts)

        by_department: dict[tuple[int, str], list[_Found]] = defaultdict(list)
        for pk, role_id, approver_id, code, name in (
            DepartmentApprover.objects.filter(
                company_id=company_id, department__code__in=departments
            )
            .order_by("pk")
            .values_list(
                "pk", "role_id", "approver_id", "department__code", "department__name"
            )
        ):
            by_department[role_id, code].append(
                (approver_id, pk, f"department {code} {name}")
            )
        by_project: dict[tuple[int, str], list[_ProjectApproverRow]] = defaultdict(list)
        for pk, role_id, approver_id, code, task_id, task_code in (
            ProjectApprover.objects.filter(
                company_id=company_id, project__code__in=project_codes
            )
            .order_by("pk")
            .values_list(
                "pk", "role_id", "approver_id", "project__code", "task_id", "task__code"
            )
        ):
            task = f" task {task_code}" if task_id is not None else ""
            by_project[role_id, code].append(
                _ProjectApproverRow(
                    approver_id=approver_id,
                    row_id=pk,
                    task_id=task_id,
                    task_code=task_code,
                    source=f"project {code}{task}",
                )
            )
        by_branch: dict[tuple[int, str], list[_Found]] = defaultdict(list)
        for pk, role_id, approver_id, code, name in (
            BranchApprover.objects.filter(
                company_id=company_id, branch__code__in=branches
            )
            .order_by("pk")
            .values_list("pk", "role_id", "approver_id", "branch__code", "branch__name")
        ):
            by_branch[role_id, code].append((approver_id, pk, f"branch {code} {name}"))
        by_requester: dict[tuple[int, str], list[_Found]] = defaultdict(list)
        for pk, role_id, approver_id, number, name in (
            RequesterException.objects.filter(
                company_id=company_id, requester__number__in=requesters
            )
            .order_by("pk")
            .values_list(
                "pk", "role_id", "approver_id", "requester__number", "requester__name"
            )
        ):
            by_requester[role_id, number].append(
                (approver_id, pk, f"exception for requester {name}")
            )
        projects = {
            code: _ProjectRow(pk=pk, code=code, manager_id=manager_id)
            for pk, code, manager_id in Project.objects.filter(
                company_id=company_id, code__in=project_codes
            ).values_list("pk", "code", "manager_id")
        }
        substitutions = [
            SubstitutionRow(
                pk=pk, principal_id=principal_id, substitute_id=substitute_id
            )
            for pk, principal_id, substitute_id in Substitution.objects.active_at(
                moment
            )
            .filter(company_id=company_id)
            .values_list("pk", "principal_id", "substitute_id")
        ]

        wanted_ids = set(extra_employee_ids)
        for pattern_list in patterns_by_role.values():
            wanted_ids.update(p.approver_id for p in pattern_list)
        for index in (by_department, by_branch, by_requester):
            for found in index.values():
                wanted_ids.update(approver_id for approver_id, _, _ in found)
        for rows in by_project.values():
            wanted_ids.update(r.approver_id for r in rows)
        wanted_ids.update(p.manager_id for p in projects.values() if p.manager_id)
        for sub in substitutions:
            wanted_ids.update((sub.principal_id, sub.substitute_id))
        # The nearest manager is one hop up, so a join brings the requesters' managers
        # in the same query: the query count stays the same whether or not they have
        # one, and whatever the number of requesters.
        fetched = list(
            Employee.objects.filter(company_id=company_id)
            .filter(
                Q(pk__in=wanted_ids)
                | Q(number__in=requesters | set(extra_employee_numbers))
            )
            .values_list(
                *_PERSON_FIELDS, *(f"manager__{name}" for name in _PERSON_FIELDS)
            )
        )
        width = len(_PERSON_FIELDS)
        employees = {row[0]: Person(*row[:width]) for row in fetched}
        for row in fetched:
            manager = row[width:]
            # A manager in another company is not ours to route to (DOMAIN §1).
            if manager[0] is not None and manager[1] == company_id:
                employees.setdefault(manager[0], Person(*manager))
        people = list(employees.values())
        substitutes: dict[int, list[SubstitutionRow]] = defaultdict(list)
        for sub in substitutions:
            substitutes[sub.principal_id].append(sub)
        return cls(
            company_id=company_id,
            at=moment,
            employees=employees,
            employees_by_number={p.number: p for p in people},
            hierarchy=hierarchy,
            patterns_by_role=patterns_by_role,
            departments=by_department,
            project_approvers=by_project,
            branches=by_branch,
            exceptions=by_requester,
            projects=projects,
            substitutes=substitutes,
        )

    # --- lookups ----------------------------------------------------------------------

    def employee(self, employee_id: int) -> Person | None:
        return self._employees.get(employee_id)

    def employee_by_number(self, number: str) -> Person | None:
        return self._employees_by_number.get(number)

    @property
    def hierarchy(self) -> Sequence[CostUnitType]:
        return self._hierarchy

    # --- rules ------------------------------------------------------------------------

    def by_cost_units(self, *, role_id: int, facts: OrgFacts) -> Resolution:
        """The most specific matching cost-unit combination rows for the role."""
        # The exception comes first: it overrides the combination rules even when no
        # cost unit type is selected for routing.
        if exception := self._exception_override(role_id=role_id, facts=facts):
            return exception
        if not self._hierarchy:
            return Resolution((), ("No cost unit types are selected for routing.",))
        codes = [
            facts.segment_values.get(t.segment_id) or None for t in self._hierarchy
        ]
        candidates = [
            p for p in self._patterns_by_role.get(role_id, ()) if p.matches(codes)
        ]
        if not candidates:
            shown = " + ".join(
                f"{t.name}={c or '(none)'}"
                for t, c in zip(self._hierarchy, codes, strict=True)
            )
            return Resolution((), (f"No cost-unit combination matches {shown}.",))
        best = max(p.specificity for p in candidates)
        names = [t.name for t in self._hierarchy]
        found = [
            (p.approver_id, p.row_id, f"cost-unit combination {p.describe(names)}")
            for p in candidates
            if p.specificity == best
        ]
        return self._resolution(Rule.COST_UNIT, found)

    def by_department(self, *, role_id: int, facts: OrgFacts) -> Resolution:
        if exception := self._exception_override(role_id=role_id, facts=facts):
            return exception
        if not facts.department_code:
            return Resolution((), ("The document names no department.",))
        found = self._departments.get((role_id, facts.department_code), ())
        if not found:
            return Resolution(
                (),
                (f"Department {facts.department_code} has no approver in this role.",),
            )
        return self._resolution(Rule.DEPARTMENT, found)

    def by_project(self, *, role_id: int, facts: OrgFacts) -> Resolution:
        """Approvers of the project task if it has its own, else of the whole project."""
        if exception := self._exception_override(role_id=role_id, facts=facts):
            return exception
        if not facts.project_code:
            return Resolution((), ("The document names no project.",))
        rows = self._project_approvers.get((role_id, facts.project_code), ())
        task_rows = [
            r for r in rows if r.task_id is not None and r.task_code == facts.task_code
        ]
        chosen = task_rows or [r for r in rows if r.task_id is None]
        found = [(r.approver_id, r.row_id, r.source) for r in chosen]
        if not found:
            return Resolution(
                (), (f"Project {facts.project_code} has no approver in this role.",)
            )
        return self._resolution(Rule.PROJECT, found)

    def by_branch(self, *, role_id: int, facts: OrgFacts) -> Resolution:
        if exception := self._exception_override(role_id=role_id, facts=facts):
            return exception
        if not facts.branch_code:
            return Resolution((), ("The document names no branch.",))
        found = self._branches.get((role_id, facts.branch_code), ())
        if not found:
            return Resolution(
                (), (f"Branch {facts.branch_code} has no approver in this role.",)
            )
        return self._resolution(Rule.BRANCH, found)

    def project_manager(self, *, facts: OrgFacts) -> Resolution:
        if not facts.project_code:
            return Resolution((), ("The document names no project.",))
        project = self._projects.get(facts.project_code)
        if project is None:
            return Resolution((), (f"Project {facts.project_code} is unknown.",))
        if project.manager_id is None:
            return Resolution((), (f"Project {project.code} has no project manager.",))
        return self._resolution(
            Rule.PROJECT_MANAGER,
            [(project.manager_id, project.pk, f"project manager of {project.code}")],
        )

    def nearest_manager(self, *, requester_number: str | None) -> Resolution:
        requester = self._employees_by_number.get(requester_number or "")
        if requester is None:
            return Resolution((), ("The requester is unknown.",))
        if requester.manager_id is None:
            return Resolution((), (f"{requester.name} has no nearest manager.",))
        return self._resolution(
            Rule.NEAREST_MANAGER,
            [
                (
                    requester.manager_id,
                    requester.pk,
                    f"nearest manager of {requester.name}",
                )
            ],
        )

    def requester_exceptions(
        self, *, role_id: int, requester_number: str | None
    ) -> Resolution:
        found = self._exception_found(
            role_id=role_id, requester_number=requester_number
        )
        if not found:
            return Resolution((), ("The requester has no exception in this role.",))
        return self._resolution(Rule.REQUESTER_EXCEPTION, found)

    def active_substitutes(
        self, employee_id: int
    ) -> list[tuple[SubstitutionRow, Person]]:
        """The active substitutes of one approver with their employee rows."""
        result = []
        for sub in self._substitutes.get(employee_id, ()):
            person = self._employees.get(sub.substitute_id)
            if person is not None and person.active:
                result.append((sub, person))
        return result

    def with_substitutes(self, resolution: Resolution) -> Resolution:
        """The same approvers plus each one's active substitute, marked "on behalf of"."""
        extra: list[ResolvedApprover] = []
        seen = {a.employee_id for a in resolution.approvers}
        for approver in resolution.approvers:
            for sub, person in self.active_substitutes(approver.employee_id):
                if person.pk in seen:
                    continue
                seen.add(person.pk)
                extra.append(
                    ResolvedApprover(
                        employee_id=person.pk,
                        employee_number=person.number,
                        employee_name=person.name,
                        rule=approver.rule,
                        source=f"substitute for {approver.employee_name} ({approver.source})",
                        row_id=sub.pk,
                        substitute_for_id=approver.employee_id,
                    )
                )
        return Resolution((*resolution.approvers, *extra), resolution.notes)

    # --- helpers ----------------------------------------------------------------------

    def _exception_found(
        self, *, role_id: int, requester_number: str | None
    ) -> Sequence[_Found]:
        if requester_number is None:
            return ()
        return self._exceptions.get((role_id, requester_number), ())

    def _exception_override(
        self, *, role_id: int, facts: OrgFacts
    ) -> Resolution | None:
        """A requester exception for the role replaces the general assignment rules.

        It does so even when its approvers are all inactive: falling back to the general
        rule would hand the requester's documents to exactly the people the exception
        was made to avoid, so the empty answer (with its notes) stands.
        """
        if not facts.requester_number:
            return None
        found = self._exception_found(
            role_id=role_id, requester_number=facts.requester_number
        )
        if not found:
            return None
        return self._resolution(Rule.REQUESTER_EXCEPTION, found)

    def _resolution(self, rule: Rule, found: Iterable[_Found]) -> Resolution:
        approvers: list[ResolvedApprover] = []
        notes: list[str] = []
        seen: set[int] = set()
        for employee_id, row_id, source in found:
            if employee_id in seen:
                continue
            seen.add(employee_id)
            person = self._employees.get(employee_id)
            if person is None:
                notes.append(f"Approver #{employee_id} from {source} does not exist.")
                continue
            if not person.active:
                notes.append(
                    f"{person.name} from {source} is inactive and was left out."
                )
                continue
            approvers.append(
                ResolvedApprover(
                    employee_id=person.pk,
                    employee_number=person.number,
                    employee_name=person.name,
                    rule=rule,
                    source=source,
                    row_id=row_id,
                )
            )
        approvers.sort(key=lambda a: (a.employee_name, a.employee_id))
        return Resolution(tuple(approvers), tuple(notes))


def _load_patterns(
    company_id: int, hierarchy: Sequence[CostUnitType], facts: Sequence[OrgFacts]
) -> dict[int, list[_Pattern]]:
    """The combination rows that could match some of the facts, by role; two queries.

    A row with a concrete value on a routing type matches only facts carrying that code,
    so rows naming a code no fact carries are left in the database: a company with
    thousands of combinations loads only the few a document can touch.
    """
    patterns_by_role: dict[int, list[_Pattern]] = defaultdict(list)
    if not hierarchy:
        return patterns_by_role  # by_cost_units answers without combinations
    foreign_value = Q()
    for unit_type in hierarchy:
        codes = {f.segment_values.get(unit_type.segment_id) for f in facts} - {None, ""}
        foreign_value |= (
            Q(type_id=unit_type.pk) & ~Q(cost_unit__code__in=codes)
            if codes
            else Q(type_id=unit_type.pk)
        )
    rows = list(
        CostUnitCombination.objects.filter(company_id=company_id)
        .exclude(
            Exists(
                CostUnitCombinationValue.objects.filter(
                    foreign_value,
                    combination_id=OuterRef("pk"),
                    match=CostUnitCombinationValue.Match.VALUE,
                )
            )
        )
        .order_by("id")
        .values_list("pk", "role_id", "approver_id")
    )
    if not rows:
        return patterns_by_role
    type_ids = {t.pk for t in hierarchy}
    cells_of: dict[int, dict[int, tuple[str, str | None]]] = defaultdict(dict)
    for combination_id, type_id, match, code in CostUnitCombinationValue.objects.filter(
        company_id=company_id,
        combination_id__in=[pk for pk, _, _ in rows],
        type_id__in=type_ids,
    ).values_list("combination_id", "type_id", "match", "cost_unit__code"):
        cells_of[combination_id][type_id] = (match, code)
    any_cell = (CostUnitCombinationValue.Match.ANY.value, None)
    for pk, role_id, approver_id in rows:
        by_type = cells_of.get(pk, {})
        cells = tuple(by_type.get(t.pk, any_cell) for t in hierarchy)
        patterns_by_role[role_id].append(
            _Pattern(row_id=pk, approver_id=approver_id, cells=cells)
        )
    return patterns_by_role
