"""The administrators' task overview and reassigning (/c/<code>/admin/tasks/), and the
process overview (/c/<code>/admin/processes/): filters, keyset pages, reassign many
with per-task results, viewer read-only, bad input, constant query counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.choices import TaskOrigin, TaskStatus
from documents.models import Document, Process, Task
from documents.selectors_admin import TaskQuery, task_overview_page
from documents.services import document_cancel
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


class World:
    def __init__(self) -> None:
        self.company: Company = CompanyFactory(name="Nordlys AS", code="nordlys")
        self.anna: Employee = person(self.company, "Anna")
        self.bob: Employee = person(self.company, "Bob")
        self.carl: Employee = person(self.company, "Carl")
        self.workflow_version = publish_workflow(
            self.company,
            step(name="Managers", rules=(named(self.anna),)),
            step(name="CFO", rules=(named(self.carl),)),
        )
        self.admin = MembershipFactory(company=self.company, admin=True).user
        self.viewer = MembershipFactory(company=self.company, viewer=True).user
        self.outsider = MembershipFactory(company=CompanyFactory(), admin=True).user

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"documents_admin:{name}", args=[self.company.code, *args])

    def document(self, reference: str, **kwargs: Any) -> Document:
        return received_and_routed(self.company, reference=reference, **kwargs)

    def task(self, document: Document) -> Task:
        return Task.objects.get(document=document, status=TaskStatus.ACTIVE)


@pytest.fixture
def world(db: None) -> World:
    return World()


def task_ids(response: Any) -> list[int]:
    return [row["task"].pk for row in response.context["rows"]]


def item(task: Task) -> str:
    return f"{task.pk}:{current(task.document).version}"


# --- the task overview ------------------------------------------------------------------


def test_anonymous_login_and_others_404(world: World) -> None:
    url = world.url("task_list")
    assert login(None).get(url)["Location"] == f"/accounts/login/?next={url}"
    assert login(world.anna.user).get(url).status_code == 404
    assert login(world.outsider).get(url).status_code == 404


def test_the_overview_lists_waiting_tasks_soonest_due_first(world: World) -> None:
    later = world.task(world.document("A-1"))
    sooner = world.task(world.document("A-2"))
    Task.objects.filter(pk=sooner.pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )

    response = login(world.admin).get(world.url("task_list"))

    assert task_ids(response) == [sooner.pk, later.pk]
    rows = {row["task"].pk: row for row in response.context["rows"]}
    assert rows[sooner.pk]["overdue"]
    assert rows[later.pk]["selectable"]
    assert b"Reassign selected" in response.content


def test_filters_by_assignee_step_due_type_and_document(world: World) -> None:
    first = world.task(world.document("F-1"))
    second = world.task(world.document("F-2"))
    Task.objects.filter(pk=first.pk).update(
        due_date=timezone.localdate() - timedelta(days=2)
    )
    client = login(world.admin)

    def ids(**query: Any) -> list[int]:
        return task_ids(client.get(world.url("task_list"), query))

    assert ids(assignee=world.anna.pk) == [first.pk, second.pk]
    assert ids(step="Managers") == [first.pk, second.pk]
    # Only steps with waiting tasks are offered; anything else is ignored.
    assert ids(step="CFO") == [first.pk, second.pk]
    assert ids(due="overdue") == [first.pk]
    assert ids(type="time_sheet") == []
    assert ids(document=second.document_id) == [second.pk]
    assert ids(status="blocked") == []


def test_soon_overdue_filter(world: World) -> None:
    soon = world.task(world.document("S-1"))
    far = world.task(world.document("S-2"))
    Task.objects.filter(pk=soon.pk).update(due_date=timezone.localdate())
    Task.objects.filter(pk=far.pk).update(
        due_date=timezone.localdate() + timedelta(days=60)
    )
    response = login(world.admin).get(world.url("task_list"), {"due": "soon"})
    assert task_ids(response) == [soon.pk]


def test_keyset_pages_of_tasks(world: World) -> None:
    tasks = [world.task(world.document(f"K-{n}")) for n in range(5)]
    today = timezone.localdate()
    for n, task in enumerate(tasks):
        Task.objects.filter(pk=task.pk).update(due_date=today + timedelta(days=n % 2))
    expected = [
        t.pk
        for t in sorted(
            Task.objects.filter(pk__in=[t.pk for t in tasks]),
            key=lambda t: (t.due_date, t.pk),
        )
    ]

    def page(**kwargs: Any) -> Any:
        return task_overview_page(
            company=world.company,
            query=TaskQuery(page_size=2, **kwargs),
            today=today,
            soon_until=today,
        )

    seen: list[int] = []
    current_page = page()
    pages = [current_page]
    while True:
        seen += [t.pk for t in current_page.rows]
        if current_page.next_key is None:
            break
        day, _sep, pk = current_page.next_key.partition("_")
        current_page = page(after=(date.fromisoformat(day), int(pk)))
        pages.append(current_page)
    assert seen == expected
    last = pages[-1]
    day, _sep, pk = last.previous_key.partition("_")
    back = page(before=(date.fromisoformat(day), int(pk)))
    assert [t.pk for t in back.rows] == [t.pk for t in pages[-2].rows]


@pytest.mark.parametrize(
    "query",
    [
        {"assignee": "abc"},
        {"assignee": "999999"},
        {"step": "<script>"},
        {"due": "yesterday"},
        {"after": "2026-99-99_1"},
        {"before": "garbage"},
        {"document": "-4"},
        {"status": "gone"},
    ],
)
def test_bad_task_filters_show_the_list(world: World, query: dict[str, str]) -> None:
    world.document("B-1")
    assert login(world.admin).get(world.url("task_list"), query).status_code == 200


#: Session, user, membership, navigation, preference, holidays (soon overdue),
#: assignees, step names, count, page.
EXPECTED_TASK_LIST_QUERIES = 10


def test_the_overview_reads_the_same_queries_for_one_task_and_twenty(
    world: World, django_assert_num_queries: Any
) -> None:
    world.document("Q-0")
    client = login(world.admin)
    client.get(world.url("task_list"))
    with django_assert_num_queries(EXPECTED_TASK_LIST_QUERIES):
        client.get(world.url("task_list"))
    for n in range(1, 20):
        world.document(f"Q-{n}")
    with django_assert_num_queries(EXPECTED_TASK_LIST_QUERIES):
        response = client.get(world.url("task_list"))
    assert len(task_ids(response)) == 20


def test_the_viewer_sees_tasks_without_checkboxes_and_cannot_reassign(
    world: World,
) -> None:
    task = world.task(world.document("V-1"))
    client = login(world.viewer)
    response = client.get(world.url("task_list"))
    assert task_ids(response) == [task.pk]
    assert b'name="item"' not in response.content
    assert (
        client.get(world.url("task_reassign"), {"item": item(task)}).status_code == 404
    )
    posted = client.post(
        world.url("task_reassign"),
        {"item": item(task), "to_employee": world.bob.pk, "comment": "x"},
    )
    assert posted.status_code == 404
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


# --- reassign ---------------------------------------------------------------------------


def test_reassign_many_confirms_then_reports_each_task(world: World) -> None:
    first = world.task(world.document("R-1"))
    second = world.task(world.document("R-2"))
    third = world.task(world.document("R-3"))
    # Bob requested the third: he may not approve it (segregation of duties).
    Document.objects.filter(pk=third.document_id).update(requester=world.bob)
    items = [item(first), item(second), item(third)]
    client = login(world.admin)

    confirm = client.get(world.url("task_reassign"), {"item": items})
    assert confirm.status_code == 200
    assert [row["refused"] for row in confirm.context["rows"]] == ["", "", ""]

    no_comment = client.post(
        world.url("task_reassign"), {"item": items, "to_employee": world.bob.pk}
    )
    assert no_comment.status_code == 400
    assert "A comment is required to reassign." in no_comment.content.decode()
    assert Task.objects.get(pk=first.pk).status == TaskStatus.ACTIVE

    response = client.post(
        world.url("task_reassign"),
        {"item": items, "to_employee": world.bob.pk, "comment": "Anna is away."},
    )

    assert response.status_code == 200
    results = {
        row["result"].item_id: row["result"] for row in response.context["results"]
    }
    assert results[first.pk].ok
    assert results[second.pk].ok
    assert not results[third.pk].ok
    assert "requester" in results[third.pk].message
    for task in (first, second):
        assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED
        new = Task.objects.get(reassigned_from=task)
        assert (new.assignee, new.origin, new.status) == (
            world.bob,
            TaskOrigin.REASSIGN,
            TaskStatus.ACTIVE,
        )
    assert Task.objects.get(pk=third.pk).status == TaskStatus.ACTIVE
    assert "Refused" in response.content.decode()


def test_reassign_refuses_a_stale_and_a_finished_item(world: World) -> None:
    stale = world.task(world.document("X-1"))
    finished = world.task(world.document("X-2"))
    shown = item(finished)
    document_cancel(document_id=finished.document_id, actor_label="ERP")

    response = login(world.admin).post(
        world.url("task_reassign"),
        {
            "item": [f"{stale.pk}:{current(stale.document).version + 1}", shown],
            "to_employee": world.bob.pk,
            "comment": "Moving.",
        },
    )

    results = {
        row["result"].item_id: row["result"] for row in response.context["results"]
    }
    assert results[stale.pk].code == "stale_version"
    assert results[finished.pk].code == "not_reassignable"
    assert Task.objects.get(pk=stale.pk).status == TaskStatus.ACTIVE


def test_reassign_of_another_companys_task_reads_as_missing(world: World) -> None:
    other = CompanyFactory(code="elsewhere")
    olga = person(other, "Olga")
    publish_workflow(other, step(name="S", rules=(named(olga),)))
    foreign = Task.objects.get(
        document=route(receive(other, reference="O-1")), status=TaskStatus.ACTIVE
    )
    response = login(world.admin).post(
        world.url("task_reassign"),
        {"item": item(foreign), "to_employee": world.bob.pk, "comment": "x"},
    )
    (row,) = response.context["results"]
    assert row["result"].message == "No such task."
    assert Task.objects.get(pk=foreign.pk).status == TaskStatus.ACTIVE


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"item": "x:y"},
        {"item": "1"},
        {"item": "1:1", "to_employee": "abc", "comment": "x"},
    ],
)
def test_bad_reassign_input_never_a_500(world: World, data: dict[str, str]) -> None:
    client = login(world.admin)
    for method in (client.get, client.post):
        response = method(world.url("task_reassign"), data)
        assert response.status_code in (302, 400, 200)


# --- the process overview ---------------------------------------------------------------


def process_ids(response: Any) -> list[int]:
    return [p.pk for p in response.context["page"].rows]


def test_the_process_overview_filters_by_status_workflow_type_and_dates(
    world: World,
) -> None:
    running = world.document("P-1")
    cancelled = world.document("P-2", supplier_name="Birch Ltd")
    document_cancel(document_id=cancelled.pk, actor_label="ERP")
    client = login(world.viewer)

    def ids(**query: Any) -> list[int]:
        response = client.get(world.url("process_list"), query)
        assert response.status_code == 200
        return process_ids(response)

    first, second = (Process.objects.get(document=d) for d in (running, cancelled))
    assert ids() == [second.pk, first.pk]
    assert ids(status="cancelled") == [second.pk]
    assert ids(workflow=world.workflow_version.workflow_id) == [second.pk, first.pk]
    assert ids(type="expense_claim") == []
    assert ids(q="birch") == [second.pk]
    today = timezone.localdate()
    assert ids(started_from=today.isoformat(), started_to=today.isoformat()) == [
        second.pk,
        first.pk,
    ]
    assert ids(started_to=(today - timedelta(days=1)).isoformat()) == []
    assert ids(started_from="not-a-date", workflow="x", after="-1") == [
        second.pk,
        first.pk,
    ]


#: Session, user, membership, navigation, workflows (filter), count, page.
EXPECTED_PROCESS_LIST_QUERIES = 7


def test_the_process_overview_reads_the_same_queries_for_one_and_twenty(
    world: World, django_assert_num_queries: Any
) -> None:
    world.document("Z-0")
    client = login(world.admin)
    client.get(world.url("process_list"))
    with django_assert_num_queries(EXPECTED_PROCESS_LIST_QUERIES):
        client.get(world.url("process_list"))
    for n in range(1, 20):
        world.document(f"Z-{n}")
    with django_assert_num_queries(EXPECTED_PROCESS_LIST_QUERIES):
        response = client.get(world.url("process_list"))
    assert len(process_ids(response)) == 20
