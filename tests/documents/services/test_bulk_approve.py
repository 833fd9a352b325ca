"""tasks_bulk_approve: each task alone, only if unchanged since the list was shown."""

from __future__ import annotations

import pytest

from documents.choices import TaskStatus
from documents.models import Decision, Task
from documents.services import (
    BulkRefusal,
    BulkResult,
    document_edit,
    tasks_bulk_approve,
)
from tests.documents.conftest import (
    approve,
    current,
    person,
    received_and_routed,
    sent_tasks,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, SubstitutionFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(company):
    anna, bob = person(company, "Anna"), person(company, "Bob")
    publish_workflow(company, step(rules=(named(anna, bob),), editing_allowed=True))
    documents = [received_and_routed(company, reference=f"B-{n}") for n in range(3)]
    return documents, anna, bob


def shown(document, employee) -> tuple[int, int]:
    """A row of the task list: the task id and the version the page was built on."""
    return task_of(document, employee).pk, current(document).version


def test_bulk_approve_skips_a_stale_item_and_approves_the_rest(
    setup, django_capture_on_commit_callbacks
) -> None:
    documents, anna, bob = setup
    rows = [shown(d, anna) for d in documents]
    # After the list was shown, Bob edits the second document.
    document_edit(
        document_id=documents[1].pk,
        employee=bob,
        user=bob.user,
        expected_version=rows[1][1],
        header={"description": "Changed by Bob"},
        lines=None,
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = tasks_bulk_approve(user=anna.user, items=rows)

    assert result == BulkResult(
        approved=(rows[0][0], rows[2][0]),
        refused=(
            BulkRefusal(
                rows[1][0],
                "The document changed since you opened it. Reload it and try again.",
                "stale_version",
            ),
        ),
    )
    assert result.messages == {rows[1][0]: result.refused[0].message}
    stale = Task.objects.get(pk=rows[1][0])
    assert stale.status == TaskStatus.ACTIVE
    assert not Decision.objects.filter(task=stale).exists()
    assert Decision.objects.filter(decided_by=anna).count() == 2
    # One advance per approval, each after its own commit.
    assert sorted(args for _name, args in sent_tasks(callbacks)) == sorted(
        (Task.objects.get(pk=pk).process_id,) for pk in result.approved
    )


def test_a_task_decided_meanwhile_is_reported_not_approved_again(setup) -> None:
    documents, anna, _bob = setup
    row = shown(documents[0], anna)
    approve(task_of(documents[0], anna))

    result = tasks_bulk_approve(user=anna.user, items=[row])

    assert result.approved == ()
    assert result.refused == (
        BulkRefusal(row[0], "This task is already completed.", "task_closed"),
    )
    assert Decision.objects.count() == 1


def test_a_task_in_a_step_completed_by_someone_else_is_reported(setup) -> None:
    documents, anna, bob = setup
    row = shown(documents[0], anna)
    approve(task_of(documents[0], bob))

    result = tasks_bulk_approve(user=anna.user, items=[row])

    assert result.refused == (
        BulkRefusal(row[0], "This step is already complete.", "step_complete"),
    )


def test_someone_else_s_task_is_refused_and_unknown_ids_read_as_missing(
    setup,
) -> None:
    documents, anna, bob = setup
    bob_row = shown(documents[0], bob)
    other = person(CompanyFactory(), "Olga")

    result = tasks_bulk_approve(user=anna.user, items=[bob_row, (999_999, 1)])

    assert result.approved == ()
    assert result.refused == (
        BulkRefusal(
            bob_row[0], "You cannot approve this task now.", "action_not_available"
        ),
        BulkRefusal(999_999, "No such task.", "not_found"),
    )
    # Another company's login learns nothing either.
    outsider = tasks_bulk_approve(user=other.user, items=[bob_row])
    assert outsider.refused == (BulkRefusal(bob_row[0], "No such task.", "not_found"),)
    assert not Decision.objects.exists()


def test_a_substitute_bulk_approves_on_behalf_of_the_principal(setup, company) -> None:
    documents, anna, _bob = setup
    sara = person(company, "Sara")
    SubstitutionFactory(principal=anna, substitute=sara)

    result = tasks_bulk_approve(user=sara.user, items=[shown(documents[0], anna)])

    assert len(result.approved) == 1
    decision = Decision.objects.get()
    assert (decision.decided_by, decision.on_behalf_of) == (sara, anna)
