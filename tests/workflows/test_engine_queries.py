"""`plan` reads a constant number of queries whatever the number of lines."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgunits.models import ApproverRole, Company
from tests.factories.orgunits import (
    ApproverRoleFactory,
    BranchApproverFactory,
    BranchFactory,
    CompanyFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    ProjectApproverFactory,
    ProjectFactory,
    SubstitutionFactory,
    combination,
    routing_types,
)
from tests.factories.workflows import definition, limit_ref, named, person, rule, step
from tests.workflows.conftest import line, routing_facts
from workflows.definition import WorkflowDefinition
from workflows.engine import RoutingFacts, RoutingLine, StepOutcome, plan
from workflows.models import Step, StepRule

MAX_QUERIES = 15
UNITS = 20  # distinct cost units, departments and projects the lines spread over

pytestmark = pytest.mark.django_db


def _org() -> tuple[Company, ApproverRole, WorkflowDefinition]:
    company = CompanyFactory()
    role = ApproverRoleFactory(company=company, name="Approver")
    (department_type,) = routing_types(company, "Department")
    manager = EmployeeFactory(company=company, name="Mona")
    EmployeeFactory(company=company, number="REQ", name="Requester", manager=manager)
    for n in range(UNITS):
        combination(
            company,
            role,
            EmployeeFactory(company=company, name=f"Cost {n:02}"),
            {department_type: f"C{n}"},
        )
        DepartmentApproverFactory(
            department=DepartmentFactory(company=company, code=f"D{n}"),
            role=role,
            approver=EmployeeFactory(company=company, name=f"Dept {n:02}"),
        )
        project = ProjectFactory(
            company=company,
            code=f"P{n}",
            manager=EmployeeFactory(company=company, name=f"PM {n:02}"),
        )
        ProjectApproverFactory(
            project=project,
            role=role,
            approver=EmployeeFactory(company=company, name=f"Proj {n:02}"),
        )
    oslo = BranchFactory(company=company, code="OSLO")
    bea = EmployeeFactory(company=company, name="Bea")
    BranchApproverFactory(branch=oslo, role=role, approver=bea)
    SubstitutionFactory(principal=bea, substitute=EmployeeFactory(company=company))
    named_people = [EmployeeFactory(company=company) for _ in range(3)]
    workflow = definition(
        company,
        step(
            name="Lines",
            line_approval=True,
            rules=(
                rule(StepRule.Kind.COST_UNIT, role),
                rule(StepRule.Kind.DEPARTMENT, role),
                rule(StepRule.Kind.PROJECT, role),
                rule(StepRule.Kind.PROJECT_MANAGER),
            ),
        ),
        step(
            name="Header",
            rules=(
                rule(StepRule.Kind.BRANCH, role),
                rule(StepRule.Kind.NEAREST_MANAGER),
                rule(StepRule.Kind.INITIAL_APPROVER),
                named(*named_people[:2]),
            ),
        ),
        step(
            name="Controller",
            condition_kind=Step.Condition.AMOUNT_ABOVE,
            low_limit=limit_ref("Small", EUR=1000),
            auto_approve_as=person(named_people[2]),
        ),
        four_eyes_enabled=True,
        four_eyes_people=tuple(person(p) for p in named_people),
    )
    return company, role, workflow


def _facts(company: Company, count: int) -> RoutingFacts:
    lines: list[RoutingLine] = [
        line(
            n,
            segments={1: f"C{n % UNITS}"},
            department_code=f"D{(n * 7) % UNITS}",
            project_code=f"P{(n * 3) % UNITS}",
        )
        for n in range(1, count + 1)
    ]
    return routing_facts(
        company,
        amount=50_000,
        requester="REQ",
        initial_approver=None,
        branch_code="OSLO",
        lines=lines,
    )


@pytest.mark.parametrize("few", [1, 20])
def test_plan_runs_the_same_few_queries_for_few_and_200_lines(
    few: int,
    django_assert_num_queries: Callable[[int], AbstractContextManager[object]],
) -> None:
    company, _, workflow = _org()
    one, many = _facts(company, few), _facts(company, 200)

    with CaptureQueriesContext(connection) as captured:
        single = plan(one, workflow)
    measured = len(captured.captured_queries)
    assert measured <= MAX_QUERIES

    with django_assert_num_queries(measured):
        result = plan(many, workflow)

    assert not single.blocked
    assert not result.blocked, result.blocked_reasons
    lines_step = result.steps[0]
    assert lines_step.outcome == StepOutcome.ROUTE
    covered = {n for a in lines_step.approvers for n in a.line_numbers}
    assert covered == set(range(1, 201))
    # Every cost-unit, department, project and project-manager approver takes part.
    assert len(lines_step.approvers) == 4 * UNITS
