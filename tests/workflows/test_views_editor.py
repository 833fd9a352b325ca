"""The workflow editor pages through the test client: list, create, edit, activate,
change log, limits; administrators change, viewers only look, others get 404."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from orgunits.models import ApproverRole, Company, DocumentType, Employee
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    MembershipFactory,
)
from tests.factories.workflows import LimitFactory, definition, named, step
from workflows.definition import definition_from_workflow
from workflows.models import Limit, Workflow, WorkflowChange, WorkflowVersion
from workflows.services import workflow_activate, workflow_create

pytestmark = pytest.mark.django_db
INVOICE = DocumentType.PURCHASE_INVOICE


# --- helpers shared with the simulator view tests --------------------------------------------


class _FormReader(HTMLParser):
    """The values a browser would post from the page's POST form(s)."""

    def __init__(self, form_class: str | None) -> None:
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.multiple = False
        self.first_option: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            classes = (a.get("class") or "").split()
            self.inside = self.form_class is None or self.form_class in classes
            return
        if not self.inside:
            return
        if tag == "option" and self.select is not None:
            value = a.get("value") or ""
            if self.first_option is None:
                self.first_option = value
            if "selected" in a:
                self.data[self.select].append(value)
            return
        name = a.get("name")
        if not name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self.data.setdefault(name, []).append("on")
            elif kind not in ("submit", "button"):
                self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select":
            self.select, self.multiple, self.first_option = name, "multiple" in a, None
            self.data.setdefault(name, [])
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            # A single select with nothing selected posts its first option.
            if not self.multiple and not self.data[self.select]:
                self.data[self.select] = [self.first_option or ""]
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea][0] += data


def form_data(html: bytes, form_class: str | None = None) -> dict[str, list[str]]:
    reader = _FormReader(form_class)
    reader.feed(html.decode())
    # A browser drops the newline right after <textarea>.
    return {
        k: [v.removeprefix("\n") for v in values] for k, values in reader.data.items()
    }


@dataclass
class Site:
    company: Company
    admin: AbstractUser
    viewer: AbstractUser
    approver: AbstractUser
    outsider: AbstractUser
    role: ApproverRole
    alice: Employee
    bob: Employee
    small: Limit

    def url(self, path: str = "") -> str:
        return f"/c/{self.company.code}/workflows/{path}"

    def draft(self, name: str = "Invoices") -> Workflow:
        return workflow_create(
            company=self.company,
            document_type=INVOICE,
            name=name,
            actor=self.admin,
            comment="Start",
            definition=replace(
                definition(
                    self.company, step(name="Approver", rules=(named(self.alice),))
                ),
                name=name,
            ),
        )


def build_site() -> Site:
    """Acme (NOK): an admin, a viewer, a plain approver, an outsider from another
    company; Alice and Bob may approve invoices; Bob manages department 10."""
    company = CompanyFactory(code="acme", currency="NOK")
    other = CompanyFactory(code="other")
    admin = MembershipFactory(company=company, admin=True).user
    viewer = MembershipFactory(company=company, viewer=True).user
    approver = MembershipFactory(company=company, approver=True).user
    outsider = MembershipFactory(company=other, admin=True).user
    role = ApproverRoleFactory(company=company, name="Department manager")
    alice = EmployeeFactory(
        company=company, name="Alice", number="A1", rights=[INVOICE]
    )
    bob = EmployeeFactory(company=company, name="Bob", number="B1", rights=[INVOICE])
    sales = DepartmentFactory(company=company, code="10")
    DepartmentApproverFactory(department=sales, role=role, approver=bob)
    small = LimitFactory(company=company, name="Small", amounts={"NOK": 10_000})
    return Site(company, admin, viewer, approver, outsider, role, alice, bob, small)


@pytest.fixture
def site() -> Site:
    return build_site()


def logged_in(user: AbstractUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- access ---------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_page(site: Site) -> None:
    response = Client().get(site.url())

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/c/acme/workflows/")


@pytest.mark.parametrize("who", ["outsider", "approver"])
def test_non_members_and_plain_approvers_get_404(site: Site, who: str) -> None:
    workflow = site.draft()
    client = logged_in(getattr(site, who))

    for path in ("", f"{workflow.pk}/", "limits/", f"{workflow.pk}/simulate/"):
        assert client.get(site.url(path)).status_code == 404


def test_viewers_see_everything_read_only(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.viewer)

    for path in (
        "",
        f"{workflow.pk}/",
        f"{workflow.pk}/changes/",
        "changes/",
        "limits/",
    ):
        response = client.get(site.url(path))
        assert response.status_code == 200, path
        assert b"/edit/" not in response.content
        assert b"New workflow" not in response.content
    for path in (
        "new/",
        f"{workflow.pk}/edit/",
        f"{workflow.pk}/activate/",
        "limits/new/",
    ):
        assert client.get(site.url(path)).status_code == 404, path
        assert client.post(site.url(path), {"comment": "sneaky"}).status_code == 404
    assert WorkflowChange.objects.filter(company=site.company).count() == 1


# --- list, create, detail -----------------------------------------------------------------------


def test_the_list_marks_the_active_workflow_with_its_version_and_last_change(
    site: Site,
) -> None:
    live = site.draft("Live")
    workflow_activate(workflow=live, actor=site.admin, comment="Go live")
    site.draft("Next")

    response = logged_in(site.admin).get(site.url())

    page = response.content.decode()
    assert response.status_code == 200
    row = page[page.index(">Live</a>") : page.index(">Next</a>")]
    assert "Active" in row
    assert "<td>1</td>" in row
    assert site.admin.username in row
    assert "Activated" in row
    assert "never published" in page[page.index(">Next</a>") :]


def test_create_a_draft(site: Site) -> None:
    client = logged_in(site.admin)

    response = client.post(
        site.url("new/"),
        {
            "document_type": INVOICE,
            "name": "Invoices 2026",
            "description": "",
            "comment": "New rules for 2026",
        },
    )

    workflow = Workflow.objects.get(company=site.company, name="Invoices 2026")
    assert response["Location"] == site.url(f"{workflow.pk}/edit/")
    assert not workflow.is_active
    change = WorkflowChange.objects.get(workflow=workflow)
    assert (change.action, change.comment, change.actor) == (
        "created",
        "New rules for 2026",
        site.admin,
    )


def test_create_needs_a_comment(site: Site) -> None:
    response = logged_in(site.admin).post(
        site.url("new/"), {"document_type": INVOICE, "name": "X", "comment": "  "}
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Workflow.objects.filter(company=site.company).exists()


# --- editing -----------------------------------------------------------------------------------


def test_saving_the_editor_unchanged_saves_nothing(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.admin)
    data = form_data(client.get(site.url(f"{workflow.pk}/edit/")).content, "wf-editor")
    data["comment"] = ["No change"]

    response = client.post(site.url(f"{workflow.pk}/edit/"), data, follow=True)

    assert "Nothing changed, so nothing was saved." in response.content.decode()
    assert WorkflowChange.objects.filter(workflow=workflow).count() == 1


def test_edit_steps_add_reorder_and_remove_with_rules_and_options(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.admin)
    page = client.get(site.url(f"{workflow.pk}/edit/"))
    data = form_data(page.content, "wf-editor")
    # The blank second row becomes a department-manager step above "Small", moved
    # first; the first step gets a second rule and "all must approve".
    data |= {
        "steps-1-position": ["1"],
        "steps-1-name": ["Manager"],
        "steps-1-condition_kind": ["amount_above"],
        "steps-1-low_limit": [str(site.small.pk)],
        "steps-1-line_approval": ["on"],
        "steps-1-days_to_complete": ["3"],
        "steps-1-rules-0-kind": ["department"],
        "steps-1-rules-0-role": [str(site.role.pk)],
        "steps-0-position": ["2"],
        "steps-0-completion_policy": ["all"],
        "steps-0-rules-1-kind": ["named"],
        "steps-0-rules-1-approvers": [str(site.bob.pk)],
        "workflow-four_eyes_enabled": ["on"],
        "workflow-four_eyes_people": [str(site.alice.pk), str(site.bob.pk)],
        "comment": ["Managers first"],
    }

    response = client.post(site.url(f"{workflow.pk}/edit/"), data)

    assert response.status_code == 302, response.content.decode()
    saved = definition_from_workflow(Workflow.objects.get(pk=workflow.pk))
    assert [s.name for s in saved.steps] == ["Manager", "Approver"]
    manager, approver = saved.steps
    assert (manager.condition_kind, manager.low_limit.name) == ("amount_above", "Small")
    assert manager.line_approval
    assert manager.days_to_complete == 3
    assert [r.describe() for r in manager.rules] == ["department (Department manager)"]
    assert approver.completion_policy == "all"
    assert [r.describe() for r in approver.rules] == [
        "named Alice (A1)",
        "named Bob (B1)",
    ]
    assert saved.four_eyes_enabled
    change = WorkflowChange.objects.filter(workflow=workflow).first()
    assert change.comment == "Managers first"
    assert any("4-eyes approval: off → on" in line for line in change.diff)

    # Remove the first step again.
    data = form_data(client.get(site.url(f"{workflow.pk}/edit/")).content, "wf-editor")
    data |= {"steps-0-DELETE": ["on"], "comment": ["Managers out"]}
    client.post(site.url(f"{workflow.pk}/edit/"), data)

    assert [s.name for s in definition_from_workflow(workflow).steps] == ["Approver"]


def test_adding_rows_shows_blank_rows_without_errors(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.admin)
    data = form_data(client.get(site.url(f"{workflow.pk}/edit/")).content, "wf-editor")

    response = client.post(
        site.url(f"{workflow.pk}/edit/"), {**data, "action": ["add_step"]}
    )
    again = form_data(response.content, "wf-editor")
    response = client.post(
        site.url(f"{workflow.pk}/edit/"), {**again, "action": ["add_rule:0"]}
    )

    page = response.content.decode()
    final = form_data(response.content, "wf-editor")
    assert final["steps-TOTAL_FORMS"] == ["3"]
    assert final["steps-0-rules-TOTAL_FORMS"] == ["3"]
    assert "errorlist" not in page
    assert WorkflowChange.objects.filter(workflow=workflow).count() == 1


def test_mistakes_are_shown_next_to_the_fields_and_nothing_is_saved(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.admin)
    data = form_data(client.get(site.url(f"{workflow.pk}/edit/")).content, "wf-editor")
    data |= {
        "steps-0-condition_kind": ["amount_above"],
        "steps-0-rules-1-kind": ["department"],
        "comment": [""],
    }

    response = client.post(site.url(f"{workflow.pk}/edit/"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose the limit the amount must reach." in page
    assert "Choose the approver role this rule looks up." in page
    assert "This field is required." in page  # the comment
    assert WorkflowChange.objects.filter(workflow=workflow).count() == 1


def test_the_active_workflow_cannot_be_edited(site: Site) -> None:
    workflow = site.draft()
    workflow_activate(workflow=workflow, actor=site.admin, comment="Live")

    response = logged_in(site.admin).get(site.url(f"{workflow.pk}/edit/"), follow=True)

    assert "is active and cannot be edited. Duplicate it" in response.content.decode()


# --- lifecycle -----------------------------------------------------------------------------------


def test_activation_shows_the_problems_and_needs_a_comment(site: Site) -> None:
    empty = workflow_create(
        company=site.company,
        document_type=INVOICE,
        name="Empty",
        actor=None,
        comment="x",
    )
    client = logged_in(site.admin)

    page = client.get(site.url(f"{empty.pk}/activate/")).content.decode()
    refused = client.post(
        site.url(f"{empty.pk}/activate/"), {"comment": "Go"}, follow=True
    )

    assert "The workflow has no steps." in page
    assert "cannot be activated" in refused.content.decode()
    assert not Workflow.objects.get(pk=empty.pk).is_active


def test_activate_replaces_the_active_workflow(site: Site) -> None:
    old = site.draft("Old")
    workflow_activate(workflow=old, actor=site.admin, comment="Live")
    new = site.draft("New")
    client = logged_in(site.admin)

    assert (
        client.post(site.url(f"{new.pk}/activate/"), {"comment": ""}).status_code == 200
    )
    response = client.post(
        site.url(f"{new.pk}/activate/"), {"comment": "Switch"}, follow=True
    )

    assert "is now active (version 1)" in response.content.decode()
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_active
    assert not old.is_active
    assert WorkflowVersion.objects.get(workflow=new).comment == "Switch"


def test_duplicate_deactivate_and_delete(site: Site) -> None:
    live = site.draft("Live")
    workflow_activate(workflow=live, actor=site.admin, comment="Live")
    client = logged_in(site.admin)

    client.post(site.url(f"{live.pk}/duplicate/"), {"name": "", "comment": "Copy"})
    copy = Workflow.objects.get(company=site.company, name="Live (copy)")
    client.post(site.url(f"{live.pk}/deactivate/"), {"comment": "Pause"})
    response = client.post(site.url(f"{copy.pk}/delete/"), {"comment": "Not needed"})

    assert response["Location"] == site.url()
    assert not Workflow.objects.filter(pk=copy.pk).exists()
    assert not Workflow.objects.get(pk=live.pk).is_active
    actions = list(
        WorkflowChange.objects.filter(company=site.company)
        .order_by("id")
        .values_list("action", "workflow_name")
    )
    assert actions[-3:] == [
        ("duplicated", "Live (copy)"),
        ("deactivated", "Live"),
        ("deleted", "Live (copy)"),
    ]


def test_delete_is_refused_while_a_version_is_in_use(site: Site) -> None:
    from documents.models import Process
    from tests.factories.documents import DocumentFactory

    workflow = site.draft()
    version = workflow_activate(workflow=workflow, actor=site.admin, comment="Live")
    copy = Workflow.objects.get(pk=workflow.pk)
    Process.objects.create(
        company=site.company,
        document=DocumentFactory(company=site.company),
        number=1,
        workflow_version=version,
    )
    client = logged_in(site.admin)
    client.post(site.url(f"{copy.pk}/deactivate/"), {"comment": "Pause"})

    response = client.post(
        site.url(f"{copy.pk}/delete/"), {"comment": "Go"}, follow=True
    )

    assert "cannot be deleted: documents in flight still use one of its versions" in (
        response.content.decode()
    )
    assert Workflow.objects.filter(pk=copy.pk).exists()


def test_the_change_log_shows_who_when_comment_and_diff(site: Site) -> None:
    workflow = site.draft()
    workflow_activate(workflow=workflow, actor=site.admin, comment="First go-live")

    page = (
        logged_in(site.viewer).get(site.url(f"{workflow.pk}/changes/")).content.decode()
    )

    assert "First go-live" in page
    assert "Published version 1" in page
    assert escape('Step 1 "Approver" added') in page
    assert site.admin.username in page
    assert "Activated" in page


# --- limits --------------------------------------------------------------------------------------


def test_create_and_change_a_limit_with_one_amount_per_currency(site: Site) -> None:
    client = logged_in(site.admin)
    data = {
        "name": "Big",
        "description": "CFO level",
        "comment": "New limit",
        "amounts-TOTAL_FORMS": "3",
        "amounts-INITIAL_FORMS": "0",
        "amounts-MIN_NUM_FORMS": "0",
        "amounts-MAX_NUM_FORMS": "50",
        "amounts-0-currency": "nok",
        "amounts-0-amount": "100000",
        "amounts-1-currency": "EUR",
        "amounts-1-amount": "10000",
    }

    twice = client.post(
        site.url("limits/new/"),
        {**data, "amounts-1-currency": "NOK", "amounts-1-amount": "1"},
    )
    created = client.post(site.url("limits/new/"), data)

    assert "NOK is given twice; a limit has one amount per currency." in (
        twice.content.decode()
    )
    assert created["Location"] == site.url("limits/")
    big = Limit.objects.get(company=site.company, name="Big")
    assert {a.currency: a.amount for a in big.amounts.all()} == {
        "NOK": Decimal("100000.00"),
        "EUR": Decimal("10000.00"),
    }
    edit = form_data(client.get(site.url(f"limits/{big.pk}/")).content)
    assert edit["amounts-0-currency"] == ["EUR"]
    edit |= {"amounts-0-DELETE": ["on"], "comment": ["No euros"]}
    client.post(site.url(f"limits/{big.pk}/"), edit)
    assert [a.currency for a in big.amounts.all()] == ["NOK"]
    listing = client.get(site.url("limits/")).content.decode()
    assert "NOK 100000.00" in listing


def test_a_new_limit_may_not_reuse_a_name(site: Site) -> None:
    response = logged_in(site.admin).post(
        site.url("limits/new/"),
        {
            "name": "Small",
            "comment": "Again",
            "amounts-TOTAL_FORMS": "1",
            "amounts-INITIAL_FORMS": "0",
            "amounts-0-currency": "NOK",
            "amounts-0-amount": "5",
        },
    )

    assert "A limit called “Small” exists" in response.content.decode()
    assert site.small.amounts.get().amount == Decimal("10000.00")


def test_the_pages_are_usable_without_a_manual(site: Site) -> None:
    """Labels and help texts explain the editor's fields."""
    workflow = site.draft()

    page = logged_in(site.admin).get(site.url(f"{workflow.pk}/edit/")).content.decode()

    for text in (
        "When does the step apply?",
        "Ticked: no approver found blocks the document.",
        "Each approver approves the lines routed to them",
        "Find approvers by",
        "Say what you changed and why",
        "Add a step",
        "Add a rule",
    ):
        assert text in page


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_pages_read_in_a_constant_number_of_queries(site: Site) -> None:
    """No N+1: more workflows, steps and rules do not mean more queries."""
    client = logged_in(site.admin)
    small = site.draft("Small")
    counts = {
        "list": _queries(client, site.url()),
        "edit": _queries(client, site.url(f"{small.pk}/edit/")),
        "simulate": _queries(client, site.url(f"{small.pk}/simulate/")),
    }
    steps = [
        step(name=f"Step {i}", rules=(named(site.alice), named(site.bob)))
        for i in range(6)
    ]
    big = workflow_create(
        company=site.company,
        document_type=INVOICE,
        name="Big",
        actor=None,
        comment="Many steps",
        definition=replace(definition(site.company, *steps), name="Big"),
    )
    for name in ("A", "B", "C"):
        site.draft(name)

    assert _queries(client, site.url()) == counts["list"]
    assert _queries(client, site.url(f"{big.pk}/edit/")) == counts["edit"]
    assert _queries(client, site.url(f"{big.pk}/simulate/")) == counts["simulate"]
