"""My history (/history/): the processes the person had a task in."""

from __future__ import annotations

from typing import Any

import pytest

from documents.models import Process
from tests.documents.conftest import approve, reject
from tests.documents.views.conftest import Cast, login
from tests.factories.orgunits import SubstitutionFactory

pytestmark = pytest.mark.django_db

HISTORY = "/history/"


def process_ids(response: Any) -> list[int]:
    return [process.pk for process, _task_id in response.context["rows"]]


def test_active_and_finished_processes_with_their_status(cast: Cast) -> None:
    waiting = cast.document("INV-1")
    rejected = cast.document("INV-2")
    reject(cast.task(rejected), comment="Duplicate.")

    response = login(cast.anna.user).get(HISTORY)

    assert response.status_code == 200
    body = response.content.decode()
    assert process_ids(response) == [
        Process.objects.get(document=rejected).pk,
        Process.objects.get(document=waiting).pk,
    ]
    assert "Rejected" in body
    assert "Running" in body
    # Each row links to the person's task, read-only once finished.
    task = cast.task(waiting)
    assert f'href="/tasks/{task.pk}/"' in body


def test_only_processes_the_person_had_a_task_in(cast: Cast) -> None:
    cast.document("INV-1")

    assert process_ids(login(cast.bob.user).get(HISTORY)) == []
    assert process_ids(login(cast.outsider.user).get(HISTORY)) == []
    # Carl's task is planned: he has a task in the process, so it is listed.
    assert len(process_ids(login(cast.carl.user).get(HISTORY))) == 1


def test_a_decision_as_substitute_is_in_the_substitutes_history(cast: Cast) -> None:
    document = cast.document("INV-1")
    SubstitutionFactory(principal=cast.anna, substitute=cast.bob)
    approve(cast.task(document), employee=cast.bob)

    assert process_ids(login(cast.bob.user).get(HISTORY)) == [
        Process.objects.get(document=document).pk
    ]


def test_filters_type_reference_and_sender(cast: Cast) -> None:
    first = cast.document("INV-100", supplier_name="Fjord Kaffe")
    cast.document("INV-200", supplier_name="Byggmakker")
    anna = login(cast.anna.user)
    first_process = Process.objects.get(document=first).pk

    assert process_ids(anna.get(HISTORY, {"reference": "inv-100"})) == [first_process]
    assert process_ids(anna.get(HISTORY, {"sender": "kaffe"})) == [first_process]
    assert process_ids(anna.get(HISTORY, {"type": "time_sheet"})) == []
    assert len(process_ids(anna.get(HISTORY, {"type": "purchase_invoice"}))) == 2


def test_pages_continue_by_key(cast: Cast) -> None:
    for n in range(27):
        cast.document(f"INV-{n:03d}", lines=())
    anna = login(cast.anna.user)

    first = anna.get(HISTORY)
    second = anna.get(first.context["next_url"])

    assert len(process_ids(first)) == 25
    assert len(process_ids(second)) == 2
    assert not set(process_ids(first)) & set(process_ids(second))
    assert second.context["next_url"] is None


def test_text_is_escaped(cast: Cast) -> None:
    cast.document("INV-X", supplier_name="<script>alert(1)</script>")

    body = login(cast.anna.user).get(HISTORY).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_anonymous_goes_to_the_login_page() -> None:
    response = login(None).get(HISTORY)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/history/"
