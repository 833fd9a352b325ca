"""The approver resolver answers each rule of DOMAIN §2 and says why (table in
`resolver_cases.py`), plus behaviour that needs its own setup."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from orgunits.models import CostUnitType
from orgunits.resolver import OrgDirectory, OrgFacts, Rule
from tests.factories.orgunits import (
    ApproverRoleFactory,
    BranchApproverFactory,
    CompanyFactory,
    DepartmentApproverFactory,
    EmployeeFactory,
    ProjectApproverFactory,
    ProjectFactory,
    ProjectTaskFactory,
    RequesterExceptionFactory,
    SubstitutionFactory,
    combination,
    routing_types,
)
from tests.orgunits.resolver_cases import CASES, Case, World, build_world, check, cost

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_resolver_table(world: World, case: Case) -> None:
    check(world, case)


def test_reordering_the_hierarchy_changes_the_winner(world: World) -> None:
    """FIN + Any and Any + Delta both match FIN/Delta; the higher segment decides."""
    facts = cost("FIN", "Delta")
    role_id = world.roles["default"].pk
    before = world.directory(facts).by_cost_units(role_id=role_id, facts=facts)
    # Swap the positions through a free slot: (company, position) is unique.
    department, product = world.types["Department"], world.types["Product"]
    CostUnitType.objects.filter(pk=department.pk).update(routing_position=3)
    CostUnitType.objects.filter(pk=product.pk).update(routing_position=1)
    CostUnitType.objects.filter(pk=department.pk).update(routing_position=2)

    after = world.directory(facts).by_cost_units(role_id=role_id, facts=facts)

    assert [a.employee_name for a in before.approvers] == ["Fiona"]
    assert [(a.employee_name, a.source) for a in after.approvers] == [
        ("Dirk", "cost-unit combination Product=Delta + Department=Any")
    ]


def test_a_type_not_used_for_routing_is_ignored(world: World) -> None:
    CostUnitType.objects.filter(pk=world.types["Product"].pk).update(
        routing_position=None
    )
    facts = cost("R&D", "Beta")
    resolution = world.directory(facts).by_cost_units(
        role_id=world.roles["default"].pk, facts=facts
    )
    # Without Product only the Department cell counts: R&D rows tie.
    assert [a.employee_name for a in resolution.approvers] == [
        "Alice",
        "Henry",
        "Uma",
    ]


def test_no_cost_unit_type_selected_is_empty_with_a_note() -> None:
    company = CompanyFactory()
    role = ApproverRoleFactory(company=company)
    facts = cost("R&D")
    directory = OrgDirectory.load(company_id=company.pk, facts=[facts])
    assert directory.by_cost_units(role_id=role.pk, facts=facts).notes == (
        "No cost unit types are selected for routing.",
    )


def test_exception_overrides_even_without_cost_unit_types() -> None:
    role = ApproverRoleFactory()
    exception = RequesterExceptionFactory(role=role)
    facts = cost("R&D", requester_number=exception.requester.number)
    directory = OrgDirectory.load(company_id=role.company_id, facts=[facts])
    resolution = directory.by_cost_units(role_id=role.pk, facts=facts)
    assert [(a.employee_id, a.rule, a.row_id) for a in resolution.approvers] == [
        (exception.approver_id, Rule.REQUESTER_EXCEPTION, exception.pk)
    ]


def test_exception_with_only_inactive_approvers_still_overrides(world: World) -> None:
    """Falling back to the general rule would route around the exception."""
    grace = world.people["Grace"]
    grace.active = False
    grace.save(update_fields=["active"])
    facts = cost("R&D", "Beta", requester_number="IVAN")
    resolution = world.directory(facts).by_cost_units(
        role_id=world.roles["default"].pk, facts=facts
    )
    assert resolution.approvers == ()
    assert resolution.notes == (
        "Grace from exception for requester Ivan is inactive and was left out.",
    )


def test_rows_of_another_company_are_never_used(world: World) -> None:
    other = CompanyFactory(code="other")
    routing_types(other, "Department", "Product")
    role = ApproverRoleFactory(company=other, name="Approver (default)")
    combination(other, role, EmployeeFactory(company=other), {"Department": "LEGAL"})
    facts = cost("LEGAL", "Beta")
    resolution = world.directory(facts).by_cost_units(
        role_id=world.roles["default"].pk, facts=facts
    )
    assert resolution.approvers == ()


def test_substitute_who_is_inactive_is_not_added(world: World) -> None:
    sam = world.people["Sam"]
    sam.active = False
    sam.save(update_fields=["active"])
    facts = cost("R&D", "Beta")
    directory = world.directory(facts)
    resolution = directory.with_substitutes(
        directory.by_cost_units(role_id=world.roles["default"].pk, facts=facts)
    )
    assert [a.employee_name for a in resolution.approvers] == ["Alice"]


def _line_world(count: int) -> list[OrgFacts]:
    """`count` lines, each with its own codes and a row for every rule."""
    company = CompanyFactory(code="lines")
    role = ApproverRoleFactory(company=company)
    routing_types(company, "Department")
    facts = []
    for i in range(count):
        manager = EmployeeFactory(company=company)
        requester = EmployeeFactory(company=company, manager=manager)
        combination(company, role, EmployeeFactory(company=company), {1: f"U{i}"})
        department = DepartmentApproverFactory(company=company, role=role).department
        task = ProjectTaskFactory(
            company=company,
            project=ProjectFactory(
                company=company, manager=EmployeeFactory(company=company)
            ),
        )
        ProjectApproverFactory(task=task, role=role)
        branch = BranchApproverFactory(company=company, role=role).branch
        RequesterExceptionFactory(requester=requester, role=role)
        SubstitutionFactory(principal=manager)
        facts.append(
            OrgFacts(
                requester_number=requester.number,
                segment_values={1: f"U{i}"},
                department_code=department.code,
                project_code=task.project.code,
                task_code=task.code,
                branch_code=branch.code,
            )
        )
    return facts


def test_load_issues_the_same_queries_for_one_line_and_for_200(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    facts = _line_world(200)
    company_id = CostUnitType.objects.get(company__code="lines").company_id
    with CaptureQueriesContext(connection) as one_line:
        OrgDirectory.load(company_id=company_id, facts=facts[:1])

    with django_assert_num_queries(len(one_line.captured_queries)):
        directory = OrgDirectory.load(company_id=company_id, facts=facts)

    # Hierarchy, combinations, their values, departments, projects' rows, branches,
    # exceptions, projects, substitutions, people with their managers.
    assert len(one_line.captured_queries) == 10
    last = facts[-1]
    assert directory.nearest_manager(requester_number=last.requester_number).approvers
    assert directory.project_manager(facts=last).approvers
