"""The administrators' document overview and document page (/c/<code>/admin/documents/):
access per role, tabs and filters, keyset pages, every action through the page
(approve / reject / cancel directly, resend with its preview, many at once), stale
pages, bad input, and query counts that do not grow with the rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from documents.choices import DocumentStatus
from documents.models import Document, HistoryEvent, OutboxEvent, Task
from documents.selectors_admin import DocumentQuery, document_overview_page
from documents.services import document_edit
from orgunits.models import Company, Employee
from tests.documents.conftest import (
    current,
    person,
    receive,
    received_and_routed,
    route,
)
from tests.documents.views.conftest import login
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, MembershipFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@dataclass
class Admins:
    company: Company
    anna: Employee
    admin: AbstractUser  # administrator with the invoice approver right
    plain_admin: AbstractUser  # administrator without it
    viewer: AbstractUser
    approver: AbstractUser  # a member who only approves
    outsider: AbstractUser  # administrator of another company

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"documents_admin:{name}", args=[self.company.code, *args])

    def blocked(self, reference: str = "INV-1", **kwargs: Any) -> Document:
        """Blocked at routing: no workflow is active for invoices yet."""
        document = route(receive(self.company, reference=reference, **kwargs))
        assert document.status == DocumentStatus.BLOCKED
        return document


@pytest.fixture
def admins(db: None) -> Admins:
    company = CompanyFactory(name="Nordlys AS", code="nordlys")
    anna = person(company, "Anna")
    other = CompanyFactory(name="Other Co", code="other")
    return Admins(
        company=company,
        anna=anna,
        admin=MembershipFactory(
            company=company, admin=True, approves_purchase_invoices=True
        ).user,
        plain_admin=MembershipFactory(company=company, admin=True).user,
        viewer=MembershipFactory(company=company, viewer=True).user,
        approver=anna.user,
        outsider=MembershipFactory(company=other, admin=True).user,
    )


def document_ids(response: Any) -> list[int]:
    return [row["document"].pk for row in response.context["rows"]]


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- access -----------------------------------------------------------------------------


def test_anonymous_goes_to_the_login_page(admins: Admins) -> None:
    url = admins.url("document_list")
    response = login(None).get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("who", ["approver", "outsider"])
def test_approvers_and_other_companies_get_404(admins: Admins, who: str) -> None:
    document = admins.blocked()
    client = login(getattr(admins, who))
    for url in (
        admins.url("document_list"),
        admins.url("document_detail", document.pk),
        admins.url("process_list"),
        admins.url("task_list"),
    ):
        assert client.get(url).status_code == 404, url


def test_another_companys_document_is_404_for_an_administrator(
    admins: Admins,
) -> None:
    other = CompanyFactory(code="third")
    MembershipFactory(company=other, user=admins.admin, admin=True)
    foreign = route(receive(other, reference="F-1"))
    client = login(admins.admin)
    assert client.get(admins.url("document_detail", foreign.pk)).status_code == 404
    response = client.post(
        admins.url("document_action", foreign.pk, "cancel"),
        {"version": foreign.version},
    )
    assert response.status_code == 404
    assert current(foreign).status == DocumentStatus.BLOCKED


def test_the_viewer_reads_everything_without_buttons(admins: Admins) -> None:
    document = admins.blocked()
    client = login(admins.viewer)

    listing = client.get(admins.url("document_list"))
    detail = client.get(admins.url("document_detail", document.pk))

    assert listing.status_code == detail.status_code == 200
    assert document_ids(listing) == [document.pk]
    assert b'name="item"' not in listing.content
    assert detail.context["allowed"] == frozenset()
    assert b"Approve directly" not in detail.content
    assert b"Read only" in detail.content


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("document_action", ("approve",)),
        ("document_action", ("reject",)),
        ("document_action", ("cancel",)),
        ("document_resend", ()),
    ],
)
def test_a_viewers_crafted_post_is_404_and_changes_nothing(
    admins: Admins, name: str, extra: tuple[str, ...]
) -> None:
    document = admins.blocked()
    url = admins.url(name, document.pk, *extra)
    response = login(admins.viewer).post(
        url, {"version": document.version, "comment": "x"}
    )
    assert response.status_code == 404
    bulk = login(admins.viewer).post(
        admins.url("document_bulk"),
        {"item": f"{document.pk}:{document.version}", "action": "cancel_directly"},
    )
    assert bulk.status_code == 404
    assert current(document).status == DocumentStatus.BLOCKED
    assert not OutboxEvent.objects.exists()


# --- the overview -----------------------------------------------------------------------


def test_tabs_count_by_status_and_blocked_rows_say_why_and_what_to_fix(
    admins: Admins,
) -> None:
    blocked = admins.blocked("B-1")
    publish_workflow(admins.company, step(name="Manager", rules=(named(admins.anna),)))
    running = received_and_routed(admins.company, reference="R-1")

    response = login(admins.admin).get(
        admins.url("document_list"), {"status": "blocked"}
    )

    assert document_ids(response) == [blocked.pk]
    counts = {tab["value"]: tab["count"] for tab in response.context["tabs"]}
    assert counts["blocked"] == counts["in_progress"] == 1
    # Finished documents pile up forever: their tabs carry no count.
    assert counts[""] is None
    assert counts["approved"] is None
    content = response.content.decode()
    assert "No workflow is active for purchase invoices." in content
    assert "Activate a workflow for this document type" in content
    everything = login(admins.admin).get(admins.url("document_list"))
    assert document_ids(everything) == [running.pk, blocked.pk]


def test_search_and_type_filter(admins: Admins) -> None:
    acme = admins.blocked("A-1", supplier_name="Acme AS")
    admins.blocked("B-2", supplier_name="Birch Ltd")
    client = login(admins.admin)

    assert document_ids(client.get(admins.url("document_list"), {"q": "acme"})) == [
        acme.pk
    ]
    assert document_ids(client.get(admins.url("document_list"), {"q": "b-2"})) != []
    assert (
        document_ids(client.get(admins.url("document_list"), {"type": "time_sheet"}))
        == []
    )


def test_keyset_pages_forward_and_back(admins: Admins) -> None:
    documents = [admins.blocked(f"P-{n}") for n in range(5)]
    newest_first = [d.pk for d in reversed(documents)]

    def page(**kwargs: Any) -> Any:
        return document_overview_page(
            company=admins.company, query=DocumentQuery(page_size=2, **kwargs)
        )

    first = page()
    assert [d.pk for d in first.rows] == newest_first[:2]
    assert (first.total, first.previous_key) == (5, None)
    second = page(after=int(first.next_key))
    assert [d.pk for d in second.rows] == newest_first[2:4]
    third = page(after=int(second.next_key))
    assert [d.pk for d in third.rows] == newest_first[4:]
    assert third.next_key is None
    back = page(before=int(third.previous_key))
    assert [d.pk for d in back.rows] == newest_first[2:4]
    assert page(before=int(back.previous_key)).previous_key is None

    # The page's links carry the keys.
    client = login(admins.admin)
    response = client.get(admins.url("document_list"), {"after": newest_first[1]})
    assert document_ids(response) == newest_first[2:]
    assert (
        document_ids(client.get(response.context["links"]["previous"]))
        == (newest_first[:2])
    )


@pytest.mark.parametrize(
    "query",
    [
        {"status": "nonsense"},
        {"after": "abc"},
        {"before": "-3"},
        {"per_page": "7"},
        {"type": "<script>"},
        {"q": "x" * 500},
    ],
)
def test_bad_query_strings_show_the_list_never_a_500(
    admins: Admins, query: dict[str, str]
) -> None:
    admins.blocked()
    response = login(admins.admin).get(admins.url("document_list"), query)
    assert response.status_code == 200


def _list_queries(admins: Admins, django_assert_num_queries: Any, count: int) -> None:
    client = login(admins.admin)
    client.get(admins.url("document_list"))
    with django_assert_num_queries(EXPECTED_LIST_QUERIES):
        response = client.get(admins.url("document_list"), {"per_page": 25})
    assert len(document_ids(response)) == count


#: Session, user, membership (company_view), memberships (navigation), count, page,
#: counts by status.
EXPECTED_LIST_QUERIES = 7


def test_the_overview_reads_the_same_queries_for_one_document_and_twenty(
    admins: Admins, django_assert_num_queries: Any
) -> None:
    admins.blocked("Q-0")
    _list_queries(admins, django_assert_num_queries, 1)
    for n in range(1, 20):
        admins.blocked(f"Q-{n}")
    _list_queries(admins, django_assert_num_queries, 20)


# --- the document page ------------------------------------------------------------------


def test_the_document_page_shows_process_steps_history_and_actions(
    admins: Admins,
) -> None:
    publish_workflow(admins.company, step(name="Manager", rules=(named(admins.anna),)))
    document = received_and_routed(admins.company, reference="D-1")

    response = login(admins.admin).get(admins.url("document_detail", document.pk))

    assert response.status_code == 200
    assert response.context["allowed"] == {"cancel_directly"}
    (entry,) = response.context["panel"]
    assert entry.step.name == "Manager"
    assert [p.task.assignee for p in entry.tasks] == [admins.anna]
    labels = [label for _event, label in response.context["history"]]
    assert "Received from the ERP" in labels
    assert "Workflow established" in labels
    assert b"Cancel directly" in response.content


def test_the_document_page_of_a_blocked_one_offers_every_action(
    admins: Admins,
) -> None:
    document = admins.blocked()
    response = login(admins.admin).get(admins.url("document_detail", document.pk))
    assert response.context["allowed"] == {
        "approve_directly",
        "reject_directly",
        "cancel_directly",
        "resend",
    }
    # Without the approver right: no direct decisions, and the page says why.
    plain = login(admins.plain_admin).get(admins.url("document_detail", document.pk))
    assert plain.context["allowed"] == {"cancel_directly", "resend"}
    assert b"needs the approver right" in plain.content


#: Session, user, membership, navigation, the document with its lines, attachments,
#: comments, processes (+ workflow versions), step runs, tasks, decisions, outbox
#: events; the history; the admin actions (admin?, approver right?, blocked midway?).
EXPECTED_DETAIL_QUERIES = 16


def test_the_document_page_reads_the_same_queries_for_one_line_and_twenty(
    admins: Admins, django_assert_num_queries: Any
) -> None:
    from decimal import Decimal

    from documents.services import LineInput

    def lines(n: int) -> tuple[LineInput, ...]:
        return tuple(
            LineInput(line_number=i, amount=Decimal("10.00"), description=f"L{i}")
            for i in range(1, n + 1)
        )

    small = admins.blocked("S-1", lines=lines(1))
    big = admins.blocked("S-2", lines=lines(20))
    client = login(admins.admin)
    client.get(admins.url("document_detail", small.pk))
    with django_assert_num_queries(EXPECTED_DETAIL_QUERIES):
        client.get(admins.url("document_detail", small.pk))
    with django_assert_num_queries(EXPECTED_DETAIL_QUERIES):
        response = client.get(admins.url("document_detail", big.pk))
    assert len(response.context["lines"]) == 20


def test_an_unknown_document_is_404(admins: Admins) -> None:
    assert (
        login(admins.admin).get(admins.url("document_detail", 999999)).status_code
        == 404
    )
    assert (
        login(admins.admin)
        .get(admins.url("document_action", admins.blocked().pk, "explode"))
        .status_code
        == 404
    )


# --- actions on one document ------------------------------------------------------------


def test_approve_directly_through_the_page(admins: Admins) -> None:
    document = admins.blocked()
    client = login(admins.admin)
    url = admins.url("document_action", document.pk, "approve")

    confirm = client.get(url)
    assert confirm.status_code == 200
    response = client.post(
        url, {"version": document.version, "comment": "Known supplier."}, follow=True
    )

    assert response.redirect_chain[-1][0] == admins.url("document_detail", document.pk)
    assert "Approved directly. The ERP is told." in messages_of(response)
    assert current(document).status == DocumentStatus.APPROVED
    assert OutboxEvent.objects.filter(
        document=document, event_type="document.approved"
    ).exists()


def test_reject_directly_needs_a_comment_and_loses_nothing(admins: Admins) -> None:
    document = admins.blocked()
    client = login(admins.admin)
    url = admins.url("document_action", document.pk, "reject")

    refused = client.post(url, {"version": document.version, "comment": "  "})
    assert refused.status_code == 400
    assert "A comment is required to reject directly." in refused.content.decode()
    assert current(document).status == DocumentStatus.BLOCKED

    client.post(url, {"version": document.version, "comment": "Duplicate."})
    assert current(document).status == DocumentStatus.REJECTED


def test_direct_approval_without_the_right_is_refused_with_a_message(
    admins: Admins,
) -> None:
    document = admins.blocked()
    client = login(admins.plain_admin)
    url = admins.url("document_action", document.pk, "approve")

    # The confirmation page is not offered...
    page = client.get(url, follow=True)
    assert "This action is not available for the document now." in messages_of(page)
    # ...and a crafted POST is refused by the same rule.
    response = client.post(
        url, {"version": document.version, "comment": "x"}, follow=True
    )
    assert any("approver right" in m for m in messages_of(response))
    assert current(document).status == DocumentStatus.BLOCKED


def test_cancel_directly_through_the_page(admins: Admins) -> None:
    publish_workflow(admins.company, step(name="Manager", rules=(named(admins.anna),)))
    document = received_and_routed(admins.company, reference="C-1")
    client = login(admins.admin)
    url = admins.url("document_action", document.pk, "cancel")

    assert client.get(url).status_code == 200
    response = client.post(url, {"version": document.version}, follow=True)

    assert "Cancelled. The ERP is told." in messages_of(response)
    assert current(document).status == DocumentStatus.CANCELLED
    assert not Task.objects.filter(
        document=document, status__in=Task.OPEN_STATUSES
    ).exists()
    # Again: refused with the reason, nothing written twice.
    again = client.post(url, {"version": document.version}, follow=True)
    assert any("can no longer be cancelled" in m for m in messages_of(again))
    assert OutboxEvent.objects.filter(document=document).count() == 1


def test_a_stale_page_is_refused(admins: Admins) -> None:
    publish_workflow(
        admins.company,
        step(name="Manager", rules=(named(admins.anna),), editing_allowed=True),
    )
    document = received_and_routed(admins.company, reference="V-1")
    shown = document.version
    task = Task.objects.get(document=document, assignee=admins.anna)
    document_edit(
        document_id=document.pk,
        employee=admins.anna,
        user=admins.anna.user,
        expected_version=shown,
        header={"description": "Changed meanwhile"},
        lines={},
    )
    assert current(document).version != shown
    assert task.pk

    response = login(admins.admin).post(
        admins.url("document_action", document.pk, "cancel"),
        {"version": shown},
        follow=True,
    )

    assert any("changed since you opened it" in m for m in messages_of(response))
    assert current(document).status == DocumentStatus.IN_PROGRESS


@pytest.mark.parametrize(
    "data", [{}, {"version": "abc"}, {"version": "-1"}, {"version": "1" * 30}]
)
def test_bad_action_input_is_a_400_never_a_500(
    admins: Admins, data: dict[str, str]
) -> None:
    document = admins.blocked()
    response = login(admins.admin).post(
        admins.url("document_action", document.pk, "cancel"), data
    )
    assert response.status_code == 400
    assert current(document).status == DocumentStatus.BLOCKED


# --- resend -----------------------------------------------------------------------------


def test_resend_shows_the_resolved_workflow_then_sends(admins: Admins) -> None:
    document = admins.blocked()
    client = login(admins.admin)
    url = admins.url("document_resend", document.pk)

    still_blocked = client.get(url)
    assert still_blocked.status_code == 200
    assert still_blocked.context["plan"].blocked
    assert "It would still be blocked" in still_blocked.content.decode()

    publish_workflow(admins.company, step(name="Manager", rules=(named(admins.anna),)))
    preview = client.get(url)
    assert not preview.context["plan"].blocked
    (entry,) = preview.context["panel"]
    assert [p.task.assignee.name for p in entry.tasks] == ["Anna"]
    assert "Anna" in preview.content.decode()
    assert HistoryEvent.objects.filter(action="documents.document.resend").count() == 0

    response = client.post(url, {"version": document.version}, follow=True)

    assert any("Sent for approval" in m for m in messages_of(response))
    assert current(document).status == DocumentStatus.IN_PROGRESS
    assert Task.objects.filter(
        document=document, assignee=admins.anna, status="active"
    ).exists()


def test_resend_while_still_blocked_says_so(admins: Admins) -> None:
    document = admins.blocked()
    response = login(admins.admin).post(
        admins.url("document_resend", document.pk),
        {"version": document.version},
        follow=True,
    )
    assert any(m.startswith("Still blocked:") for m in messages_of(response))
    assert current(document).status == DocumentStatus.BLOCKED


def test_resend_of_a_document_not_blocked_is_refused_with_a_message(
    admins: Admins,
) -> None:
    publish_workflow(admins.company, step(name="Manager", rules=(named(admins.anna),)))
    document = received_and_routed(admins.company, reference="N-1")
    client = login(admins.admin)
    url = admins.url("document_resend", document.pk)

    page = client.get(url, follow=True)
    assert any("Only a blocked document can be resent" in m for m in messages_of(page))
    response = client.post(url, {"version": document.version}, follow=True)
    assert any(
        "Only a blocked document can be resent" in m for m in messages_of(response)
    )


# --- many at once -----------------------------------------------------------------------


def test_bulk_approve_confirms_then_reports_each_document(admins: Admins) -> None:
    first, second = admins.blocked("M-1"), admins.blocked("M-2")
    publish_workflow(admins.company, step(name="Manager", rules=(named(admins.anna),)))
    running = received_and_routed(admins.company, reference="M-3")
    items = [f"{d.pk}:{d.version}" for d in (first, second, running)]
    client = login(admins.admin)

    confirm = client.get(
        admins.url("document_bulk"), {"item": items, "action": "approve_directly"}
    )
    assert confirm.status_code == 200
    notes = {row["id"]: row["refused"] for row in confirm.context["rows"]}
    assert notes[first.pk] == notes[second.pk] == ""
    assert "Not available" in notes[running.pk]

    missing_comment = client.post(
        admins.url("document_bulk"), {"item": items, "action": "approve_directly"}
    )
    assert missing_comment.status_code == 400
    assert current(first).status == DocumentStatus.BLOCKED

    response = client.post(
        admins.url("document_bulk"),
        {"item": items, "action": "approve_directly", "comment": "Year end."},
    )

    assert response.status_code == 200
    outcome = {
        row["result"].item_id: row["result"] for row in response.context["results"]
    }
    assert outcome[first.pk].ok
    assert outcome[second.pk].ok
    assert not outcome[running.pk].ok
    assert outcome[running.pk].message
    assert current(first).status == current(second).status == DocumentStatus.APPROVED
    assert current(running).status == DocumentStatus.IN_PROGRESS
    assert "Refused" in response.content.decode()


def test_bulk_cancel_refuses_a_stale_item_and_does_the_rest(admins: Admins) -> None:
    fresh, stale = admins.blocked("K-1"), admins.blocked("K-2")
    response = login(admins.admin).post(
        admins.url("document_bulk"),
        {
            "item": [f"{fresh.pk}:{fresh.version}", f"{stale.pk}:{stale.version + 1}"],
            "action": "cancel_directly",
        },
    )
    outcome = {
        row["result"].item_id: row["result"] for row in response.context["results"]
    }
    assert outcome[fresh.pk].ok
    assert outcome[stale.pk].code == "stale_version"
    assert current(fresh).status == DocumentStatus.CANCELLED
    assert current(stale).status == DocumentStatus.BLOCKED


def test_bulk_reject_of_another_companys_document_reads_as_missing(
    admins: Admins,
) -> None:
    foreign = route(receive(CompanyFactory(code="x2"), reference="F-9"))
    response = login(admins.admin).post(
        admins.url("document_bulk"),
        {
            "item": [f"{foreign.pk}:{foreign.version}"],
            "action": "reject_directly",
            "comment": "No.",
        },
    )
    (row,) = response.context["results"]
    assert not row["result"].ok
    assert row["result"].message == "No such document."
    assert current(foreign).status == DocumentStatus.BLOCKED


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"item": "1:x", "action": "cancel_directly"},
        {"item": "5:1", "action": "explode"},
        {"action": "cancel_directly"},
    ],
)
def test_bad_bulk_input_goes_back_with_a_message(
    admins: Admins, data: dict[str, str]
) -> None:
    client = login(admins.admin)
    for method in (client.get, client.post):
        response = method(admins.url("document_bulk"), data)
        assert response.status_code == 302
        assert response["Location"] == admins.url("document_list")
