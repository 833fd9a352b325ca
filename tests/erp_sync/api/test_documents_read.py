"""GET /api/v1/documents/{id}, /documents, /documents/{id}/history and POST
/documents/{id}/cancel (ERP_API.md "Documents", RELIABILITY 9)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from documents.models import Document, HistoryEvent, OutboxEvent, Task
from documents.services import (
    LineInput,
    comment_add,
    document_route,
    task_decide_lines,
)
from orgunits.models import Company, Employee
from tests.documents.conftest import (
    approve_and_advance,
    current,
    person,
    receive,
    reject,
    route,
    task_of,
)
from tests.erp_sync.conftest import ErpApi, assert_problem
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    ApproverRoleFactory,
    CompanyFactory,
    combination,
    routing_types,
)
from tests.factories.workflows import named, rule, step
from workflows.models import StepRuleKind

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"
INVOICES = "documents/supplier-invoices"


def submitted(api: ErpApi, **changes: Any) -> Document:
    body = json.loads((PAYLOADS / "supplier_invoice_read.json").read_text())
    body.update(changes)
    response = api.post(INVOICES, body, key=str(uuid.uuid4()))
    assert response.status_code == 202, response.content
    return Document.objects.get(public_id=response.json()["id"])


@pytest.fixture
def two_steps(company: Company) -> tuple[Employee, Employee]:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(
        company,
        step(name="Owner", rules=(named(anna),)),
        step(position=2, name="Controller", rules=(named(bob),)),
    )
    return anna, bob


# --- one document ------------------------------------------------------------------------


def test_a_received_document_reads_back_as_sent(api: ErpApi) -> None:
    document = submitted(api)

    response = api.get(f"documents/{document.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(document.public_id)
    assert body["url"] == f"http://testserver/api/v1/documents/{document.public_id}"
    assert (body["type"], body["erpDocumentType"], body["erpReference"]) == (
        "purchase_invoice",
        "Invoice",
        "004711",
    )
    assert (body["status"], body["approvalStatus"]) == (
        "received",
        "ReceivedByApproval",
    )
    assert (body["grossAmount"], body["netAmount"], body["vatAmount"]) == (
        "1250.00",
        "1000.00",
        "250.00",
    )
    assert body["supplier"] == {"number": "50012", "name": "Kontorrekvisita AS"}
    assert (body["documentDate"], body["dueDate"]) == ("2025-03-03", "2025-04-02")
    assert (body["requester"], body["initialApprover"], body["sender"]) == (
        "E0042",
        "E0007",
        "E0042",
    )
    assert body["processNumber"] is None
    assert body["currentStep"] is None
    assert body["openTasks"] == body["steps"] == body["comments"] == []
    assert [line["lineNumber"] for line in body["lines"]] == [1, 2]
    assert body["lines"][0] == {
        "lineNumber": 1,
        "description": "Printer paper A4",
        "quantity": "10.0000",
        "amount": "600.00",
        "account": "6800",
        "subaccount": "20-100",
        "segments": {"1": "20", "2": "100"},
        "department": "",
        "project": "P1001",
        "projectTask": "01",
        "branch": "1",
        "edited": False,
    }


def test_a_document_in_approval_shows_steps_tasks_decisions_and_comments(
    api: ErpApi, two_steps: tuple[Employee, Employee]
) -> None:
    anna, bob = two_steps
    document = route(submitted(api))
    approve_and_advance(task_of(document, anna))
    comment_add(
        document_id=document.pk, author_employee=bob, user=bob.user, text="Looks fine."
    )

    body = api.get(f"documents/{document.public_id}").json()

    assert (body["status"], body["approvalStatus"]) == (
        "in_progress",
        "InProgressApproval",
    )
    assert body["processNumber"] == 1
    assert body["currentStep"] == {
        "position": 2,
        "name": "Controller",
        "status": "active",
    }
    assert [(t["step"], t["assignee"], t["status"]) for t in body["openTasks"]] == [
        (2, bob.number, "active")
    ]
    owner, controller = body["steps"]
    assert (owner["status"], controller["status"]) == ("completed", "active")
    (decision,) = owner["decisions"]
    assert (decision["action"], decision["approved"], decision["decidedBy"]) == (
        "approve",
        True,
        anna.number,
    )
    assert controller["decisions"] == []
    (comment,) = body["comments"]
    assert (comment["author"], comment["text"], comment["processNumber"]) == (
        bob.number,
        "Looks fine.",
        1,
    )


def test_a_rejected_document_shows_the_rejection(
    api: ErpApi, two_steps: tuple[Employee, Employee]
) -> None:
    anna, _ = two_steps
    document = route(submitted(api))
    reject(task_of(document, anna), comment="Wrong supplier.")

    body = api.get(f"documents/{document.public_id}").json()

    assert (body["status"], body["approvalStatus"]) == (
        "rejected",
        "RejectedInApproval",
    )
    assert body["openTasks"] == []
    decision = body["steps"][0]["decisions"][0]
    assert (decision["action"], decision["approved"], decision["comment"]) == (
        "reject",
        False,
        "Wrong supplier.",
    )


def test_line_decisions_are_listed_per_step(api: ErpApi, company: Company) -> None:
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    role = ApproverRoleFactory(company=company, name="Owner")
    routing_types(company, "Department")
    combination(company, role, anna, {"Department": "20"})
    combination(company, role, bob, {"Department": "30"})
    publish_workflow(
        company,
        step(
            name="Owners",
            line_approval=True,
            rules=(rule(StepRuleKind.COST_UNIT, role),),
        ),
        step(position=2, name="Final", rules=(named(carl),)),
    )
    document = route(submitted(api))
    task = task_of(document, anna)
    task_decide_lines(
        task_id=task.pk,
        employee=anna,
        user=anna.user,
        expected_version=current(document).version,
        approve=[1],
    )

    body = api.get(f"documents/{document.public_id}").json()

    owners = body["steps"][0]
    assert [
        (d["lineNumber"], d["action"], d["decidedBy"]) for d in owners["lineDecisions"]
    ] == [(1, "approve", anna.number)]
    assert {(t["assignee"], tuple(t["lineNumbers"])) for t in body["openTasks"]} == {
        (bob.number, (2,))
    }


def test_a_blocked_document_says_why(api: ErpApi) -> None:
    document = submitted(api)
    document_route(document_id=document.pk)  # no workflow: blocked

    body = api.get(f"documents/{document.public_id}").json()

    assert (body["status"], body["approvalStatus"]) == ("blocked", "InProgressApproval")
    assert body["statusText"]


def test_unknown_and_other_company_ids_are_the_same_404(
    api: ErpApi, api_for: Callable[[Company], ErpApi]
) -> None:
    theirs = submitted(api_for(CompanyFactory(code="other", currency="EUR")))

    paths = ("", "/history", "/attachments")
    for suffix in paths:
        unknown = api.get(f"documents/{uuid.uuid4()}{suffix}")
        other = api.get(f"documents/{theirs.public_id}{suffix}")
        assert_problem(unknown, 404, "not_found")
        assert unknown.json() == other.json()
    assert api.get("documents/not-a-uuid").status_code == 404
    cancel = api.post(f"documents/{theirs.public_id}/cancel", {})
    assert_problem(cancel, 404, "not_found")
    assert current(theirs).status == Document.Status.RECEIVED


def test_reading_one_document_takes_a_fixed_number_of_queries(
    api: ErpApi, company: Company, django_assert_max_num_queries: Any
) -> None:
    body = json.loads((PAYLOADS / "supplier_invoice_200_lines.json").read_text())
    response = api.post(INVOICES, body, key="k")
    public_id = response.json()["id"]

    with django_assert_max_num_queries(20):
        assert api.get(f"documents/{public_id}").status_code == 200


# --- history ----------------------------------------------------------------------------


def test_the_history_lists_every_change_oldest_first(
    api: ErpApi, erp_client: Any, two_steps: tuple[Employee, Employee]
) -> None:
    anna, _ = two_steps
    document = route(submitted(api))
    approve_and_advance(task_of(document, anna))

    body = api.get(f"documents/{document.public_id}/history").json()

    assert body["id"] == str(document.public_id)
    actions = [event["action"] for event in body["events"]]
    assert actions[0] == "documents.document.receive"
    assert "documents.task.approve" in actions
    assert len(actions) == HistoryEvent.objects.filter(document=document).count()
    first = body["events"][0]
    assert first["actor"] == f"ERP ({erp_client.name})"
    assert first["processNumber"] is None
    assert first["data"]["erp_reference"] == "004711"


# --- list ------------------------------------------------------------------------------


def test_the_list_filters_by_type_status_reference_and_change_time(
    api: ErpApi, company: Company
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old = submitted(api, referenceNumber="A-1")
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        new = submitted(api, referenceNumber="A-2")
        claim = json.loads((PAYLOADS / "expense_claim_read.json").read_text())
        api.post("documents/expense-claims", claim, key="claim")
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        document_route(document_id=new.pk)

    def ids(**params: Any) -> list[str]:
        response = api.get("documents", **params)
        assert response.status_code == 200, response.content
        return [row["erpReference"] for row in response.json()["results"]]

    assert ids() == ["A-1", "EC000231", "A-2"]
    assert ids(type="purchase_invoice") == ["A-1", "A-2"]
    assert ids(type="expense_claim") == ["EC000231"]
    assert ids(status="blocked") == ["A-2"]
    assert ids(erp_reference="A-1") == ["A-1"]
    assert ids(erp_document_type="ExpenseClaim") == ["EC000231"]
    assert ids(updated_after=(start + timedelta(minutes=1)).isoformat()) == [
        "EC000231",
        "A-2",
    ]
    assert old.pk != new.pk


def test_the_list_pages_by_keyset_and_sees_every_document_once(
    api: ErpApi, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        submitted(api, referenceNumber=f"P-{n}")

    seen: list[str] = []
    response = api.get("documents", page_size=2)
    pages = 0
    while True:
        body = response.json()
        seen += [row["erpReference"] for row in body["results"]]
        pages += 1
        if body["next"] is None:
            break
        # A document changing between pages moves to the end; it is not lost.
        Document.objects.filter(erp_reference="P-0").update(updated_at=timezone.now())
        with django_assert_max_num_queries(6):
            response = api.http.get(body["next"])

    assert pages == 3
    assert sorted(set(seen)) == [f"P-{n}" for n in range(5)]


def test_the_list_shows_only_the_clients_company(
    api: ErpApi, api_for: Callable[[Company], ErpApi]
) -> None:
    submitted(api_for(CompanyFactory(code="other", currency="EUR")))
    submitted(api, referenceNumber="MINE")

    results = api.get("documents").json()["results"]

    assert [row["erpReference"] for row in results] == ["MINE"]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"status": "done"}, "status"),
        ({"type": "invoice"}, "type"),
        ({"updated_after": "yesterday"}, "updated_after"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 201}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_a_400(
    api: ErpApi, params: dict[str, Any], path: str
) -> None:
    problem = assert_problem(api.get("documents", **params), 400, "invalid")

    assert [e["path"] for e in problem["errors"]] == [path]


# --- cancel ----------------------------------------------------------------------------


def _effects() -> tuple[int, int]:
    return HistoryEvent.objects.count(), OutboxEvent.objects.count()


def test_cancel_answers_the_cancelled_document(
    api: ErpApi, two_steps: tuple[Employee, Employee]
) -> None:
    document = route(submitted(api))

    response = api.post(f"documents/{document.public_id}/cancel", {})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["approvalStatus"]) == ("cancelled", "Canceled")
    assert body["openTasks"] == []
    assert set(
        Task.objects.filter(document=document).values_list("status", flat=True)
    ) == {"cancelled"}
    event = OutboxEvent.objects.get(document=document)
    assert event.event_type == "document.cancelled"


def test_cancel_twice_answers_the_same_and_writes_nothing_more(
    api: ErpApi, two_steps: tuple[Employee, Employee]
) -> None:
    document = route(submitted(api))
    first = api.post(f"documents/{document.public_id}/cancel", {})
    after_first = _effects()

    again = api.post(f"documents/{document.public_id}/cancel", {})

    assert again.status_code == 200
    assert again.json() == first.json()
    assert _effects() == after_first


def test_cancel_needs_no_body(api: ErpApi) -> None:
    document = submitted(api)

    response = api.http.post(f"/api/v1/documents/{document.public_id}/cancel")

    assert response.status_code == 200
    assert current(document).status == Document.Status.CANCELLED


@pytest.mark.parametrize("outcome", ["approved", "rejected"])
def test_cancelling_a_finished_document_is_a_409_and_changes_nothing(
    api: ErpApi, two_steps: tuple[Employee, Employee], outcome: str
) -> None:
    anna, bob = two_steps
    document = route(submitted(api))
    if outcome == "approved":
        approve_and_advance(task_of(document, anna))
        approve_and_advance(task_of(document, bob))
    else:
        reject(task_of(document, anna))
    assert current(document).status == outcome
    before = (_effects(), current(document).updated_at)

    response = api.post(f"documents/{document.public_id}/cancel", {})

    body = assert_problem(response, 409, "finished")
    assert body["documentStatus"] == outcome
    assert (_effects(), current(document).updated_at) == before


def test_a_cancelled_document_can_be_received_again(
    api: ErpApi, company: Company
) -> None:
    document = submitted(api)
    api.post(f"documents/{document.public_id}/cancel", {})

    again = submitted(api, description="second try")

    assert again.pk == document.pk
    assert again.status == Document.Status.RECEIVED
    assert again.description == "second try"


def test_receive_helper_documents_are_visible_too(
    api: ErpApi, company: Company
) -> None:
    """Documents that reached Signoff another way (the demo, a migration) read the same."""
    document = receive(
        company,
        reference="X-1",
        lines=[LineInput(line_number=1, amount=Decimal("1250.00"))],
    )

    body = api.get(f"documents/{document.public_id}").json()

    assert body["erpReference"] == "X-1"
    assert body["lines"][0]["amount"] == "1250.00"
