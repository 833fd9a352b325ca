"""My tasks (/tasks/): access, columns and markers, filters, sorting, keyset pages,
the query count, and bulk approve with its confirmation step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents.choices import TaskStatus
from documents.models import Decision, Document, Task
from documents.services import (
    task_forward,
    task_request_review,
    tasks_reassign,
)
from orgunits.models import Membership, UserPreference
from tests.documents.conftest import current, person, received_and_routed, task_of
from tests.documents.views.conftest import Cast, login
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    CompanyFactory,
    EmployeeFactory,
    SubstitutionFactory,
)
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

LIST = "/tasks/"


def task_ids(response: Any) -> list[int]:
    return [row.task.pk for row in response.context["rows"]]


def documents_for_anna(cast: Cast, count: int) -> list[Task]:
    """`count` invoices waiting for Anna, suppliers A.. and amounts rising."""
    return [
        cast.task(
            cast.document(
                f"INV-{n:03d}",
                gross=f"{100 + n * 10}.00",
                supplier_name=f"Supplier {chr(65 + n % 26)}{n:03d}",
                description=f"Purchase {n}",
                lines=(),
            )
        )
        for n in range(count)
    ]


# --- access -------------------------------------------------------------------------


def test_anonymous_goes_to_the_login_page() -> None:
    response = login(None).get(LIST)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/tasks/"


def test_each_person_sees_only_their_own_open_tasks(cast: Cast) -> None:
    task = cast.task(cast.document())

    assert task_ids(login(cast.anna.user).get(LIST)) == [task.pk]
    # Carl's task is planned (a later step); Bob, the viewer, the administrator and
    # another company's user have none.
    for user in (cast.carl.user, cast.bob.user, cast.viewer, cast.admin):
        assert task_ids(login(user).get(LIST)) == []
    assert task_ids(login(cast.outsider.user).get(LIST)) == []


def test_the_columns_show_type_party_description_company_amount_and_due(
    cast: Cast,
) -> None:
    task = cast.task(cast.document(description="Chairs", gross="12345.60"))

    body = login(cast.anna.user).get(LIST).content.decode()

    assert "Purchase invoice" in body
    assert "Acme AS" in body
    assert "Chairs" in body
    assert "Nordlys AS" in body
    assert '<td data-label="Amount" class="num">12,345.60&nbsp;EUR</td>' in body
    assert f'href="/tasks/{task.pk}/"' in body
    task.refresh_from_db()
    assert task.due_date is not None
    assert task.due_date.strftime("%m/%d/%Y") in body  # SHORT_DATE_FORMAT in English


def test_a_long_description_is_cut_and_a_document_from_nobody_says_so(
    cast: Cast,
) -> None:
    cast.task(
        cast.document(description="x" * 200, supplier_name="", requester_number="")
    )

    body = login(cast.anna.user).get(LIST).content.decode()

    assert "x" * 119 + "…" in body
    assert "x" * 120 not in body
    assert "(unknown)" in body


def test_a_supplier_name_with_markup_renders_as_text(cast: Cast) -> None:
    cast.document(supplier_name="<script>alert(1)</script>")

    body = login(cast.anna.user).get(LIST).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- markers ------------------------------------------------------------------------


def test_a_substitute_sees_the_task_on_behalf_of_the_assignee(cast: Cast) -> None:
    task = cast.task(cast.document())
    SubstitutionFactory(principal=cast.anna, substitute=cast.bob)

    response = login(cast.bob.user).get(LIST)

    assert task_ids(response) == [task.pk]
    assert "On behalf of Anna" in response.content.decode()
    assert "On behalf of" not in login(cast.anna.user).get(LIST).content.decode()


def test_forwarded_review_and_reassigned_tasks_are_marked(cast: Cast) -> None:
    first, second, third = documents_for_anna(cast, 3)
    task_forward(
        task_id=first.pk,
        employee=cast.anna,
        user=cast.anna.user,
        expected_version=current(first.document).version,
        to_employee=cast.bob,
    )
    task_request_review(
        task_id=second.pk,
        employee=cast.anna,
        user=cast.anna.user,
        expected_version=current(second.document).version,
        reviewer=cast.bob,
    )
    tasks_reassign(
        task_ids=[third.pk],
        to_employee=cast.bob,
        admin_user=cast.admin,
        comment="Anna is away.",
    )

    bob_body = login(cast.bob.user).get(LIST).content.decode()

    assert "badge-forwarded" in bob_body
    assert "Review requested" in bob_body
    assert "badge-reassigned" in bob_body
    # Anna's task waits for the review: it leaves her list until Bob answers.
    assert task_ids(login(cast.anna.user).get(LIST)) == []


def test_overdue_and_soon_overdue_tasks_are_marked_and_filtered(cast: Cast) -> None:
    early, late = documents_for_anna(cast, 2)
    due = early.due_date
    assert due is not None
    Task.objects.filter(pk=late.pk).update(due_date=due + timedelta(days=30))
    anna = login(cast.anna.user)

    # The day after the due date: the first task is overdue, the other is not.
    with time_machine.travel(due + timedelta(days=1), tick=False):
        response = anna.get(LIST)
        assert "badge-overdue" in response.content.decode()
        assert task_ids(anna.get(LIST, {"due": "overdue"})) == [early.pk]

    # On the due date itself it is "soon overdue" (3 working days by default).
    with time_machine.travel(due, tick=False):
        body = anna.get(LIST).content.decode()
        assert "badge-soon" in body
        assert "badge-overdue" not in body
        assert task_ids(anna.get(LIST, {"due": "soon"})) == [early.pk]


def test_soon_overdue_follows_the_persons_own_number_of_days(cast: Cast) -> None:
    (task,) = documents_for_anna(cast, 1)
    assert task.due_date is not None
    # Ten weekdays before the due date: soon only with a generous setting.
    moment = task.due_date - timedelta(days=14)
    anna = login(cast.anna.user)
    with time_machine.travel(moment, tick=False):
        assert task_ids(anna.get(LIST, {"due": "soon"})) == []
        UserPreference.objects.create(user=cast.anna.user, soon_overdue_days=12)
        assert task_ids(anna.get(LIST, {"due": "soon"})) == [task.pk]


# --- filters and search -------------------------------------------------------------


def test_search_finds_supplier_reference_and_description(cast: Cast) -> None:
    tasks = documents_for_anna(cast, 3)
    anna = login(cast.anna.user)

    assert task_ids(anna.get(LIST, {"q": "supplier b001"})) == [tasks[1].pk]
    assert task_ids(anna.get(LIST, {"q": "INV-002"})) == [tasks[2].pk]
    assert task_ids(anna.get(LIST, {"q": "Purchase 0"})) == [tasks[0].pk]
    assert task_ids(anna.get(LIST, {"q": "nothing like this"})) == []


def test_the_list_spans_companies_and_the_filter_narrows_it(cast: Cast) -> None:
    here = cast.task(cast.document())
    elsewhere_company = CompanyFactory(name="Aurora AB", code="aurora")
    anna_elsewhere = EmployeeFactory(
        company=elsewhere_company, name="Anna", user=cast.anna.user
    )
    Membership.objects.create(
        company=elsewhere_company, user=cast.anna.user, approves_purchase_invoices=True
    )
    publish_workflow(
        elsewhere_company, step(name="Only", rules=(named(anna_elsewhere),))
    )
    there = task_of(received_and_routed(elsewhere_company), anna_elsewhere)
    anna = login(cast.anna.user)

    response = anna.get(LIST)
    assert set(task_ids(response)) == {here.pk, there.pk}
    body = response.content.decode()
    # The company switcher in the navigation lists both companies.
    assert 'id="company-switcher"' in body
    assert '<option value="aurora">Aurora AB</option>' in body
    assert task_ids(anna.get(LIST, {"company": "aurora"})) == [there.pk]
    assert task_ids(anna.get(LIST, {"company": cast.company.code})) == [here.pk]
    # A company the person does not work in is ignored, not an error.
    assert set(task_ids(anna.get(LIST, {"company": "nope"}))) == {here.pk, there.pk}


def test_the_document_type_filter(cast: Cast) -> None:
    invoice = cast.task(cast.document())
    sheet_flow_person = person(cast.company, "Tess", rights=("time_sheet",))
    publish_workflow(
        cast.company,
        step(name="Sheets", rules=(named(cast.anna),)),
        document_type="time_sheet",
    )
    Membership.objects.filter(user=cast.anna.user).update(approves_time_sheets=True)
    sheet = task_of(
        received_and_routed(
            cast.company,
            reference="TS-1",
            document_type="time_sheet",
            erp_document_type="TimeCard",
            supplier_name="",
            requester_number=sheet_flow_person.number,
        ),
        cast.anna,
    )
    anna = login(cast.anna.user)

    assert task_ids(anna.get(LIST, {"type": "time_sheet"})) == [sheet.pk]
    assert task_ids(anna.get(LIST, {"type": "purchase_invoice"})) == [invoice.pk]
    # The requester stands in the supplier column for time sheets.
    assert "Tess" in anna.get(LIST, {"type": "time_sheet"}).content.decode()


# --- sorting and keyset pages -------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("party", lambda t: (t.document.supplier_name, t.pk)),
        ("amount", lambda t: (t.document.gross_amount, t.pk)),
        ("description", lambda t: (t.document.description, t.pk)),
        ("type", lambda t: (t.document.document_type, t.pk)),
        ("company", lambda t: (t.company.name, t.pk)),
        ("due", lambda t: (t.due_date, t.pk)),
    ],
)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_column_sorts_both_ways(cast: Cast, sort: str, key, direction) -> None:
    tasks = documents_for_anna(cast, 5)
    Task.objects.filter(pk=tasks[2].pk).update(
        due_date=timezone.localdate() + timedelta(days=2)
    )
    fresh = list(
        Task.objects.filter(pk__in=[t.pk for t in tasks]).select_related(
            "document", "company"
        )
    )
    expected = [t.pk for t in sorted(fresh, key=key, reverse=direction == "desc")]

    response = login(cast.anna.user).get(LIST, {"sort": sort, "dir": direction})

    assert task_ids(response) == expected


def test_an_unknown_sort_falls_back_to_the_due_date(cast: Cast) -> None:
    tasks = documents_for_anna(cast, 3)
    response = login(cast.anna.user).get(LIST, {"sort": "password", "dir": "sideways"})
    assert response.status_code == 200
    assert task_ids(response) == [t.pk for t in tasks]


def test_the_filter_form_also_sorts_and_keeps_the_chosen_order(cast: Cast) -> None:
    """Phones show the list as cards without column headers: the form sorts too."""
    documents_for_anna(cast, 2)

    body = (
        login(cast.anna.user)
        .get(LIST, {"sort": "amount", "dir": "desc"})
        .content.decode()
    )

    form = body.split('class="filters card"', 1)[1].split("</form>", 1)[0]
    assert '<label for="id_sort">Sort by</label>' in form
    assert '<option value="amount" selected>Amount</option>' in form
    assert '<option value="due">Task due date</option>' in form
    assert '<label for="id_dir">Order</label>' in form
    assert '<option value="desc" selected>Descending</option>' in form
    # The list reads as cards on a phone: every cell carries its column's name.
    assert '<table class="list task-list stack">' in body
    assert 'data-label="Amount"' in body


@pytest.mark.parametrize(("sort", "direction"), [("due", "asc"), ("amount", "desc")])
def test_keyset_pages_follow_each_other_without_overlap(
    cast: Cast, sort: str, direction: str
) -> None:
    tasks = documents_for_anna(cast, 23)
    anna = login(cast.anna.user)

    first = anna.get(LIST, {"sort": sort, "dir": direction, "per_page": 10})
    second = anna.get(first.context["links"]["next"])
    third = anna.get(second.context["links"]["next"])

    pages = [task_ids(first), task_ids(second), task_ids(third)]
    assert [len(p) for p in pages] == [10, 10, 3]
    assert len({pk for page in pages for pk in page}) == 23
    assert sorted(pk for page in pages for pk in page) == sorted(t.pk for t in tasks)
    assert third.context["links"]["next"] is None
    assert first.context["links"]["previous"] is None
    # The next link carries the last row's key, never an offset.
    assert "after_id=" in first.context["links"]["next"]
    assert "offset" not in first.context["links"]["next"]
    # Walking back gives the previous page exactly.
    assert task_ids(anna.get(third.context["links"]["previous"])) == pages[1]
    assert task_ids(anna.get(second.context["links"]["previous"])) == pages[0]


def test_a_row_approved_meanwhile_does_not_shift_the_next_page(cast: Cast) -> None:
    tasks = documents_for_anna(cast, 12)
    anna = login(cast.anna.user)
    first = anna.get(LIST, {"per_page": 10})
    approved = tasks[0]
    anna.post(
        f"/tasks/{approved.pk}/approve/",
        {"version": current(approved.document).version},
    )

    second = anna.get(first.context["links"]["next"])

    assert task_ids(second) == [t.pk for t in tasks[10:]]


def test_a_broken_cursor_starts_at_the_first_page(cast: Cast) -> None:
    tasks = documents_for_anna(cast, 2)
    response = login(cast.anna.user).get(
        LIST, {"sort": "amount", "after": "not-a-number", "after_id": 1}
    )
    assert task_ids(response) == [t.pk for t in tasks]


# --- query count ---------------------------------------------------------------------


def _list_queries(cast: Cast) -> int:
    client = login(cast.anna.user)
    client.get(LIST)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, {"per_page": 50}).status_code == 200
    return len(queries)


#: session, user, memberships (navigation and company filter), preferences,
#: holidays for "soon overdue", the person's assignee ids (own employees and
#: principals: the index the task queries start from), the count, the page of tasks,
#: the page's companies (a join to them made PostgreSQL loop over the tasks per company).
EXPECTED_LIST_QUERIES = 9


def test_the_list_reads_the_same_queries_for_one_task_and_forty(
    cast: Cast, django_assert_num_queries
) -> None:
    documents_for_anna(cast, 1)
    with_one = _list_queries(cast)
    documents_for_anna_more = [
        cast.task(cast.document(f"MORE-{n}", lines=())) for n in range(39)
    ]
    SubstitutionFactory(principal=cast.carl, substitute=cast.anna)
    assert len(documents_for_anna_more) == 39

    assert _list_queries(cast) == with_one == EXPECTED_LIST_QUERIES
    client = login(cast.anna.user)
    client.get(LIST)
    with django_assert_num_queries(EXPECTED_LIST_QUERIES):
        response = client.get(LIST, {"per_page": 50})
    assert len(task_ids(response)) == 40


@pytest.mark.postgres
def test_the_first_page_reads_the_persons_tasks_in_index_order(cast: Cast) -> None:
    """The default order (due date, undated last, then id) is the index
    `task_assignee_due`: PostgreSQL stops after a page of rows instead of sorting all
    of the person's tasks. A sort expression that drifts from the index's shows up
    here as a Sort node."""
    documents_for_anna(cast, 3)
    client = login(cast.anna.user)
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST)
    [page_sql] = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "documents_task"') and "LIMIT" in q["sql"]
    ]
    with connection.cursor() as cursor:
        # A three-row table is cheaper to scan; the question is whether the index
        # can give the order, so scans that cannot are priced out.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {page_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "task_assignee_due" in plan
    assert "Sort" not in plan


# --- bulk approve ----------------------------------------------------------------------


def test_bulk_approve_confirms_then_approves_and_reports_the_stale_item(
    cast: Cast,
) -> None:
    fresh, stale, also_fresh = documents_for_anna(cast, 3)
    anna = login(cast.anna.user)
    items = [
        f"{fresh.pk}:{current(fresh.document).version}",
        f"{stale.pk}:{current(stale.document).version - 1}",
        f"{also_fresh.pk}:{current(also_fresh.document).version}",
    ]

    confirm = anna.get("/tasks/bulk-approve/", {"item": items})
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Approve 3 tasks" in body
    assert "Changed since the list was shown" in body
    assert not Decision.objects.exists()

    done = anna.post("/tasks/bulk-approve/", {"item": items}, follow=True)

    assert done.redirect_chain == [("/tasks/", 302)]
    text = done.content.decode()
    assert "Approved 2 tasks." in text
    assert (
        "INV-001 (Supplier B001) was not approved: The document changed since" in text
    )
    statuses = dict(
        Task.objects.filter(pk__in=[fresh.pk, stale.pk, also_fresh.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {
        fresh.pk: TaskStatus.COMPLETED,
        stale.pk: TaskStatus.ACTIVE,
        also_fresh.pk: TaskStatus.COMPLETED,
    }


def test_bulk_approve_refuses_other_peoples_tasks(cast: Cast) -> None:
    (task,) = documents_for_anna(cast, 1)
    item = f"{task.pk}:{current(task.document).version}"

    bob = login(cast.bob.user)
    confirm = bob.get("/tasks/bulk-approve/", {"item": [item]})
    assert f"Task {task.pk} is no longer in your list." in confirm.content.decode()
    done = bob.post("/tasks/bulk-approve/", {"item": [item]}, follow=True)
    assert f"Task {task.pk} was not approved" in done.content.decode()

    # Another company's user learns nothing about the task.
    outsider = login(cast.outsider.user)
    done = outsider.post("/tasks/bulk-approve/", {"item": [item]}, follow=True)
    assert f"Task {task.pk} was not approved: No such task." in done.content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


def test_bulk_approve_without_a_selection_goes_back_with_a_message(cast: Cast) -> None:
    response = login(cast.anna.user).get("/tasks/bulk-approve/", follow=True)
    assert "Select at least one task to approve." in response.content.decode()


def test_bulk_approve_posts_need_the_csrf_token(cast: Cast) -> None:
    (task,) = documents_for_anna(cast, 1)
    anna = login(cast.anna.user, csrf_checks=True)

    response = anna.post(
        "/tasks/bulk-approve/",
        {"item": [f"{task.pk}:{current(task.document).version}"]},
    )

    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


def test_the_list_offers_bulk_selection_with_the_shown_version(cast: Cast) -> None:
    (task,) = documents_for_anna(cast, 1)
    document: Document = current(task.document)

    body = login(cast.anna.user).get(LIST).content.decode()

    assert f'value="{task.pk}:{document.version}" form="bulk-form"' in body
