"""Selectors: who sees which task or document, and constant query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from documents.models import Document, Task
from documents.selectors import (
    document_get_for_user,
    document_history_list,
    task_get_for_user,
    task_list_for_user,
)
from documents.services import LineInput, comment_add
from tests.documents.conftest import (
    active_tasks,
    approve_and_advance,
    person,
    receive,
    received_and_routed,
    route,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    CompanyFactory,
    EmployeeFactory,
    MembershipFactory,
    SubstitutionFactory,
    UserFactory,
)
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


def _row(task: Task) -> tuple[object, ...]:
    """What a task-list row shows: touches every related object it displays."""
    return (
        task.document.erp_reference,
        task.document.supplier_name,
        task.document.gross_amount,
        task.company.name,
        task.assignee.name,
        task.step_run.name,
        task.process.number,
        task.on_behalf_of,
        task.via_substitution,
        task.is_overdue,
    )


def _documents_for(approver, count: int, *, start: int = 0) -> list[Document]:
    return [
        received_and_routed(approver.company, reference=f"INV-{start + n}")
        for n in range(count)
    ]


def test_task_list_shows_own_tasks_across_companies_and_substituted_ones(
    company,
) -> None:
    anna = person(company, "Anna")
    other_company = CompanyFactory()
    anna_there = EmployeeFactory(
        company=other_company, user=anna.user, name="Anna", rights=["purchase_invoice"]
    )
    paul = person(company, "Paul")
    SubstitutionFactory(principal=paul, substitute=anna)
    stranger = person(company, "Stranger")
    publish_workflow(company, step(rules=(named(anna),)))
    mine = received_and_routed(company, reference="MINE")
    publish_workflow(company, step(rules=(named(paul),)))
    pauls = received_and_routed(company, reference="PAULS")
    publish_workflow(company, step(rules=(named(stranger),)))
    received_and_routed(company, reference="NOT-MINE")
    publish_workflow(other_company, step(rules=(named(anna_there),)))
    there = received_and_routed(other_company, reference="THERE")

    rows = {
        t.document.erp_reference: t.via_substitution
        for t in task_list_for_user(user=anna.user)
    }

    assert rows == {"MINE": False, "PAULS": True, "THERE": False}
    only_here = task_list_for_user(user=anna.user, company=other_company)
    assert [t.document for t in only_here] == [there]
    assert {mine.pk, pauls.pk} <= {
        t.document_id for t in task_list_for_user(user=anna.user)
    }


def test_task_list_leaves_out_the_tasks_of_a_deactivated_company(company) -> None:
    """Own tasks there and tasks of someone substituted for there both disappear."""
    anna = person(company, "Anna")
    closed = CompanyFactory(name="Closed AS")
    anna_there = EmployeeFactory(
        company=closed, user=anna.user, name="Anna", rights=["purchase_invoice"]
    )
    paula_there = person(closed, "Paula")
    SubstitutionFactory(principal=paula_there, substitute=anna_there)
    publish_workflow(company, step(rules=(named(anna),)))
    received_and_routed(company, reference="HERE")
    publish_workflow(closed, step(rules=(named(anna_there),)))
    received_and_routed(closed, reference="OWN-THERE")
    publish_workflow(closed, step(rules=(named(paula_there),)))
    received_and_routed(closed, reference="PAULAS-THERE")
    listed = {t.document.erp_reference for t in task_list_for_user(user=anna.user)}
    assert listed == {"HERE", "OWN-THERE", "PAULAS-THERE"}

    closed.is_active = False
    closed.save(update_fields=["is_active"])

    listed = {t.document.erp_reference for t in task_list_for_user(user=anna.user)}
    assert listed == {"HERE"}


def test_task_list_leaves_out_finished_and_planned_tasks(company) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna),)), step(rules=(named(bob),)))
    document = received_and_routed(company)
    assert [t.assignee for t in task_list_for_user(user=bob.user)] == []
    approve_and_advance(active_tasks(document)[0])
    assert [t.assignee for t in task_list_for_user(user=anna.user)] == []
    assert [t.assignee for t in task_list_for_user(user=bob.user)] == [bob]


def test_task_list_query_count_is_the_same_for_1_and_30_tasks(
    company, django_assert_num_queries
) -> None:
    anna, paul = person(company, "Anna"), person(company, "Paul")
    SubstitutionFactory(principal=paul, substitute=anna)
    publish_workflow(company, step(rules=(named(anna),)))
    _documents_for(anna, 1)

    # The assignees (own employees and principals), then the tasks.
    with django_assert_num_queries(2):
        rows = [_row(t) for t in task_list_for_user(user=anna.user)]
    assert len(rows) == 1

    _documents_for(anna, 20, start=100)
    publish_workflow(company, step(rules=(named(paul),)))
    _documents_for(paul, 9, start=200)
    with django_assert_num_queries(2):
        rows = [_row(t) for t in task_list_for_user(user=anna.user)]
    assert len(rows) == 30


def _detail_queries(user, task_id: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        task = task_get_for_user(user=user, task_id=task_id)
        document = task.document
        _ = [line.amount for line in document.lines.all()]
        _ = [a.filename for a in document.attachments.all()]
        _ = [(c.text, c.author and c.author.name) for c in document.comments.all()]
        _ = task.process.workflow_version and task.process.workflow_version.number
        for run in task.process.step_runs.all():
            for step_task in run.tasks.all():
                decision = getattr(step_task, "decision", None)
                _ = (step_task.assignee.name, decision and decision.action)
        _ = [
            (d.decided_by and d.decided_by.name, d.on_behalf_of)
            for d in task.process.decisions.all()
        ]
    return len(queries)


def test_task_detail_query_count_does_not_grow_with_the_document(
    company,
) -> None:
    people = [person(company, f"Approver {n}") for n in range(4)]
    publish_workflow(company, step(rules=(named(people[0]),)))
    small = received_and_routed(company, reference="SMALL")
    publish_workflow(
        company,
        *(step(rules=(named(p),)) for p in people),
    )
    big = route(
        receive(
            company,
            reference="BIG",
            lines=[LineInput(n, Decimal(10)) for n in range(1, 11)],
        )
    )
    for approver in people[:2]:
        approve_and_advance(active_tasks(big)[0])
        comment_add(
            document_id=big.pk, author_employee=approver, user=approver.user, text="ok"
        )

    small_count = _detail_queries(people[0].user, active_tasks(small)[0].pk)
    big_count = _detail_queries(people[2].user, active_tasks(big)[0].pk)

    assert small_count == big_count == 7


def test_a_task_is_not_visible_to_others_and_404_looks_the_same(company) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna),)))
    task = active_tasks(received_and_routed(company))[0]

    assert task_get_for_user(user=anna.user, task_id=task.pk) == task
    with pytest.raises(Http404, match="No such task"):
        task_get_for_user(user=bob.user, task_id=task.pk)
    with pytest.raises(Http404, match="No such task"):
        task_get_for_user(user=anna.user, task_id=task.pk + 1000)


def test_a_substitute_and_an_administrator_see_the_task(company) -> None:
    anna, sara = person(company, "Anna"), person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)
    admin = UserFactory()
    MembershipFactory(company=company, user=admin, admin=True)
    outsider = UserFactory()
    MembershipFactory(company=CompanyFactory(), user=outsider, admin=True)
    publish_workflow(company, step(rules=(named(anna),)))
    task = active_tasks(received_and_routed(company))[0]

    assert task_get_for_user(user=sara.user, task_id=task.pk).via_substitution
    assert task_get_for_user(user=admin, task_id=task.pk) == task
    with pytest.raises(Http404):
        task_get_for_user(user=outsider, task_id=task.pk)


def test_document_is_visible_to_its_approvers_viewers_and_admins_only(
    company,
) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    viewer = UserFactory()
    MembershipFactory(company=company, user=viewer, viewer=True)
    other_admin = UserFactory()
    MembershipFactory(company=CompanyFactory(), user=other_admin, admin=True)
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company)

    assert document_get_for_user(user=anna.user, document_id=document.pk) == document
    assert document_get_for_user(user=viewer, document_id=document.pk) == document
    for user in (bob.user, other_admin):
        with pytest.raises(Http404, match="No such document"):
            document_get_for_user(user=user, document_id=document.pk)


def test_history_lists_every_process_oldest_first(company) -> None:
    document = route(receive(company))
    actions = [e.action for e in document_history_list(document=document)]
    assert actions == ["documents.document.receive", "documents.document.block"]
