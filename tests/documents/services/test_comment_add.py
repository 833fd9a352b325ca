"""comment_add: public, immutable comments from the people on the document."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import InvalidTransition
from documents.models import Comment, HistoryEvent
from documents.services import comment_add, document_cancel
from tests.documents.conftest import current, person, received_and_routed
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import EmployeeFactory, MembershipFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(company):
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    return received_and_routed(company), anna


def test_comment_is_stored_with_history_and_keeps_the_version(setup) -> None:
    """A comment is no change an approver decides on: open pages stay valid."""
    document, anna = setup
    version = current(document).version

    comment = comment_add(
        document_id=document.pk, author_employee=anna, user=anna.user, text=" Why? "
    )

    assert comment.text == "Why?"
    assert comment.author == anna
    assert comment.author_label == f"Anna ({anna.number})"
    assert comment.process.number == 1
    assert current(document).version == version
    assert HistoryEvent.objects.filter(
        document=document, action="documents.comment.add", data__comment=comment.pk
    ).exists()


def test_an_empty_comment_is_refused(setup) -> None:
    document, anna = setup
    with pytest.raises(ValidationError, match="cannot be empty"):
        comment_add(
            document_id=document.pk, author_employee=anna, user=anna.user, text="  "
        )


def test_a_person_without_a_part_in_the_document_cannot_comment(setup, company) -> None:
    document, _anna = setup
    stranger = person(company, "Stan")
    with pytest.raises(PermissionDenied):
        comment_add(
            document_id=document.pk,
            author_employee=stranger,
            user=stranger.user,
            text="Hello",
        )
    assert not Comment.objects.exists()


def test_an_administrator_can_comment(setup, company) -> None:
    document, _anna = setup
    admin = EmployeeFactory(company=company, with_login=True)
    MembershipFactory(company=company, user=admin.user, admin=True)
    comment_add(
        document_id=document.pk, author_employee=admin, user=admin.user, text="Fixed"
    )
    assert Comment.objects.get().author == admin


def test_comments_are_closed_on_a_finished_document(setup) -> None:
    document, anna = setup
    document_cancel(document_id=document.pk, actor_label="ERP")
    with pytest.raises(InvalidTransition, match="comments are closed"):
        comment_add(
            document_id=document.pk, author_employee=anna, user=anna.user, text="Late"
        )
