"""One company with every kind of assignment, and the table of what the resolver answers.

`test_resolver.py` runs the table on the default database (SQLite locally) and
`test_resolver_postgres.py` reruns it marked `postgres`, so CI proves the same answers on
PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from orgunits.models import ApproverRole, Company, CostUnitType, Employee
from orgunits.resolver import OrgDirectory, OrgFacts, Resolution, Rule
from tests.factories.orgunits import (
    ANY,
    UNSPECIFIED,
    ApproverRoleFactory,
    BranchApproverFactory,
    BranchFactory,
    CompanyFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProjectApproverFactory,
    ProjectFactory,
    ProjectTaskFactory,
    RequesterExceptionFactory,
    SubstitutionFactory,
    combination,
    routing_types,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@dataclass
class World:
    company: Company
    roles: dict[str, ApproverRole]
    people: dict[str, Employee]
    types: dict[str, CostUnitType]
    #: Assignment rows (and projects, requesters, substitutions) by a short name.
    rows: dict[str, int] = field(default_factory=dict)

    def directory(self, *facts: OrgFacts) -> OrgDirectory:
        return OrgDirectory.load(company_id=self.company.pk, facts=facts, at=NOW)


def build_world() -> World:
    """Department (segment 1) over Product (segment 2); each rule has rows in the world."""
    company = CompanyFactory(code="acme", name="Acme")
    roles = {
        "default": ApproverRoleFactory(
            company=company, name="Approver (default)", is_default=True
        ),
        "controller": ApproverRoleFactory(company=company, name="Controller"),
    }
    department, product = routing_types(company, "Department", "Product")
    names = [
        "Alice", "Henry", "Uma", "Frank", "Tom", "Dave", "Wendy", "Fiona", "Dirk",
        "Carl", "Grace", "Ivan", "Mona", "Pete", "Paula", "Tina", "Bob", "Dora",
        "Sam", "Olga", "Nils",
    ]  # fmt: skip
    people = {
        name: EmployeeFactory(company=company, name=name, number=name.upper())
        for name in names
    }
    people["Dave"].active = False
    people["Dave"].save(update_fields=["active"])
    people["Ivan"].manager = people["Mona"]
    people["Ivan"].save(update_fields=["manager"])
    world = World(
        company=company,
        roles=roles,
        people=people,
        types={"Department": department, "Product": product},
    )
    default = roles["default"]

    def cells(department_cell: str | None, product_cell: str | None) -> dict[str, str]:
        return {
            name: cell
            for name, cell in (
                ("Department", department_cell),
                ("Product", product_cell),
            )
            if cell is not None
        }

    # name, role, approver, Department cell, Product cell (None = no value row = Any)
    combinations = [
        ("alice", default, "Alice", "R&D", "Beta"),
        ("henry", default, "Henry", "R&D", ANY),
        ("uma", default, "Uma", "R&D", UNSPECIFIED),
        ("frank", default, "Frank", "OPS", "Gamma"),
        ("tom", default, "Tom", "OPS", "Gamma"),
        ("dave", default, "Dave", "HR", ANY),
        ("wendy", default, "Wendy", "HR", ANY),
        ("fiona", default, "Fiona", "FIN", ANY),
        ("dirk", default, "Dirk", None, "Delta"),
        ("carl", roles["controller"], "Carl", "R&D", ANY),
    ]
    for key, role, approver, dept_cell, product_cell in combinations:
        row = combination(
            company, role, people[approver], cells(dept_cell, product_cell)
        )
        world.rows[key] = row.pk

    d10 = DepartmentFactory(company=company, code="D10", name="Research")
    world.rows["dept_dora"] = DepartmentApproverFactory(
        department=d10, role=default, approver=people["Dora"]
    ).pk
    project = ProjectFactory(
        company=company, code="P1", name="Bridge", manager=people["Pete"]
    )
    world.rows["project_p1"] = project.pk
    task = ProjectTaskFactory(project=project, code="T1")
    ProjectTaskFactory(project=project, code="T2")
    world.rows["project_paula"] = ProjectApproverFactory(
        project=project, role=default, approver=people["Paula"]
    ).pk
    world.rows["task_tina"] = ProjectApproverFactory(
        task=task, role=default, approver=people["Tina"]
    ).pk
    ProjectFactory(company=company, code="P2", name="Nobody's", manager=None)
    b1 = BranchFactory(company=company, code="B1", name="Oslo")
    world.rows["branch_bob"] = BranchApproverFactory(
        branch=b1, role=default, approver=people["Bob"]
    ).pk
    # Ivan heads R&D: his own documents go to Grace (the CFO) instead (DOMAIN §2).
    world.rows["exception_grace"] = RequesterExceptionFactory(
        requester=people["Ivan"], role=default, approver=people["Grace"]
    ).pk
    world.rows["ivan"] = people["Ivan"].pk
    world.rows["sub_sam_for_alice"] = SubstitutionFactory(
        principal=people["Alice"], substitute=people["Sam"], starts_at=NOW - DAY
    ).pk
    SubstitutionFactory(
        principal=people["Henry"],
        substitute=people["Olga"],
        starts_at=NOW - 5 * DAY,
        ends_at=NOW - DAY,
    )
    # Starts tomorrow: not in force at NOW.
    SubstitutionFactory(
        principal=people["Frank"], substitute=people["Nils"], starts_at=NOW + DAY
    )
    return world


@dataclass(frozen=True)
class Expected:
    name: str
    rule: Rule
    source: str
    row: str
    substitute_for: str | None = None


@dataclass(frozen=True)
class Case:
    id: str
    ask: str
    facts: OrgFacts
    expected: tuple[Expected, ...]
    note: str | None = None
    role: str = "default"
    substitutes: bool = False


def resolve(world: World, case: Case) -> Resolution:
    """Ask the directory the way the workflow engine does, for one case of the table."""
    directory = world.directory(case.facts)
    role_id = world.roles[case.role].pk
    facts = case.facts
    if case.ask == "project_manager":
        resolution = directory.project_manager(facts=facts)
    elif case.ask == "nearest_manager":
        resolution = directory.nearest_manager(requester_number=facts.requester_number)
    elif case.ask == "requester_exceptions":
        resolution = directory.requester_exceptions(
            role_id=role_id, requester_number=facts.requester_number
        )
    else:
        resolution = getattr(directory, case.ask)(role_id=role_id, facts=facts)
    return directory.with_substitutes(resolution) if case.substitutes else resolution


def check(world: World, case: Case) -> None:
    resolution = resolve(world, case)
    got = [
        (
            a.employee_name,
            a.rule,
            a.source,
            a.row_id,
            a.substitute_for_id,
        )
        for a in resolution.approvers
    ]
    want = [
        (
            e.name,
            e.rule,
            e.source,
            world.rows[e.row],
            world.people[e.substitute_for].pk if e.substitute_for else None,
        )
        for e in case.expected
    ]
    assert got == want
    if case.note is None:
        assert resolution.notes == ()
    else:
        assert case.note in resolution.notes


def segments(department: str | None, product: str | None = None) -> dict[int, str]:
    return {
        segment: code
        for segment, code in ((1, department), (2, product))
        if code is not None
    }


def cost(department: str | None, product: str | None = None, **kw: str) -> OrgFacts:
    return OrgFacts(segment_values=segments(department, product), **kw)


CU = Rule.COST_UNIT
RD_BETA = "cost-unit combination Department=R&D + Product=Beta"
RD_ANY = "cost-unit combination Department=R&D + Product=Any"

CASES: tuple[Case, ...] = (
    # DOMAIN §2's own example: the specific row wins, Any is only the fallback.
    Case(
        "specific-row-wins-over-any",
        "by_cost_units",
        cost("R&D", "Beta"),
        (Expected("Alice", CU, RD_BETA, "alice"),),
    ),
    Case(
        "any-catches-a-value-without-its-own-row",
        "by_cost_units",
        cost("R&D", "Charlie"),
        (Expected("Henry", CU, RD_ANY, "henry"),),
    ),
    Case(
        "unspecified-beats-any-when-the-lower-segment-is-empty",
        "by_cost_units",
        cost("R&D"),
        (
            Expected(
                "Uma",
                CU,
                "cost-unit combination Department=R&D + Product=(unspecified)",
                "uma",
            ),
        ),
    ),
    Case(
        "an-empty-string-counts-as-an-empty-segment",
        "by_cost_units",
        cost("R&D", ""),
        (
            Expected(
                "Uma",
                CU,
                "cost-unit combination Department=R&D + Product=(unspecified)",
                "uma",
            ),
        ),
    ),
    Case(
        "several-approvers-on-one-combination-are-all-returned",
        "by_cost_units",
        cost("OPS", "Gamma"),
        (
            Expected(
                "Frank",
                CU,
                "cost-unit combination Department=OPS + Product=Gamma",
                "frank",
            ),
            Expected(
                "Tom", CU, "cost-unit combination Department=OPS + Product=Gamma", "tom"
            ),
        ),
    ),
    Case(
        "inactive-approver-is-left-out-with-a-note",
        "by_cost_units",
        cost("HR", "Beta"),
        (
            Expected(
                "Wendy",
                CU,
                "cost-unit combination Department=HR + Product=Any",
                "wendy",
            ),
        ),
        note=(
            "Dave from cost-unit combination Department=HR + Product=Any "
            "is inactive and was left out."
        ),
    ),
    Case(
        "a-higher-segment-value-beats-a-lower-segment-value",
        "by_cost_units",
        cost("FIN", "Delta"),
        (
            Expected(
                "Fiona",
                CU,
                "cost-unit combination Department=FIN + Product=Any",
                "fiona",
            ),
        ),
    ),
    Case(
        "a-type-without-a-value-row-matches-like-any",
        "by_cost_units",
        cost("LEGAL", "Delta"),
        (
            Expected(
                "Dirk",
                CU,
                "cost-unit combination Department=Any + Product=Delta",
                "dirk",
            ),
        ),
    ),
    Case(
        "no-match-is-empty-with-a-note-naming-the-values",
        "by_cost_units",
        cost("LEGAL", "Beta"),
        (),
        note="No cost-unit combination matches Department=LEGAL + Product=Beta.",
    ),
    Case(
        "no-match-names-an-empty-segment",
        "by_cost_units",
        cost(None),
        (),
        note="No cost-unit combination matches Department=(none) + Product=(none).",
    ),
    Case(
        "rows-of-another-role-are-not-used",
        "by_cost_units",
        cost("R&D", "Beta"),
        (Expected("Carl", CU, RD_ANY, "carl"),),
        role="controller",
    ),
    Case(
        "requester-exception-overrides-the-combination-rules",
        "by_cost_units",
        cost("R&D", "Beta", requester_number="IVAN"),
        (
            Expected(
                "Grace",
                Rule.REQUESTER_EXCEPTION,
                "exception for requester Ivan",
                "exception_grace",
            ),
        ),
    ),
    Case(
        "requester-exception-applies-only-to-its-role",
        "by_cost_units",
        cost("R&D", "Beta", requester_number="IVAN"),
        (Expected("Carl", CU, RD_ANY, "carl"),),
        role="controller",
    ),
    Case(
        "requester-without-exception-follows-the-combination-rules",
        "by_cost_units",
        cost("R&D", "Beta", requester_number="MONA"),
        (Expected("Alice", CU, RD_BETA, "alice"),),
    ),
    Case(
        "requester-exception-asked-directly",
        "requester_exceptions",
        OrgFacts(requester_number="IVAN"),
        (
            Expected(
                "Grace",
                Rule.REQUESTER_EXCEPTION,
                "exception for requester Ivan",
                "exception_grace",
            ),
        ),
    ),
    Case(
        "department-approver",
        "by_department",
        OrgFacts(department_code="D10"),
        (Expected("Dora", Rule.DEPARTMENT, "department D10 Research", "dept_dora"),),
    ),
    Case(
        "department-without-approver-is-empty-with-a-note",
        "by_department",
        OrgFacts(department_code="D99"),
        (),
        note="Department D99 has no approver in this role.",
    ),
    Case(
        "requester-exception-overrides-the-department-rule",
        "by_department",
        OrgFacts(department_code="D10", requester_number="IVAN"),
        (
            Expected(
                "Grace",
                Rule.REQUESTER_EXCEPTION,
                "exception for requester Ivan",
                "exception_grace",
            ),
        ),
    ),
    Case(
        "project-task-rows-win-over-project-wide-rows",
        "by_project",
        OrgFacts(project_code="P1", task_code="T1"),
        (Expected("Tina", Rule.PROJECT, "project P1 task T1", "task_tina"),),
    ),
    Case(
        "a-task-without-its-own-rows-uses-the-project-wide-rows",
        "by_project",
        OrgFacts(project_code="P1", task_code="T2"),
        (Expected("Paula", Rule.PROJECT, "project P1", "project_paula"),),
    ),
    Case(
        "project-without-task-uses-the-project-wide-rows",
        "by_project",
        OrgFacts(project_code="P1"),
        (Expected("Paula", Rule.PROJECT, "project P1", "project_paula"),),
    ),
    Case(
        "branch-approver",
        "by_branch",
        OrgFacts(branch_code="B1"),
        (Expected("Bob", Rule.BRANCH, "branch B1 Oslo", "branch_bob"),),
    ),
    Case(
        "document-without-branch-is-empty-with-a-note",
        "by_branch",
        OrgFacts(),
        (),
        note="The document names no branch.",
    ),
    Case(
        "project-manager",
        "project_manager",
        OrgFacts(project_code="P1"),
        (
            Expected(
                "Pete", Rule.PROJECT_MANAGER, "project manager of P1", "project_p1"
            ),
        ),
    ),
    Case(
        "project-without-manager-is-empty-with-a-note",
        "project_manager",
        OrgFacts(project_code="P2"),
        (),
        note="Project P2 has no project manager.",
    ),
    Case(
        "nearest-manager",
        "nearest_manager",
        OrgFacts(requester_number="IVAN"),
        (Expected("Mona", Rule.NEAREST_MANAGER, "nearest manager of Ivan", "ivan"),),
    ),
    Case(
        "requester-without-manager-is-empty-with-a-note",
        "nearest_manager",
        OrgFacts(requester_number="MONA"),
        (),
        note="Mona has no nearest manager.",
    ),
    Case(
        "active-substitute-is-added-on-behalf-of-the-approver",
        "by_cost_units",
        cost("R&D", "Beta"),
        (
            Expected("Alice", CU, RD_BETA, "alice"),
            Expected(
                "Sam",
                CU,
                f"substitute for Alice ({RD_BETA})",
                "sub_sam_for_alice",
                substitute_for="Alice",
            ),
        ),
        substitutes=True,
    ),
    Case(
        "ended-substitute-is-not-added",
        "by_cost_units",
        cost("R&D", "Charlie"),
        (Expected("Henry", CU, RD_ANY, "henry"),),
        substitutes=True,
    ),
    Case(
        "substitute-whose-period-has-not-started-is-not-added",
        "by_cost_units",
        cost("OPS", "Gamma"),
        (
            Expected(
                "Frank",
                CU,
                "cost-unit combination Department=OPS + Product=Gamma",
                "frank",
            ),
            Expected(
                "Tom", CU, "cost-unit combination Department=OPS + Product=Gamma", "tom"
            ),
        ),
        substitutes=True,
    ),
)
