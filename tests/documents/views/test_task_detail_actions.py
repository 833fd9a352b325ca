"""The task page's further actions: forward, review, postpone, line decisions, edit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from documents.choices import DocumentStatus, TaskKind, TaskOrigin, TaskStatus
from documents.models import Comment, Document, Line, LineDecision, Task
from tests.documents.conftest import current, received_and_routed, task_of
from tests.documents.views.conftest import Cast, login
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


def version_of(task: Task) -> int:
    return current(task.document).version


def test_forward_hands_the_task_to_the_chosen_colleague(cast: Cast) -> None:
    task = cast.task(cast.document())
    anna = login(cast.anna.user)
    page = anna.get(f"/tasks/{task.pk}/").content.decode()
    # Only people with the right for the type are offered; Anna herself is not.
    assert f'<option value="{cast.bob.pk}">Bob' in page
    assert f'<option value="{cast.anna.pk}">' not in page

    response = anna.post(
        f"/tasks/{task.pk}/forward/",
        {"version": version_of(task), "to_employee": cast.bob.pk, "comment": ""},
    )

    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED
    forwarded = Task.objects.get(document=task.document, assignee=cast.bob)
    assert forwarded.origin == TaskOrigin.FORWARD
    assert forwarded.status == TaskStatus.ACTIVE


def test_forward_to_someone_without_the_right_is_a_form_error(cast: Cast) -> None:
    task = cast.task(cast.document())

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/forward/",
        {"version": version_of(task), "to_employee": cast.outsider.pk},
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


def test_request_review_then_the_reviewer_answers(cast: Cast) -> None:
    task = cast.task(cast.document())

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/request-review/",
        {
            "version": version_of(task),
            "reviewer": cast.bob.pk,
            "comment": "Is the lamp ours?",
        },
    )
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_REVIEW
    review = Task.objects.get(document=task.document, kind=TaskKind.REVIEW)

    bob = login(cast.bob.user)
    page = bob.get(f"/tasks/{review.pk}/").content.decode()
    # A reviewer gives an opinion and never decides.
    assert f'action="/tasks/{review.pk}/review/"' in page
    assert f'action="/tasks/{review.pk}/approve/"' not in page
    empty = bob.post(f"/tasks/{review.pk}/review/", {"comment": ""})
    assert empty.status_code == 400
    assert "A review needs a comment." in empty.content.decode()

    bob.post(f"/tasks/{review.pk}/review/", {"comment": "Yes, it is."})

    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert Comment.objects.filter(text="Yes, it is.").exists()


def test_postpone_moves_the_due_date(cast: Cast) -> None:
    task = cast.task(cast.document())
    until = timezone.localdate() + timedelta(days=20)

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/postpone/", {"until": until.isoformat()}, follow=True
    )

    assert response.redirect_chain == [(f"/tasks/{task.pk}/", 302)]
    assert Task.objects.get(pk=task.pk).due_date == until


def test_postpone_to_the_past_shows_the_services_error(cast: Cast) -> None:
    task = cast.task(cast.document())
    due = task.due_date

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/postpone/",
        {"until": timezone.localdate().isoformat()},
    )

    assert response.status_code == 400
    assert "Choose a date after today." in response.content.decode()
    assert Task.objects.get(pk=task.pk).due_date == due


@pytest.fixture
def line_task(cast: Cast) -> Task:
    """A line-approval step where Anna owns lines 1 and 2."""
    publish_workflow(
        cast.company,
        step(position=1, name="Lines", rules=(named(cast.anna),), line_approval=True),
    )
    task = cast.task(cast.document("INV-L"))
    Task.objects.filter(pk=task.pk).update(line_numbers=[1, 2])
    return Task.objects.get(pk=task.pk)


def test_line_decisions_through_the_page(cast: Cast, line_task: Task) -> None:
    anna = login(cast.anna.user)
    page = anna.get(f"/tasks/{line_task.pk}/").content.decode()
    assert f'action="/tasks/{line_task.pk}/lines/"' in page

    anna.post(
        f"/tasks/{line_task.pk}/lines/",
        {"version": version_of(line_task), "approve": ["1"]},
    )
    assert list(
        LineDecision.objects.filter(task=line_task).values_list(
            "line_number", flat=True
        )
    ) == [1]
    assert Task.objects.get(pk=line_task.pk).status == TaskStatus.ACTIVE

    refused = anna.post(
        f"/tasks/{line_task.pk}/lines/",
        {"version": version_of(line_task), "reject": ["2"], "comment": ""},
    )
    assert refused.status_code == 400
    assert "A comment is required to reject." in refused.content.decode()


@pytest.fixture
def editable(cast: Cast) -> Task:
    publish_workflow(
        cast.company,
        step(position=1, name="Edit", rules=(named(cast.anna),), editing_allowed=True),
    )
    return cast.task(cast.document("INV-E"))


def _edit_data(task: Task, **changes: str) -> dict[str, str]:
    document: Document = current(task.document)
    data = {
        "version": str(document.version),
        "header-description": document.description,
        "header-document_date": "",
        "header-due_date": "",
        "header-department_code": document.department_code,
        "header-branch_code": document.branch_code,
    }
    for line in Line.objects.filter(document=document):
        prefix = f"line-{line.line_number}-"
        data.update(
            {
                prefix + "description": line.description,
                prefix + "quantity": "",
                prefix + "amount": str(line.amount),
                prefix + "account": line.account,
                prefix + "segment_values": "",
                prefix + "department_code": line.department_code,
                prefix + "project_code": line.project_code,
                prefix + "task_code": line.task_code,
                prefix + "branch_code": line.branch_code,
            }
        )
    data.update(changes)
    return data


def test_edit_saves_a_new_version(cast: Cast, editable: Task) -> None:
    anna = login(cast.anna.user)
    page = anna.get(f"/tasks/{editable.pk}/").content.decode()
    assert f'href="/tasks/{editable.pk}/edit/"' in page
    assert anna.get(f"/tasks/{editable.pk}/edit/").status_code == 200
    before = version_of(editable)

    response = anna.post(
        f"/tasks/{editable.pk}/edit/",
        _edit_data(
            editable,
            **{"header-description": "Desk and lamp", "line-1-account": "6540"},
        ),
    )

    assert response.status_code == 302
    document = current(editable.document)
    assert document.description == "Desk and lamp"
    assert document.version == before + 1
    line = Line.objects.get(document=document, line_number=1)
    assert (line.account, line.edited) == ("6540", True)
    assert line.amount == Decimal("1000.00")


def test_edit_from_a_stale_page_is_refused(cast: Cast, editable: Task) -> None:
    data = _edit_data(editable, **{"header-description": "Changed"})
    data["version"] = str(int(data["version"]) - 1)

    response = login(cast.anna.user).post(
        f"/tasks/{editable.pk}/edit/", data, follow=True
    )

    assert "The document changed since you opened it" in response.content.decode()
    assert current(editable.document).description != "Changed"


def test_edit_is_not_offered_when_the_step_does_not_allow_it(cast: Cast) -> None:
    task = cast.task(cast.document())
    anna = login(cast.anna.user)

    assert "/edit/" not in anna.get(f"/tasks/{task.pk}/").content.decode()
    assert anna.get(f"/tasks/{task.pk}/edit/").status_code == 404
    assert anna.post(f"/tasks/{task.pk}/edit/", {}).status_code == 403


def test_actions_on_a_finished_document_are_refused(cast: Cast) -> None:
    publish_workflow(
        cast.company, step(position=1, name="One", rules=(named(cast.anna),))
    )
    document = received_and_routed(cast.company, reference="INV-F")
    task = task_of(document, cast.anna)
    anna = login(cast.anna.user)
    anna.post(
        f"/tasks/{task.pk}/reject/", {"version": version_of(task), "comment": "No"}
    )
    assert current(document).status == DocumentStatus.REJECTED

    page = anna.get(f"/tasks/{task.pk}/").content.decode()
    response = anna.post(
        f"/tasks/{task.pk}/comment/", {"text": "Too late?"}, follow=True
    )

    assert "Read only" in page
    assert f'action="/tasks/{task.pk}/comment/"' not in page
    assert not Comment.objects.filter(text="Too late?").exists()
    assert response.status_code == 200
