"""The simulator page and its JSON endpoint through the test client.

Viewers may change the draft on the page and simulate; only administrators save, and the
save view refuses everyone else even when the request is crafted by hand.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories.workflows import definition, named, rule, step
from tests.workflows.test_views_editor import (
    INVOICE,
    Site,
    build_site,
    form_data,
    logged_in,
)
from workflows.definition import definition_from_workflow
from workflows.models import StepRule, Workflow, WorkflowChange
from workflows.services import workflow_activate
from workflows.simulator import facts_from_data, plan_to_json, simulate

pytestmark = pytest.mark.django_db


@pytest.fixture
def site() -> Site:
    return build_site()


def simulate_url(site: Site, workflow: Workflow, suffix: str = "") -> str:
    return site.url(f"{workflow.pk}/simulate/{suffix}")


def page_data(client: Client, site: Site, workflow: Workflow) -> dict[str, list[str]]:
    """The simulator form as loaded, with a 25 000 NOK invoice of department 10."""
    data = form_data(client.get(simulate_url(site, workflow)).content, "sim-form")
    data |= {"doc-amount": ["25000"], "doc-department": ["10"], "action": ["simulate"]}
    return data


def with_manager_step(data: dict[str, list[str]], site: Site) -> dict[str, list[str]]:
    """Fill the blank step row: department managers above "Small"."""
    return data | {
        "steps-1-name": ["Manager"],
        "steps-1-condition_kind": ["amount_above"],
        "steps-1-low_limit": [str(site.small.pk)],
        "steps-1-rules-0-kind": ["department"],
        "steps-1-rules-0-role": [str(site.role.pk)],
    }


# --- the page ---------------------------------------------------------------------------------


def test_a_viewer_simulates_a_hypothetical_document(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.viewer)

    page = client.get(simulate_url(site, workflow)).content.decode()
    response = client.post(
        simulate_url(site, workflow), page_data(client, site, workflow)
    )

    assert "Save as draft" not in page
    result = response.content.decode()
    assert response.status_code == 200
    assert "The workflow is established" in result
    assert "Step 1 &quot;Approver&quot;" in result
    assert "Alice (A1)" in result
    assert "Named approvers" in result


def test_a_viewer_changes_the_draft_in_the_simulator_without_saving(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.viewer)
    before = definition_from_workflow(workflow)

    response = client.post(
        simulate_url(site, workflow),
        with_manager_step(page_data(client, site, workflow), site),
    )

    result = response.content.decode()
    assert "Step 2 &quot;Manager&quot;" in result
    assert "Bob (B1)" in result
    assert "department 10" in result  # the assignment row that chose Bob
    assert "Department assignments" in result
    assert definition_from_workflow(workflow) == before
    assert WorkflowChange.objects.filter(workflow=workflow).count() == 1


def test_the_trace_shows_blocked_reasons(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.viewer)
    data = page_data(client, site, workflow) | {"doc-currency": ["SEK"]}
    data = with_manager_step(data, site)

    result = client.post(simulate_url(site, workflow), data).content.decode()

    assert "The document would be blocked." in result
    assert "limit &quot;Small&quot; has no amount in SEK" in result


def test_adding_a_line_keeps_the_page_without_errors(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.viewer)
    data = page_data(client, site, workflow) | {
        "action": ["add_line"],
        "doc-amount": [""],
    }

    response = client.post(simulate_url(site, workflow), data)

    assert form_data(response.content, "sim-form")["lines-TOTAL_FORMS"] == ["3"]
    assert "errorlist" not in response.content.decode()


def test_the_save_view_refuses_viewers_even_when_crafted(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.viewer)
    data = with_manager_step(page_data(client, site, workflow), site)
    data["comment"] = ["Viewer tries to save"]

    response = client.post(simulate_url(site, workflow, "save/"), data)

    assert response.status_code == 404
    assert [s.name for s in definition_from_workflow(workflow).steps] == ["Approver"]
    assert WorkflowChange.objects.filter(workflow=workflow).count() == 1


def test_an_administrator_saves_the_simulated_draft_with_a_comment(site: Site) -> None:
    workflow = site.draft()
    client = logged_in(site.admin)
    data = with_manager_step(page_data(client, site, workflow), site)

    without = client.post(simulate_url(site, workflow, "save/"), data)
    saved = client.post(
        simulate_url(site, workflow, "save/"), data | {"comment": ["Add managers"]}
    )

    assert "This field is required." in without.content.decode()
    assert saved["Location"] == simulate_url(site, workflow)
    fresh = Workflow.objects.get(pk=workflow.pk)
    assert [s.name for s in definition_from_workflow(fresh).steps] == [
        "Approver",
        "Manager",
    ]
    assert (
        WorkflowChange.objects.filter(workflow=workflow).first().comment
        == "Add managers"
    )


def test_saving_changes_to_the_active_workflow_creates_a_new_draft(site: Site) -> None:
    live = site.draft("Live")
    workflow_activate(workflow=live, actor=site.admin, comment="Live")
    client = logged_in(site.admin)
    data = with_manager_step(page_data(client, site, live), site)

    client.post(simulate_url(site, live, "save/"), data | {"comment": ["Try managers"]})

    draft = Workflow.objects.get(company=site.company, name="Live (draft)")
    assert not draft.is_active
    assert [s.name for s in definition_from_workflow(draft).steps] == [
        "Approver",
        "Manager",
    ]
    assert [s.name for s in definition_from_workflow(live).steps] == ["Approver"]


# --- the JSON endpoint ----------------------------------------------------------------------------

DOCUMENT: dict[str, Any] = {
    "amount": "25000",
    "currency": "NOK",
    "department": "10",
    "requester": "B1",
    "lines": [{"amount": "25000", "department": "10"}],
}


def post_json(client: Client, site: Site, body: dict[str, Any]) -> Any:
    return client.post(
        site.url("simulate.json"), json.dumps(body), content_type="application/json"
    )


def test_json_for_a_saved_workflow_is_the_engine_s_plan(site: Site) -> None:
    workflow = site.draft()

    response = post_json(
        logged_in(site.viewer), site, {"workflow": workflow.pk, "document": DOCUMENT}
    )

    body = response.json()
    assert response.status_code == 200
    facts = facts_from_data(
        DOCUMENT,
        company_id=site.company.pk,
        today=timezone.localdate(),
        document_type=INVOICE,
    )
    expected = simulate(facts=facts, definition=definition_from_workflow(workflow))
    assert body["plan"] == plan_to_json(expected)
    assert body["workflow"] == {
        "source": "workflow",
        "id": workflow.pk,
        "name": "Invoices",
    }
    assert body["facts"]["lines"][0]["department"] == "10"
    assert body["problems"] == []


def test_json_for_an_inline_draft_definition(site: Site) -> None:
    draft = definition(
        site.company,
        step(name="Manager", rules=(rule(StepRule.Kind.DEPARTMENT, site.role),)),
        step(name="Alice", rules=(named(site.alice),)),
    ).to_dict()

    body = post_json(
        logged_in(site.admin),
        site,
        {"definition": draft, "document": {**DOCUMENT, "document_type": INVOICE}},
    ).json()

    manager, alice = body["plan"]["steps"]
    # Bob is the requester: the deputy rule has nobody, so the step is blocked.
    assert manager["outcome"] == "blocked"
    assert any("may not approve their own document" in r for r in manager["reasons"])
    assert [a["employee_number"] for a in alice["approvers"]] == ["A1"]
    assert body["plan"]["blocked"] is True
    assert body["workflow"]["source"] == "definition"


def test_json_without_a_workflow_uses_the_active_version(site: Site) -> None:
    workflow = site.draft()
    version = workflow_activate(workflow=workflow, actor=site.admin, comment="Live")

    body = post_json(
        logged_in(site.viewer),
        site,
        {"document": {**DOCUMENT, "document_type": INVOICE}},
    ).json()

    assert body["workflow"] == {
        "source": "active_version",
        "id": workflow.pk,
        "version": version.number,
        "name": "Invoices",
    }
    assert body["plan"]["steps"][0]["approvers"][0]["employee_number"] == "A1"


def test_json_input_errors_come_back_with_their_paths(site: Site) -> None:
    workflow = site.draft()

    response = post_json(
        logged_in(site.viewer),
        site,
        {"workflow": workflow.pk, "document": {"lines": [{"amount": "x"}]}},
    )

    assert response.status_code == 400
    errors = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "document.amount": "Give an amount, e.g. 12500.00.",
        "document.lines[0].amount": "“x” is not an amount.",
    }


def test_json_refuses_another_company_s_workflow_and_outsiders(site: Site) -> None:
    workflow = site.draft()
    foreign = Workflow.objects.create(
        company=workflow.company.__class__.objects.get(code="other"),
        document_type=INVOICE,
        name="Theirs",
    )

    mine = post_json(
        logged_in(site.viewer), site, {"workflow": foreign.pk, "document": DOCUMENT}
    )
    outsider = post_json(
        logged_in(site.outsider), site, {"workflow": workflow.pk, "document": DOCUMENT}
    )
    anonymous = post_json(
        Client(), site, {"workflow": workflow.pk, "document": DOCUMENT}
    )

    assert mine.status_code == 400
    assert [(e["path"], e["message"]) for e in mine.json()["errors"]] == [
        ("workflow", "No such workflow in this company.")
    ]
    assert outsider.status_code == 404
    assert anonymous.status_code == 302


def test_json_needs_the_csrf_token_of_the_session(site: Site) -> None:
    workflow = site.draft()
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.viewer)

    response = post_json(client, site, {"workflow": workflow.pk, "document": DOCUMENT})

    assert response.status_code == 403
