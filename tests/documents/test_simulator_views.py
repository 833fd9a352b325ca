"""The simulator on real documents: the same plan as live routing, and replays of the
latest documents through a changed draft."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.utils import timezone

from documents.models import Document, Process
from documents.services import LineInput
from orgunits.models import Company, Employee
from tests.documents.conftest import INVOICE, person, receive, route
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    MembershipFactory,
    SubstitutionFactory,
    combination,
    routing_types,
)
from tests.factories.workflows import LimitFactory, definition, named, rule, step
from tests.workflows.test_views_editor import form_data
from workflows.definition import LimitRef, definition_from_workflow
from workflows.models import Step, StepRule, Workflow, WorkflowChange
from workflows.services import (
    workflow_activate,
    workflow_create,
    workflow_duplicate,
    workflow_save_definition,
)

pytestmark = pytest.mark.django_db


@dataclass
class Setup:
    company: Company
    admin: AbstractUser
    viewer: AbstractUser
    alice: Employee
    bob: Employee
    carl: Employee
    live: Workflow

    def url(self, path: str) -> str:
        return f"/c/{self.company.code}/simulator/{path}"

    def client(self, user: AbstractUser) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def setup(company: Company) -> Setup:
    """An active invoice workflow: cost-unit owners per line, Bob above "Big"."""
    admin = MembershipFactory(company=company, admin=True).user
    viewer = MembershipFactory(company=company, viewer=True).user
    alice, bob, carl = (person(company, n) for n in ("Alice", "Bob", "Carl"))
    role = ApproverRoleFactory(company=company, name="Approver", is_default=True)
    routing_types(company, "Department")
    combination(company, role, alice, {"Department": "10"})
    combination(company, role, carl, {"Department": "20"})
    SubstitutionFactory(principal=carl, substitute=bob)
    big = LimitFactory(company=company, name="Big", amounts={"EUR": 5000})
    built = definition(
        company,
        step(
            name="Owners",
            line_approval=True,
            rules=(rule(StepRule.Kind.COST_UNIT, role),),
        ),
        step(
            name="Big",
            condition_kind=Step.Condition.AMOUNT_ABOVE,
            low_limit=LimitRef.from_limit(big),
            rules=(named(bob),),
        ),
    )
    live = workflow_create(
        company=company,
        document_type=INVOICE,
        name="Invoices",
        actor=admin,
        comment="Setup",
        definition=replace(built, name="Invoices"),
    )
    workflow_activate(workflow=live, actor=admin, comment="Live")
    return Setup(company, admin, viewer, alice, bob, carl, live)


def lines(*departments: str) -> list[LineInput]:
    return [
        LineInput(line_number=n, amount=Decimal(100), segment_values={"1": d})
        for n, d in enumerate(departments, start=1)
    ]


def routed(setup: Setup, reference: str, gross: str, *departments: str) -> Document:
    return route(
        receive(
            setup.company,
            reference=reference,
            gross=gross,
            lines=lines(*departments),
            due_date=timezone.localdate() + timedelta(days=10),
        )
    )


def test_the_simulator_answers_exactly_what_live_routing_stored(setup: Setup) -> None:
    document = routed(setup, "INV-1", "7500.00", "10", "20", "10")
    stored = Process.objects.get(document=document).plan

    response = setup.client(setup.viewer).get(
        setup.url(f"documents/{document.pk}.json")
    )

    body = response.json()
    assert response.status_code == 200
    assert body["plan"] == {k: v for k, v in stored.items() if k != "workflow"}
    assert body["workflow"]["version_id"] == stored["workflow"]["version_id"]
    # The trace has the per-line approvers and the substitute on behalf of Carl.
    owners = body["plan"]["steps"][0]
    assert {
        (a["employee_name"], tuple(a["line_numbers"])) for a in owners["approvers"]
    } == {
        ("Alice", (1, 3)),
        ("Carl", (2,)),
        ("Bob", (2,)),
    }
    assert body["facts"]["lines"][1]["segments"] == {"1": "20"}


def test_a_blocked_real_document_simulates_to_the_same_block(setup: Setup) -> None:
    document = routed(setup, "INV-2", "100.00", "99")
    stored = Process.objects.get(document=document).plan

    body = (
        setup.client(setup.admin).get(setup.url(f"documents/{document.pk}.json")).json()
    )

    assert stored["blocked"] is True
    assert body["plan"] == {k: v for k, v in stored.items() if k != "workflow"}


def test_the_document_page_shows_the_trace_and_a_prefilled_simulator(
    setup: Setup,
) -> None:
    document = routed(setup, "INV-3", "7500.00", "10", "20")
    client = setup.client(setup.viewer)

    picked = client.get(setup.url("documents/"))
    response = client.get(setup.url(f"documents/{document.pk}/"))

    assert "INV-3" in picked.content.decode()
    page = response.content.decode()
    assert "“Invoices”, active version 1" in page
    assert "substitute, on behalf of Carl" in page
    data = form_data(response.content, "sim-form")
    assert data["doc-amount"] == ["7500.00"]
    assert data["lines-1-segment_1"] == ["20"]
    assert "Save as draft" not in page
    # Posting the prefilled form to the workflow simulator gives the same steps.
    again = client.post(
        f"/c/{setup.company.code}/workflows/{setup.live.pk}/simulate/",
        data | {"action": ["simulate"]},
    )
    assert "substitute, on behalf of Carl" in again.content.decode()


def test_replay_shows_how_a_changed_draft_would_route_the_latest_documents(
    setup: Setup,
) -> None:
    routed(setup, "INV-4", "100.00", "10")
    routed(setup, "INV-5", "9000.00", "20")
    draft = workflow_duplicate(workflow=setup.live, actor=setup.admin, comment="Try")
    changed = definition_from_workflow(draft)
    big = replace(changed.steps[1], rules=(named(setup.alice),))
    workflow_save_definition(
        workflow=draft,
        definition=replace(changed, steps=(changed.steps[0], big)),
        actor=setup.admin,
        comment="Alice for big ones",
    )

    response = setup.client(setup.viewer).get(
        setup.url(f"workflows/{draft.pk}/replay/"), {"count": "5"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "2 documents replayed" in page
    assert "1 would be routed differently." in page
    assert "approvers added: Alice (" in page
    assert "approvers removed: Bob (" in page
    row = page[page.index("INV-4") : page.index("INV-4") + 1200]
    assert "No change" in row


def test_replay_with_unsaved_changes_posted_from_the_page(setup: Setup) -> None:
    routed(setup, "INV-6", "100.00", "10")
    client = setup.client(setup.viewer)
    data = form_data(
        client.get(setup.url(f"workflows/{setup.live.pk}/replay/")).content, "sim-form"
    )
    data |= {
        "count": ["10"],
        "action": ["replay"],
        "steps-0-condition_kind": ["amount_above"],
        "steps-0-low_limit": [str(setup.live.steps.get(position=2).low_limit_id)],
    }

    page = client.post(
        setup.url(f"workflows/{setup.live.pk}/replay/"), data
    ).content.decode()

    assert "The document is now blocked: all steps are skipped" in page
    assert WorkflowChange.objects.filter(workflow=setup.live).count() == 2


def test_a_draft_compared_with_the_active_workflow_on_one_document(
    setup: Setup,
) -> None:
    document = routed(setup, "INV-7", "100.00", "10")
    draft = workflow_duplicate(workflow=setup.live, actor=setup.admin, comment="Try")
    changed = definition_from_workflow(draft)
    owners = replace(changed.steps[0], rules=(named(setup.bob),), line_approval=False)
    workflow_save_definition(
        workflow=draft,
        definition=replace(changed, steps=(owners, changed.steps[1])),
        actor=setup.admin,
        comment="Bob owns everything",
    )

    page = (
        setup.client(setup.admin)
        .get(setup.url(f"documents/{document.pk}/"), {"workflow": draft.pk})
        .content.decode()
    )

    assert "Compared with the active workflow" in page
    assert "Step 1 &quot;Owners&quot;: approvers added: Bob (" in page
    assert "Step 1 &quot;Owners&quot;: approvers removed: Alice (" in page
    assert "Save as draft" in page


def test_access_to_the_real_document_simulator(setup: Setup) -> None:
    document = routed(setup, "INV-8", "100.00", "10")
    other = CompanyFactory(code="other")
    outsider = MembershipFactory(company=other, admin=True).user
    approver = MembershipFactory(company=setup.company, approver=True).user
    theirs = receive(other, reference="X-1")

    assert Client().get(setup.url("documents/")).status_code == 302
    for user in (outsider, approver):
        client = setup.client(user)
        assert client.get(setup.url("documents/")).status_code == 404
        assert client.get(setup.url(f"documents/{document.pk}.json")).status_code == 404
    admin = setup.client(setup.admin)
    assert admin.get(setup.url(f"documents/{theirs.pk}/")).status_code == 404
    assert admin.get(setup.url(f"documents/{theirs.pk}.json")).status_code == 404
