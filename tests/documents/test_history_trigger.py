"""INV-5 in the database: history and comments refuse UPDATE and DELETE (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from documents.models import Comment, HistoryEvent
from tests.documents.conftest import receive
from tests.factories.documents import CommentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _refused(sql: str, pk: int) -> None:
    with (
        pytest.raises(DatabaseError, match="is append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [pk])


def test_history_rows_cannot_be_updated_or_deleted(company) -> None:
    event = HistoryEvent.objects.get(document=receive(company))

    _refused("UPDATE documents_historyevent SET action = 'x.y' WHERE id = %s", event.pk)
    _refused("DELETE FROM documents_historyevent WHERE id = %s", event.pk)

    assert HistoryEvent.objects.get(pk=event.pk).action == "documents.document.receive"


def test_comments_are_immutable_once_posted(company) -> None:
    comment = CommentFactory(document=receive(company), text="Original")

    _refused("UPDATE documents_comment SET text = 'Changed' WHERE id = %s", comment.pk)
    _refused("DELETE FROM documents_comment WHERE id = %s", comment.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(text="Changed")

    assert Comment.objects.get(pk=comment.pk).text == "Original"
