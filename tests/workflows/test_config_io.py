"""Configuration as code: export → import reproduces routing; import is validated as a
whole (every error with its path, nothing written) and idempotent."""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.management import CommandError, call_command

from approval_site.env import BASE_DIR
from orgunits.models import (
    ApproverRole,
    Branch,
    Company,
    Department,
    DepartmentApprover,
    DocumentType,
    Employee,
    Membership,
    Substitution,
)
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
    MembershipFactory,
    ProjectApproverFactory,
    ProjectFactory,
    ProjectTaskFactory,
    RequesterExceptionFactory,
    SubstitutionFactory,
    UserFactory,
    combination,
    routing_types,
    unit,
)
from tests.factories.workflows import (
    LimitFactory,
    definition,
    limit_ref,
    named,
    rule,
    step,
)
from tests.workflows.conftest import line, routing_facts
from workflows.config_io import (
    ConfigError,
    config_dump,
    config_export,
    config_import,
    config_parse,
)
from workflows.definition import LimitRef, WorkflowDefinition, definition_from_workflow
from workflows.engine import Plan, plan
from workflows.models import (
    Limit,
    Step,
    StepRule,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)
from workflows.services import workflow_activate, workflow_create

pytestmark = pytest.mark.django_db
INVOICE = DocumentType.PURCHASE_INVOICE
NAMES = (
    "Rita",
    "Mona",
    "Carl",
    "Cora",
    "Dave",
    "Pete",
    "Tess",
    "Bea",
    "Xena",
    "Nina",
    "Sue",
    "Paula",
)


def erp_data(company: Company) -> dict[str, Employee]:
    """The same ERP-owned rows in any company: segments, units, org units, people."""
    department, product = routing_types(company, "Department", "Product")
    for code in ("R&D", "SALES"):
        unit(department, code)
    for code in ("Beta", "Gamma"):
        unit(product, code)
    for code in ("SALES", "R&D", "01"):
        DepartmentFactory(company=company, code=code, name=code)
    BranchFactory(company=company, code="OSLO", name="Oslo")
    people = {
        n: EmployeeFactory(company=company, name=n, number=n.upper()) for n in NAMES
    }
    people["Rita"].manager = people["Mona"]
    people["Rita"].save(update_fields=["manager"])
    project = ProjectFactory(
        company=company, code="P1", name="Bridge", manager=people["Paula"]
    )
    ProjectTaskFactory(project=project, code="T9")
    return people


def configure(
    company: Company, people: dict[str, Employee], admin: AbstractUser
) -> None:
    """Every kind of setup the file covers, made the way the app makes it."""
    approver = ApproverRoleFactory(
        company=company, name="Approver (default)", is_default=True
    )
    controller = ApproverRoleFactory(company=company, name="Controller")
    combination(
        company, approver, people["Carl"], {"Department": "R&D", "Product": ANY}
    )
    combination(
        company, approver, people["Cora"], {"Department": "R&D", "Product": "Beta"}
    )
    combination(
        company,
        controller,
        people["Dave"],
        {"Department": "SALES", "Product": UNSPECIFIED},
    )
    sales = Department.objects.get(company=company, code="SALES")
    DepartmentApproverFactory(department=sales, role=approver, approver=people["Dave"])
    project = people["Paula"].managed_projects.get()
    ProjectApproverFactory(project=project, role=approver, approver=people["Pete"])
    ProjectApproverFactory(
        task=project.tasks.get(), role=approver, approver=people["Tess"]
    )
    BranchApproverFactory(
        branch=Branch.objects.get(company=company, code="OSLO"),
        role=approver,
        approver=people["Bea"],
    )
    RequesterExceptionFactory(
        requester=people["Rita"], role=controller, approver=people["Xena"]
    )
    SubstitutionFactory(principal=people["Nina"], substitute=people["Sue"])
    MembershipFactory(company=company, user=admin, admin=True)
    MembershipFactory(
        company=company, user=UserFactory(username="auditor"), viewer=True
    )
    small = LimitFactory(
        company=company, name="Small", amounts={"EUR": 1000, "NOK": 10_000}
    )
    LimitFactory(company=company, name="Big", amounts={"EUR": 10_000})
    small_ref = LimitRef.from_limit(small)
    live = definition(
        company,
        step(
            name="Cost unit",
            line_approval=True,
            rules=(rule(StepRule.Kind.COST_UNIT, approver),),
        ),
        step(
            name="Managers",
            condition_kind=Step.Condition.AMOUNT_ABOVE,
            low_limit=small_ref,
            completion_policy="at_least",
            required_count=2,
            rules=(
                rule(StepRule.Kind.DEPARTMENT, approver),
                rule(StepRule.Kind.BRANCH, approver),
                rule(StepRule.Kind.PROJECT, approver),
                rule(StepRule.Kind.PROJECT_MANAGER),
            ),
            mandatory=False,
        ),
        step(
            name="Controller",
            condition_kind=Step.Condition.DUE_IN_DAYS_AT_LEAST,
            days=3,
            rules=(
                rule(StepRule.Kind.REQUESTER_EXCEPTION, controller),
                named(people["Nina"]),
            ),
        ),
        step(name="Manager", rules=(rule(StepRule.Kind.NEAREST_MANAGER),)),
        four_eyes_enabled=True,
        four_eyes_people=named(people["Nina"], people["Sue"]).approvers,
    )
    workflow = workflow_create(
        company=company,
        document_type=INVOICE,
        name="Invoices",
        actor=admin,
        comment="Setup",
        definition=replace(live, name="Invoices"),
    )
    workflow_activate(workflow=workflow, actor=admin, comment="Live")
    draft = definition(
        company,
        step(
            name="Auto",
            condition_kind=Step.Condition.AMOUNT_BELOW,
            high_limit=limit_ref("Big", EUR=10_000),
            auto_approve_as=named(people["Bea"]).approvers[0],
        ),
        document_type=DocumentType.EXPENSE_CLAIM,
    )
    workflow_create(
        company=company,
        document_type=DocumentType.EXPENSE_CLAIM,
        name="Claims draft",
        actor=admin,
        comment="Draft",
        definition=replace(draft, name="Claims draft"),
    )


@pytest.fixture
def admin() -> AbstractUser:
    return UserFactory(username="boss")


@pytest.fixture
def source(admin: AbstractUser) -> Company:
    company = CompanyFactory(code="source")
    configure(company, erp_data(company), admin)
    return company


@pytest.fixture
def target() -> Company:
    company = CompanyFactory(code="target")
    erp_data(company)
    return company


def exported(company: Company) -> dict[str, Any]:
    return config_parse(config_dump(config_export(company=company)))


def active_definition(company: Company) -> WorkflowDefinition:
    return definition_from_workflow(
        Workflow.objects.get(company=company, document_type=INVOICE, is_active=True)
    )


def routing(result: Plan, company: Company) -> list[Any]:
    """A plan by employee numbers, rules, sources and outcomes (no row ids)."""
    numbers = dict(Employee.objects.filter(company=company).values_list("pk", "number"))
    return [
        (
            s.position,
            s.name,
            s.outcome,
            s.reasons,
            sorted(
                (
                    a.employee_number,
                    a.rule,
                    a.source,
                    a.line_numbers,
                    numbers.get(a.substitute_for_id or 0),
                )
                for a in s.approvers
            ),
        )
        for s in result.steps
    ] + [result.blocked, result.blocked_reasons]


FACTS: list[dict[str, Any]] = [
    {"amount": 500, "lines": [line(1, segments={1: "R&D", 2: "Beta"}), line(2, segments={1: "R&D"})]},
    {"amount": "25000", "currency": "NOK", "department_code": "SALES", "branch_code": "OSLO",
     "project_code": "P1", "task_code": "T9", "lines": [line(1, segments={1: "SALES"})]},
    {"amount": 2000, "due_in_days": 1, "requester": "CORA", "lines": [line(1, segments={1: "R&D", 2: "Beta"})]},
    {"amount": 2000, "currency": "SEK"},
]  # fmt: skip


# --- round trip -------------------------------------------------------------------------------


def test_export_then_import_into_an_empty_company_reproduces_routing(
    source: Company, target: Company, admin: AbstractUser
) -> None:
    report = config_import(company=target, data=exported(source), actor=admin)

    assert report.total("created") > 0
    assert report.total("updated") == 0
    for facts in FACTS:
        before = plan(routing_facts(source, **facts), active_definition(source))
        after = plan(routing_facts(target, **facts), active_definition(target))
        assert routing(after, target) == routing(before, source)
    again = exported(target)
    assert again.pop("company") == "target"
    expected = exported(source)
    expected.pop("company")
    assert again == expected


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    source: Company, target: Company, admin: AbstractUser
) -> None:
    data = exported(source)
    config_import(company=target, data=data, actor=admin)
    changes = WorkflowChange.objects.filter(company=target).count()
    versions = WorkflowVersion.objects.filter(company=target).count()

    report = config_import(company=target, data=data, actor=admin)

    assert not report.changed
    assert (
        report.total("unchanged")
        == sum(
            len(data[k])
            for k in data
            if isinstance(data[k], list) and k != "cost_unit_hierarchy"
        )
        + 1
    )
    assert WorkflowChange.objects.filter(company=target).count() == changes
    assert WorkflowVersion.objects.filter(company=target).count() == versions
    assert not config_import(company=source, data=data, actor=admin).changed


def test_a_changed_file_updates_only_what_changed(
    source: Company, target: Company, admin: AbstractUser
) -> None:
    data = exported(source)
    config_import(company=target, data=data, actor=admin)
    changed = copy.deepcopy(data)
    changed["limits"][1]["amounts"]["NOK"] = "20000.00"  # Small
    invoices = changed["workflows"][1]
    invoices["steps"][3]["rules"].append({"kind": "named", "approvers": ["SUE"]})

    report = config_import(company=target, data=changed, actor=admin)

    assert report.counts["limits"] == {"updated": 1, "unchanged": 1}
    assert report.counts["workflows"] == {"updated": 1, "unchanged": 1}
    small = Limit.objects.get(company=target, name="Small")
    assert {a.currency: a.amount for a in small.amounts.all()}["NOK"] == Decimal(
        "20000.00"
    )
    live = Workflow.objects.get(company=target, name="Invoices")
    assert live.is_active
    assert [r.describe() for r in active_definition(target).steps[3].rules] == [
        "nearest manager",
        "named Sue (SUE)",
    ]
    assert WorkflowVersion.objects.filter(workflow=live).count() >= 2


# --- validation ----------------------------------------------------------------------------------


def test_every_error_is_reported_with_its_path_and_nothing_is_written(
    source: Company, target: Company, admin: AbstractUser
) -> None:
    data = exported(source)
    data["workflows"][1]["steps"][0]["rules"] = [
        {"kind": "cost_unit", "role": "Approver (default)"},
        {"kind": "nearest_manager"},
        {"kind": "department", "role": "Controler"},
    ]
    data["workflows"][1]["steps"][1]["low_limit"] = "Smal"
    data["department_approvers"][0]["approver"] = "NOBODY"
    data["limits"][0]["amounts"] = {"EUR": "ten"}
    data["memberships"][0]["rolez"] = True
    data["cost_unit_approvers"][0]["values"]["2"] = "Delta"
    data["project_approvers"].append(
        {"project": "P1", "task": "T1", "role": "Controller", "approver": "TESS"}
    )
    data["workflows"].append(copy.deepcopy(data["workflows"][1]))

    with pytest.raises(ConfigError) as raised:
        config_import(company=target, data=data, actor=admin)

    errors = raised.value.errors
    for expected in (
        'workflows[1].steps[0].rules[2].role: unknown role "Controler"',
        'workflows[1].steps[1].low_limit: unknown limit "Smal"',
        'department_approvers[0].approver: unknown employee "NOBODY"',
        "limits[0].amounts.EUR: 'ten' is not an amount",
        "memberships[0].rolez: unknown key; expected one of approves, system_admin, system_viewer, username",
        'cost_unit_approvers[0].values.2: unknown cost unit "Delta" in segment 2',
        'project_approvers[2].task: unknown task "T1" of project P1',
        'workflows[2].name: workflow "Invoices" is listed twice',
        "workflows[2].active: only one purchase_invoice workflow can be active",
    ):
        assert expected in errors, errors
    assert not ApproverRole.objects.filter(company=target).exists()
    assert not Workflow.objects.filter(company=target).exists()
    assert not Limit.objects.filter(company=target).exists()


def test_a_refused_write_rolls_back_the_whole_import(
    source: Company, target: Company
) -> None:
    data = exported(source)

    with pytest.raises(ConfigError) as raised:
        config_import(company=target, data=data, actor=None)

    assert raised.value.errors == [
        "substitutes[0]: substitutes are set through the substitute rules on behalf of "
        "a system administrator: give one (import_config --actor USERNAME)"
    ]
    assert not ApproverRole.objects.filter(company=target).exists()
    assert not DepartmentApprover.objects.filter(company=target).exists()
    assert not Membership.objects.filter(company=target).exists()
    assert not Substitution.objects.filter(company=target).exists()


def test_a_definition_that_cannot_be_active_is_refused(
    source: Company, target: Company, admin: AbstractUser
) -> None:
    data = exported(source)
    data["workflows"][1]["four_eyes"]["people"] = ["NINA"]

    with pytest.raises(ConfigError) as raised:
        config_import(company=target, data=data, actor=admin)

    assert raised.value.errors == [
        "workflows[1]: 4-eyes approval needs at least two fallback people."
    ]


def test_the_format_and_yaml_numbers_are_checked(target: Company) -> None:
    text = "format: signoff-config/0\ndepartment_approvers:\n- {department: 01, role: X, approver: RITA}\n"

    with pytest.raises(ConfigError) as raised:
        config_import(company=target, data=config_parse(text))

    assert raised.value.errors == [
        "format: expected \"signoff-config/1\", got 'signoff-config/0'",
        'department_approvers[0].department: unknown department "1" (write codes in '
        'quotes, e.g. "01": YAML reads 01 as the number 1)',
        'department_approvers[0].role: unknown role "X"',
    ]
    with pytest.raises(ConfigError, match=r"\(file\): not valid YAML/JSON"):
        config_parse("workflows: [unclosed")


# --- the management commands ----------------------------------------------------------------------


def test_export_and_import_commands(
    source: Company, target: Company, admin: AbstractUser, tmp_path: Path
) -> None:
    yaml_file = tmp_path / "setup.yaml"
    json_file = tmp_path / "setup.json"
    call_command("export_config", "--company", "source", "--output", str(yaml_file))
    call_command(
        "export_config",
        "--company",
        "source",
        "--format",
        "json",
        "--output",
        str(json_file),
    )

    first, second = StringIO(), StringIO()
    call_command(
        "import_config",
        "--company",
        "target",
        "--actor",
        "boss",
        str(yaml_file),
        stdout=first,
    )
    call_command(
        "import_config",
        "--company",
        "target",
        "--actor",
        "boss",
        str(json_file),
        stdout=second,
    )

    assert yaml_file.read_text().startswith(
        "format: signoff-config/1\ncompany: source\n"
    )
    assert "workflows: 2 created, 0 updated, 0 unchanged" in first.getvalue()
    assert "Nothing to change: 0 created, 0 updated" in second.getvalue()
    assert WorkflowChange.objects.filter(
        company=target, comment="Imported from setup.yaml"
    ).exists()


def test_the_import_command_lists_the_problems_and_fails(
    target: Company, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: signoff-config/1\napprover_roles:\n- {name: ''}\n")
    err = StringIO()

    with pytest.raises(CommandError, match=r"Nothing was imported: 1 problem\(s\) in "):
        call_command("import_config", "--company", "target", str(bad), stderr=err)

    assert "approver_roles[0].name: must not be empty" in err.getvalue()
    with pytest.raises(CommandError, match='no company with the code "nope"'):
        call_command("export_config", "--company", "nope")


def test_the_documented_example_imports_and_reimports_unchanged(
    target: Company,
) -> None:
    guide = (BASE_DIR / "docs" / "configuration-as-code.md").read_text()
    example = guide.split("## A complete small example")[1].split("```yaml\n")[1]
    data = config_parse(example.split("```")[0])
    admin = UserFactory(username="admin")
    UserFactory(username="auditor")

    first = config_import(company=target, data=data, actor=admin)
    second = config_import(company=target, data=data, actor=admin)

    assert first.counts["workflows"] == {"created": 1}
    assert first.counts["approver_roles"] == {"created": 2}
    assert not second.changed
    assert Workflow.objects.get(company=target, name="Invoices").is_active
