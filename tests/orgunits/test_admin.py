"""The orgunits admin: every page loads, synced rows stay read-only, services decide."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractUser, User
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgunits.demo import DemoSummary
from orgunits.models import (
    ApproverRole,
    Branch,
    BranchApprover,
    Company,
    CostUnit,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    Department,
    DepartmentApprover,
    Employee,
    Membership,
    Project,
    ProjectApprover,
    ProjectTask,
    RequesterException,
    Subaccount,
    Substitution,
)
from orgunits.services_company import company_create

pytestmark = pytest.mark.django_db

ORGUNIT_MODELS: list[type[Model]] = [
    Company,
    Membership,
    Employee,
    CostUnitType,
    CostUnit,
    Subaccount,
    Department,
    Project,
    ProjectTask,
    Branch,
    ApproverRole,
    CostUnitCombination,
    CostUnitCombinationValue,
    DepartmentApprover,
    ProjectApprover,
    BranchApprover,
    RequesterException,
    Substitution,
]


@pytest.fixture
def demo(demo_company_for_module: DemoSummary, db: None) -> DemoSummary:
    return demo_company_for_module


@pytest.fixture
def admin_user_(demo: DemoSummary) -> AbstractUser:
    return demo.users["admin"]


@pytest.fixture
def client_(client: Client, admin_user_: AbstractUser) -> Client:
    client.force_login(admin_user_)
    return client


def url(model: type[Model], action: str, *args: object) -> str:
    return reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args
    )


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


def management_form(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


# --- every page loads -----------------------------------------------------------------


@pytest.mark.parametrize("model", [*ORGUNIT_MODELS, User], ids=lambda m: m.__name__)
def test_changelist_add_and_change_pages_load(
    client_: Client, model: type[Model], django_assert_max_num_queries
) -> None:
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the demo has no {model.__name__}"
    # A constant bound: one query per row (an N+1) would exceed it with the demo's
    # 20 employees, 14 combination values, 12 subaccounts...
    with django_assert_max_num_queries(10):
        response = client_.get(url(model, "changelist"))
    assert response.status_code == 200
    assert client_.get(url(model, "add")).status_code == 200
    assert client_.get(url(model, "change", row.pk)).status_code == 200


def test_changelists_filter_by_company(client_: Client) -> None:
    company_create(code="other", name="Other AS", currency="SEK")  # two to choose from
    for model in ORGUNIT_MODELS[1:]:
        response = client_.get(url(model, "changelist"))
        filters = [spec.title for spec in response.context["cl"].filter_specs]
        assert "company" in filters, model.__name__


def test_user_admin_shows_roles_per_company(client_: Client, demo: DemoSummary) -> None:
    response = client_.get(url(User, "change", demo.users["alice"].pk))
    assert response.status_code == 200
    assert b"roles per company" in response.content.lower()
    assert b'name="memberships-0-approves_time_sheets"' in response.content


# --- ERP-synced rows: read-only, except their approver assignments --------------------


def department_post(department: Department, **extra: str) -> dict[str, str]:
    rows = list(department.approvers.order_by("pk"))
    data = {
        "name": "Renamed by hand",
        **management_form("approvers", len(rows) + 1, len(rows)),
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        data |= {
            f"approvers-{i}-id": str(row.pk),
            f"approvers-{i}-department": str(department.pk),
            f"approvers-{i}-role": str(row.role_id),
            f"approvers-{i}-approver": str(row.approver_id),
        }
    data[f"approvers-{len(rows)}-department"] = str(department.pk)
    return data | extra


def test_synced_department_is_read_only_but_its_approvers_are_editable(
    client_: Client, demo: DemoSummary
) -> None:
    rnd = Department.objects.get(company=demo.company, code="20")
    assert rnd.erp_synced
    page = client_.get(url(Department, "change", rnd.pk))
    assert b'name="name"' not in page.content
    assert b'name="approvers-0-approver"' in page.content
    new = len(list(rnd.approvers.all()))
    data = department_post(
        rnd,
        **{
            f"approvers-{new}-role": str(demo.roles["Controller"].pk),
            f"approvers-{new}-approver": str(demo.employees["1007"].pk),
        },
    )

    response = client_.post(url(Department, "change", rnd.pk), data)

    assert response.status_code == 302, response.context["errors"]
    rnd.refresh_from_db()
    assert rnd.name == "R&D"
    added = DepartmentApprover.objects.get(department=rnd, role__name="Controller")
    assert added.approver == demo.employees["1007"]
    assert added.company == demo.company


def test_synced_department_cannot_be_deleted(
    client_: Client, demo: DemoSummary
) -> None:
    rnd = Department.objects.get(company=demo.company, code="20")
    assert client_.get(url(Department, "delete", rnd.pk)).status_code == 403
    response = client_.post(
        url(Department, "changelist"),
        {"action": "delete_selected", "_selected_action": [rnd.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Department.objects.filter(pk=rnd.pk).exists()


def test_inline_refuses_an_approver_of_another_company(
    client_: Client, demo: DemoSummary
) -> None:
    other = company_create(code="other", name="Other AS", currency="SEK")
    stranger = Employee.objects.create(company=other, number="9", name="Stranger")
    rnd = Department.objects.get(company=demo.company, code="20")
    new = rnd.approvers.count()
    data = department_post(
        rnd,
        **{
            f"approvers-{new}-role": str(demo.roles["Controller"].pk),
            f"approvers-{new}-approver": str(stranger.pk),
        },
    )

    response = client_.post(url(Department, "change", rnd.pk), data)

    assert response.status_code == 200
    assert not DepartmentApprover.objects.filter(approver=stranger).exists()


def test_assignment_admin_refuses_rows_of_another_company(
    client_: Client, demo: DemoSummary
) -> None:
    other = company_create(code="other", name="Other AS", currency="SEK")
    stranger = Employee.objects.create(company=other, number="9", name="Stranger")
    rnd = Department.objects.get(company=demo.company, code="20")

    response = client_.post(
        url(DepartmentApprover, "add"),
        {
            "company": demo.company.pk,
            "department": rnd.pk,
            "role": demo.roles["Controller"].pk,
            "approver": stranger.pk,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["approver"] == [
        "This belongs to another company."
    ]
    assert not DepartmentApprover.objects.filter(approver=stranger).exists()


def test_local_department_is_editable(client_: Client, demo: DemoSummary) -> None:
    response = client_.post(
        url(Department, "add"),
        {"company": demo.company.pk, "code": "99", "name": "Local", "active": "on"}
        | management_form("approvers", 0, 0),
    )
    assert response.status_code == 302
    local = Department.objects.get(company=demo.company, code="99")
    assert not local.erp_synced

    response = client_.post(
        url(Department, "change", local.pk),
        {"code": "99", "name": "Renamed", "active": "on"}
        | management_form("approvers", 0, 0),
    )

    assert response.status_code == 302
    local.refresh_from_db()
    assert local.name == "Renamed"
    assert local.company == demo.company


def test_synced_cost_unit_type_keeps_its_routing_position_editable(
    client_: Client, demo: DemoSummary
) -> None:
    cost_centre = CostUnitType.objects.get(company=demo.company, segment_id=2)

    response = client_.post(
        url(CostUnitType, "change", cost_centre.pk),
        {"routing_position": "", "name": "Renamed"},
    )

    assert response.status_code == 302
    cost_centre.refresh_from_db()
    assert cost_centre.routing_position is None
    assert cost_centre.name == "Cost centre"


def test_synced_employee_gets_a_local_manager_through_the_service(
    client_: Client, demo: DemoSummary
) -> None:
    per = demo.employees["1010"]
    prefix = _requester_prefix(client_, per)

    response = client_.post(
        url(Employee, "change", per.pk),
        {"manager": str(demo.employees["1003"].pk), "name": "Renamed"}
        | management_form(prefix, 0, 0),
    )

    assert response.status_code == 302
    per.refresh_from_db()
    assert per.manager == demo.employees["1003"]
    assert per.manager_source == Employee.ManagerSource.LOCAL
    assert per.name == "Per Hansen"


def test_employee_manager_loop_is_refused_with_the_service_message(
    client_: Client, demo: DemoSummary
) -> None:
    ceo = demo.employees["1001"]
    prefix = _requester_prefix(client_, ceo)

    response = client_.post(
        url(Employee, "change", ceo.pk),
        {"manager": str(demo.employees["1010"].pk)} | management_form(prefix, 0, 0),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "would make a loop of managers" in errors[0]
    ceo.refresh_from_db()
    assert ceo.manager is None


def _requester_prefix(client: Client, employee: Employee) -> str:
    page = client.get(url(Employee, "change", employee.pk))
    (formset,) = page.context["inline_admin_formsets"]
    return str(formset.formset.prefix)


# --- substitutes go through the service -----------------------------------------------


def substitution_post(
    demo: DemoSummary, principal: str, substitute: str
) -> dict[str, str]:
    start = timezone.localtime() + timedelta(days=30)
    return {
        "company": str(demo.company.pk),
        "principal": str(demo.employees[principal].pk),
        "substitute": str(demo.employees[substitute].pk),
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": "",
        "ends_at_1": "",
    }


def test_substitution_admin_refuses_self_substitution_with_the_service_message(
    client_: Client, demo: DemoSummary
) -> None:
    before = Substitution.objects.count()

    response = client_.post(
        url(Substitution, "add"), substitution_post(demo, "1006", "1006")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["A person cannot be their own substitute."]
    }
    assert Substitution.objects.count() == before


def test_substitution_admin_saves_through_the_service(
    client_: Client, demo: DemoSummary
) -> None:
    response = client_.post(
        url(Substitution, "add"), substitution_post(demo, "1006", "1003"), follow=True
    )

    assert response.status_code == 200
    row = Substitution.objects.get(principal=demo.employees["1006"])
    assert row.substitute == demo.employees["1003"]
    assert row.created_by == demo.users["admin"]
    assert row.company == demo.company


def test_substitution_rows_are_not_edited_but_ended(
    client_: Client, demo: DemoSummary
) -> None:
    row = Substitution.objects.get(company=demo.company)
    page = client_.get(url(Substitution, "change", row.pk))
    assert page.status_code == 200
    assert b'name="substitute"' not in page.content  # view only

    client_.post(
        url(Substitution, "changelist"),
        {"action": "end_now", "_selected_action": [row.pk]},
    )

    row.refresh_from_db()
    assert row.ends_at is not None
    assert row.ends_at <= timezone.now()


# --- companies and roles --------------------------------------------------------------


def test_company_added_in_the_admin_gets_its_default_role(client_: Client) -> None:
    response = client_.post(
        url(Company, "add"), {"code": "fjord", "name": "Fjord AS", "currency": "EUR"}
    )

    assert response.status_code == 302
    company = Company.objects.get(code="fjord")
    assert list(
        ApproverRole.objects.filter(company=company).values_list("name", "is_default")
    ) == [("Approver (default)", True)]


def test_company_admin_explains_a_bad_currency(client_: Client) -> None:
    response = client_.post(
        url(Company, "add"), {"code": "fjord", "name": "Fjord AS", "currency": "eur"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["currency"] == [
        "Currency must be an ISO 4217 code of three capital letters, e.g. NOK."
    ]
    assert not Company.objects.filter(code="fjord").exists()


def test_default_role_cannot_be_deleted_and_others_take_their_assignments(
    client_: Client, demo: DemoSummary
) -> None:
    default = demo.roles["Approver (default)"]
    assert client_.get(url(ApproverRole, "delete", default.pk)).status_code == 403
    controller = demo.roles["Controller"]
    assert BranchApprover.objects.filter(role=controller).exists()

    response = client_.post(url(ApproverRole, "delete", controller.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not ApproverRole.objects.filter(pk=controller.pk).exists()
    assert not BranchApprover.objects.filter(role_id=controller.pk).exists()
    assert not ProjectApprover.objects.filter(role_id=controller.pk).exists()


def test_project_approver_task_must_belong_to_the_project(
    client_: Client, demo: DemoSummary
) -> None:
    p100 = Project.objects.get(company=demo.company, code="P100")
    p200_task = ProjectTask.objects.get(project__code="P200", code="01")

    response = client_.post(
        url(ProjectApprover, "add"),
        {
            "company": demo.company.pk,
            "project": p100.pk,
            "task": p200_task.pk,
            "role": demo.roles["Controller"].pk,
            "approver": demo.employees["1007"].pk,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["task"] == [
        "This task belongs to another project."
    ]


def test_combination_value_must_match_its_type(
    client_: Client, demo: DemoSummary
) -> None:
    combination = CostUnitCombination.objects.filter(company=demo.company).first()
    assert combination is not None
    beta = CostUnit.objects.get(company=demo.company, type__segment_id=2, code="B")
    department = CostUnitType.objects.get(company=demo.company, segment_id=1)

    response = client_.post(
        url(CostUnitCombinationValue, "add"),
        {
            "company": demo.company.pk,
            "combination": combination.pk,
            "type": department.pk,
            "match": "value",
            "cost_unit": beta.pk,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cost_unit"] == [
        "This value belongs to another cost unit type."
    ]


def test_requester_exception_inline_on_a_synced_employee(
    client_: Client, demo: DemoSummary
) -> None:
    per = demo.employees["1010"]
    prefix = _requester_prefix(client_, per)

    response = client_.post(
        url(Employee, "change", per.pk),
        {
            **management_form(prefix, 1, 0),
            f"{prefix}-0-requester": str(per.pk),
            f"{prefix}-0-role": str(demo.roles["Approver (default)"].pk),
            f"{prefix}-0-approver": str(demo.employees["1002"].pk),
        },
    )

    assert response.status_code == 302
    row = RequesterException.objects.get(requester=per)
    assert (row.approver, row.company) == (demo.employees["1002"], demo.company)
