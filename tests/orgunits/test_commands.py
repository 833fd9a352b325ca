"""Management commands: create_company, load_demo, demo_banner."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from pytest_django import Settings

from orgunits import demo
from orgunits.demo import DEMO_PASSWORD, DemoSummary, register_demo_loader
from orgunits.models import (
    ApproverRole,
    BranchApprover,
    Company,
    CostUnitCombination,
    CostUnitCombinationValue,
    DepartmentApprover,
    Employee,
    Membership,
    ProjectApprover,
    RequesterException,
    Substitution,
)
from orgunits.resolver import OrgDirectory, OrgFacts

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_mode(settings: Settings) -> None:
    settings.SIGNOFF_DEMO_MODE = True


# --- create_company -------------------------------------------------------------------


def test_create_company_creates_the_company_and_its_default_role() -> None:
    out = run("create_company", "fjord", "--name", "Fjord AS", "--currency", "NOK")

    company = Company.objects.get(code="fjord")
    assert (company.name, company.currency, company.is_active) == (
        "Fjord AS",
        "NOK",
        True,
    )
    roles = ApproverRole.objects.filter(company=company)
    assert [(r.name, r.is_default) for r in roles] == [("Approver (default)", True)]
    assert "Created company Fjord AS (fjord, NOK)" in out


def test_create_company_refuses_a_code_in_use() -> None:
    run("create_company", "fjord", "--name", "Fjord AS", "--currency", "NOK")

    with pytest.raises(
        CommandError, match=r"code: Company with this Code already exists\."
    ):
        run("create_company", "fjord", "--name", "Other", "--currency", "SEK")
    assert Company.objects.get(code="fjord").name == "Fjord AS"


@pytest.mark.parametrize("currency", ["nok", "NO", "NOKK", "N0K"])
def test_create_company_refuses_a_bad_currency(currency: str) -> None:
    with pytest.raises(
        CommandError, match="currency: Currency must be an ISO 4217 code of three"
    ):
        run("create_company", "fjord", "--name", "Fjord AS", "--currency", currency)
    assert not Company.objects.exists()


def test_create_company_refuses_a_code_that_is_not_a_slug() -> None:
    with pytest.raises(CommandError, match=r"^code: Enter a valid “slug”"):
        run("create_company", "fjord as", "--name", "Fjord AS", "--currency", "NOK")
    assert not Company.objects.exists()


# --- load_demo ------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    models = [*apps.get_app_config("orgunits").get_models(), get_user_model()]
    return {m._meta.label: m._default_manager.count() for m in models}


def test_load_demo_refuses_outside_demo_mode(settings: Settings) -> None:
    settings.SIGNOFF_DEMO_MODE = False
    with pytest.raises(CommandError, match="set SIGNOFF_DEMO_MODE=true"):
        run("load_demo")
    assert not Company.objects.exists()
    run("load_demo", "--allow-outside-demo-mode")
    assert Company.objects.filter(code="demo").exists()


def test_load_demo_twice_changes_nothing(demo_mode: None) -> None:
    first = run("load_demo")
    counts = row_counts()
    stamps = sorted(Employee.objects.values_list("pk", "updated_at"))

    second = run("load_demo")

    assert "Nordlys Demo AS (demo) is loaded" in first
    assert "0 rows created, 0 updated" in second
    assert row_counts() == counts
    assert sorted(Employee.objects.values_list("pk", "updated_at")) == stamps
    assert all(counts[label] > 0 for label in counts), counts


def test_load_demo_restores_what_was_changed_by_hand(demo_mode: None) -> None:
    run("load_demo")
    Employee.objects.filter(number="1006").update(name="Someone Else")
    Membership.objects.filter(user__username="carina").update(approves_time_sheets=True)

    out = run("load_demo")

    assert "0 rows created, 2 updated" in out
    assert Employee.objects.get(number="1006").name == "Alice Andersen"
    assert not Membership.objects.get(user__username="carina").approves_time_sheets


@pytest.fixture
def loaded(demo_mode: None) -> Company:
    run("load_demo")
    return Company.objects.get(code="demo")


def test_demo_company(loaded: Company) -> None:
    assert (loaded.name, loaded.currency) == ("Nordlys Demo AS", "NOK")
    assert sorted(
        ApproverRole.objects.filter(company=loaded).values_list("name", flat=True)
    ) == [
        "Approver (default)",
        "Controller",
        "Department manager",
    ]
    assert Employee.objects.filter(company=loaded).count() == 20
    assert Employee.objects.filter(company=loaded, manager__isnull=True).count() == 1
    assert not Employee.objects.filter(company=loaded, email="").exists()


def test_demo_has_every_assignment_kind(loaded: Company) -> None:
    for model in (
        CostUnitCombination,
        DepartmentApprover,
        BranchApprover,
        RequesterException,
    ):
        assert model.objects.filter(company=loaded).exists(), model.__name__
    assert ProjectApprover.objects.filter(company=loaded, task__isnull=True).exists()
    assert ProjectApprover.objects.filter(company=loaded, task__isnull=False).exists()
    matches = set(
        CostUnitCombinationValue.objects.filter(company=loaded).values_list(
            "match", flat=True
        )
    )
    assert matches == {"value", "any", "unspecified"}
    exception = RequesterException.objects.select_related("requester", "approver").get(
        company=loaded, role__is_default=True
    )
    assert (exception.requester.name, exception.approver.name) == (
        "Henry Haugen",
        "Frode Nilsen",
    )
    (substitution,) = Substitution.objects.active_at().filter(company=loaded)
    assert substitution.principal.name == "Susan Strand"


def test_demo_routes_the_domain_example(loaded: Company) -> None:
    """DOMAIN §2: R&D + Beta → Alice, R&D + Any → Henry; R&D/Charlie goes to Henry."""
    role = ApproverRole.objects.get(company=loaded, is_default=True)
    facts = {code: OrgFacts(segment_values={1: "20", 2: code}) for code in ("B", "C")}
    directory = OrgDirectory.load(company_id=loaded.pk, facts=facts.values())

    def names(code: str) -> list[str]:
        resolution = directory.by_cost_units(role_id=role.pk, facts=facts[code])
        return [a.employee_name for a in resolution.approvers]

    assert names("B") == ["Alice Andersen"]
    assert names("C") == ["Henry Haugen"]


def test_demo_logins(loaded: Company) -> None:
    users = {u.username: u for u in get_user_model().objects.all()}
    assert {"admin", "viewer", "alice", "henry", "carina", "susan", "cfo"} <= set(users)
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert users["admin"].is_superuser
    assert users["admin"].is_staff
    assert not users["alice"].is_staff
    roles = {m.user.username: m for m in Membership.objects.select_related("user")}
    assert roles["admin"].is_system_admin
    assert set(roles["admin"].approvable_types) == {
        "purchase_invoice",
        "time_sheet",
        "expense_claim",
    }
    assert roles["viewer"].is_system_viewer
    assert not roles["viewer"].approvable_types
    assert roles["carina"].approvable_types == ["purchase_invoice"]
    assert Employee.objects.get(user=users["alice"]).name == "Alice Andersen"
    assert Employee.objects.get(user=users["cfo"]).name == "Frode Nilsen"


def test_later_apps_extend_the_demo_with_loaders(
    demo_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "_loaders", [])
    seen: list[DemoSummary] = []

    @register_demo_loader
    def add_documents(summary: DemoSummary) -> None:
        seen.append(summary)
        summary.ensure(
            ApproverRole, company=summary.company, name="Auditor", defaults={}
        )

    register_demo_loader(add_documents)  # registering twice runs it once
    run("load_demo")
    run("load_demo")

    assert len(seen) == 2
    assert seen[0].employees["1006"].name == "Alice Andersen"
    assert ApproverRole.objects.filter(name="Auditor").count() == 1


# --- demo_banner ----------------------------------------------------------------------


def test_demo_banner_prints_the_url_and_the_logins(loaded: Company) -> None:
    out = run("demo_banner", "--url", "http://127.0.0.1:8765")

    assert "open http://127.0.0.1:8765/" in out
    assert "http://127.0.0.1:8765/django-admin/" in out
    assert f"password for every login: {DEMO_PASSWORD}" in out
    lines = {
        line.split()[0]: line for line in out.splitlines() if line.startswith("  ")
    }
    assert "system administrator" in lines["admin"]
    assert "Django admin" in lines["admin"]
    assert "system viewer" in lines["viewer"]
    assert "Alice Andersen" in lines["alice"]
    assert "approves purchase invoice" in lines["carina"]


def test_demo_banner_without_the_demo() -> None:
    out = run("demo_banner", "--url", "http://127.0.0.1:8000/")
    assert "The demo company is not loaded" in out
