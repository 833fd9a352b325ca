"""The task page (/tasks/<id>/) and its actions, through the test client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from documents.choices import DocumentStatus, TaskStatus
from documents.models import Comment, Decision, Document, Task
from documents.services import LineInput
from orgunits.models import UserPreference
from tests.documents.conftest import current
from tests.documents.views.conftest import Cast, login
from tests.factories.orgunits import SubstitutionFactory

pytestmark = pytest.mark.django_db

APPROVE_BUTTON = 'action="/tasks/{id}/approve/"'


def page_url(task: Task) -> str:
    return f"/tasks/{task.pk}/"


def html(response) -> str:
    return response.content.decode()


# --- who sees the page ---------------------------------------------------------------


def test_the_assignee_sees_the_document_workflow_and_their_actions(cast: Cast) -> None:
    task = cast.task(cast.document(description="Office furniture"))

    response = login(cast.anna.user).get(page_url(task))

    assert response.status_code == 200
    body = html(response)
    assert "INV-1" in body
    assert "Office furniture" in body
    assert "1,250.00&nbsp;EUR" in body
    assert "Desk" in body
    assert "Lamp" in body
    # The workflow panel: the current step with Anna, the planned one with Carl.
    assert "Managers" in body
    assert "CFO" in body
    assert "wf-panel-current" in body
    assert "wf-panel-planned" in body
    assert APPROVE_BUTTON.format(id=task.pk) in body
    assert f'action="/tasks/{task.pk}/reject/"' in body
    assert f'action="/tasks/{task.pk}/comment/"' in body
    # Every decision form carries the document version the page showed.
    version = current(task.document).version
    assert f'name="version" value="{version}"' in body
    # Why each approver was chosen is for administrators and viewers only.
    assert "Chosen by" not in body


@pytest.mark.parametrize("who", ["bob", "outsider"])
def test_another_approver_or_another_company_gets_404(cast: Cast, who: str) -> None:
    task = cast.task(cast.document())
    user = getattr(cast, who).user

    assert login(user).get(page_url(task)).status_code == 404
    response = login(user).post(
        f"/tasks/{task.pk}/approve/", {"version": current(task.document).version}
    )
    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


def test_anonymous_goes_to_the_login_page(cast: Cast) -> None:
    task = cast.task(cast.document())

    response = login(None).get(page_url(task))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/tasks/{task.pk}/"


def test_a_system_viewer_reads_but_cannot_act(cast: Cast) -> None:
    task = cast.task(cast.document())
    viewer = login(cast.viewer)

    response = viewer.get(page_url(task))

    assert response.status_code == 200
    body = html(response)
    assert APPROVE_BUTTON.format(id=task.pk) not in body
    assert "/reject/" not in body
    assert "/comment/" not in body
    assert "Read only" in body
    # Auditors see why each approver was chosen.
    assert "Chosen by: Named approvers" in body
    version = current(task.document).version
    for action, data in (
        ("approve", {"version": version}),
        ("reject", {"version": version, "comment": "No."}),
        ("comment", {"text": "Hello"}),
    ):
        assert viewer.post(f"/tasks/{task.pk}/{action}/", data).status_code == 403
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert not Comment.objects.exists()


def test_an_administrator_sees_why_each_approver_was_chosen(cast: Cast) -> None:
    task = cast.task(cast.document())

    response = login(cast.admin).get(page_url(task))

    assert response.status_code == 200
    body = html(response)
    assert "Chosen by: Named approvers" in body
    assert APPROVE_BUTTON.format(id=task.pk) not in body


def test_a_substitute_acts_on_behalf_of_the_assignee(cast: Cast) -> None:
    task = cast.task(cast.document())
    SubstitutionFactory(principal=cast.anna, substitute=cast.bob)
    bob = login(cast.bob.user)

    body = html(bob.get(page_url(task)))
    assert "You act on behalf of Anna" in body
    assert APPROVE_BUTTON.format(id=task.pk) in body

    bob.post(f"/tasks/{task.pk}/approve/", {"version": current(task.document).version})

    decision = Decision.objects.get(task=task)
    assert (decision.decided_by, decision.on_behalf_of) == (cast.bob, cast.anna)


# --- approve and reject --------------------------------------------------------------


def test_approve_through_the_page_then_the_list(cast: Cast) -> None:
    task = cast.task(cast.document())
    UserPreference.objects.create(
        user=cast.anna.user, after_action=UserPreference.AfterAction.LIST
    )
    anna = login(cast.anna.user)

    response = anna.post(
        f"/tasks/{task.pk}/approve/",
        {"version": current(task.document).version, "comment": "Fine."},
        follow=True,
    )

    assert response.redirect_chain == [("/tasks/", 302)]
    assert "Approved." in html(response)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.COMPLETED
    assert Decision.objects.get(task=task).comment == "Fine."


def test_after_an_action_the_next_task_opens_by_default(cast: Cast) -> None:
    first = cast.task(cast.document("INV-1"))
    second = cast.task(cast.document("INV-2"))

    response = login(cast.anna.user).post(
        f"/tasks/{first.pk}/approve/", {"version": current(first.document).version}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{second.pk}/"


def test_reject_without_a_comment_shows_the_error_and_changes_nothing(
    cast: Cast,
) -> None:
    task = cast.task(cast.document())

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/reject/",
        {"version": current(task.document).version, "comment": "   "},
    )

    assert response.status_code == 400
    assert "A comment is required to reject." in html(response)
    # The reject form is shown open with the error, next to the other actions.
    assert '<details class="action" open>' in html(response)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert current(task.document).status == DocumentStatus.IN_PROGRESS
    assert not Decision.objects.exists()


def test_reject_with_a_comment_rejects_the_document(cast: Cast) -> None:
    task = cast.task(cast.document())

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/reject/",
        {"version": current(task.document).version, "comment": "Wrong supplier."},
    )

    assert response.status_code == 302
    assert current(task.document).status == DocumentStatus.REJECTED
    assert Decision.objects.get(task=task).comment == "Wrong supplier."


def test_an_action_from_a_stale_page_is_refused_with_the_services_message(
    cast: Cast,
) -> None:
    task = cast.task(cast.document())
    stale = current(task.document).version - 1

    response = login(cast.anna.user).post(
        f"/tasks/{task.pk}/approve/", {"version": stale}, follow=True
    )

    assert response.redirect_chain == [(page_url(task), 302)]
    assert "The document changed since you opened it" in html(response)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE
    assert not Decision.objects.exists()


def test_a_refused_action_shows_the_reason(cast: Cast) -> None:
    """Carl's task is only planned: the service refuses, the page says why."""
    document = cast.document()
    carl_task = Task.objects.get(document=document, assignee=cast.carl)

    response = login(cast.carl.user).post(
        f"/tasks/{carl_task.pk}/approve/",
        {"version": current(document).version},
        follow=True,
    )

    assert "You cannot approve this task now." in html(response)
    assert not Decision.objects.exists()


def test_a_comment_is_posted_and_shown(cast: Cast) -> None:
    task = cast.task(cast.document())
    anna = login(cast.anna.user)

    response = anna.post(
        f"/tasks/{task.pk}/comment/", {"text": "Checking with Bob."}, follow=True
    )

    assert response.redirect_chain == [(page_url(task), 302)]
    assert "Checking with Bob." in html(response)
    assert Comment.objects.get().text == "Checking with Bob."


def test_posts_need_the_csrf_token(cast: Cast) -> None:
    task = cast.task(cast.document())
    anna = login(cast.anna.user, csrf_checks=True)

    response = anna.post(
        f"/tasks/{task.pk}/approve/", {"version": current(task.document).version}
    )

    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACTIVE


def test_the_page_does_not_accept_get_for_actions(cast: Cast) -> None:
    task = cast.task(cast.document())
    assert login(cast.anna.user).get(f"/tasks/{task.pk}/approve/").status_code == 405


# --- escaping, lines, query count ---------------------------------------------------


def test_document_text_is_escaped(cast: Cast) -> None:
    task = cast.task(
        cast.document(
            supplier_name="<script>alert(1)</script>",
            description='"><img src=x onerror=alert(2)>',
        )
    )

    body = html(login(cast.anna.user).get(page_url(task)))

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x onerror=alert(2)>" not in body


def test_the_approvers_own_lines_are_highlighted(cast: Cast) -> None:
    task = cast.task(cast.document())
    Task.objects.filter(pk=task.pk).update(line_numbers=[2])

    body = html(login(cast.anna.user).get(page_url(task)))

    rows = body.split("<tr")
    own = [row for row in rows if 'class="own-line"' in row]
    assert len(own) == 1
    assert "Lamp" in own[0]


#: session, user; the task and its 6 prefetches (lines, attachments, comments, steps,
#: their tasks, decisions); the acting employee; available_actions (the right for the
#: type, the step's tasks and approvals); the history; the memberships (navigation and
#: "why"); the forward and review candidates.
_EXPECTED_PAGE_QUERIES = 17


def _page_queries(cast: Cast, task: Task) -> int:
    client = login(cast.anna.user)
    client.get(page_url(task))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(task)).status_code == 200
    return len(queries)


def test_the_page_reads_a_constant_number_of_queries(
    cast: Cast, django_assert_num_queries
) -> None:
    """One line or forty, one document or many tasks: the same queries."""
    small = cast.task(cast.document("INV-S"))
    lines = [
        LineInput(line_number=n, amount=Decimal("10.00"), description=f"Item {n}")
        for n in range(1, 41)
    ]
    big = cast.task(cast.document("INV-B", gross="400.00", lines=lines))
    for n in range(5):
        cast.document(f"INV-X{n}")
    Comment.objects.bulk_create(
        Comment(
            company=cast.company,
            document=big.document,
            author=cast.anna,
            author_label="Anna",
            text=f"Note {n}",
        )
        for n in range(10)
    )

    assert _page_queries(cast, small) == _page_queries(cast, big)
    anna = login(cast.anna.user)
    anna.get(page_url(big))
    with django_assert_num_queries(_EXPECTED_PAGE_QUERIES):
        anna.get(page_url(big))


def test_the_document_model_is_untouched_by_reading(cast: Cast) -> None:
    task = cast.task(cast.document())
    before = Document.objects.values().get(pk=task.document_id)

    login(cast.anna.user).get(page_url(task))

    assert Document.objects.values().get(pk=task.document_id) == before


def test_the_forward_picker_lists_colleagues_by_name_and_e_mail(cast: Cast) -> None:
    """The person pickers are built from three columns (`_PersonChoices`): labels,
    values and escaping must still be what a ModelChoiceField would render."""
    cast.bob.name = "Bob <b>Builder</b>"
    cast.bob.save(update_fields=["name"])
    task = cast.task(cast.document())

    body = html(login(cast.anna.user).get(page_url(task)))

    picker = body.split('name="to_employee"', 1)[1].split("</select>", 1)[0]
    assert (
        f'<option value="{cast.bob.pk}">Bob &lt;b&gt;Builder&lt;/b&gt; '
        f"({cast.bob.email})</option>" in picker
    )
    assert f'value="{cast.carl.pk}"' in picker
    assert f'value="{cast.anna.pk}"' not in picker  # not to oneself
    assert '<option value="" selected>' in picker  # nothing chosen until they pick
