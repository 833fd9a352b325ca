"""Substitutes for everyone: the list (current, upcoming, past), set one for anybody
with the service's refusals as form errors and its warnings as messages, end one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from orgunits.models import DocumentType, Substitution
from tests.factories.orgunits import EmployeeFactory, SubstitutionFactory
from tests.orgunits.views.conftest import Setup, assert_constant_queries

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(timezone.datetime(2026, 3, 10, 12, 0))


def test_set_a_substitute_for_anybody_and_end_it(setup: Setup) -> None:
    admin = setup.client()
    with time_machine.travel(NOW, tick=False):
        response = admin.post(
            setup.url("substitution_create"),
            {"principal": setup.alice.pk, "substitute": setup.bob.pk},
        )
        assert response.status_code == 302
        row = Substitution.objects.get()
        assert (row.principal, row.substitute, row.created_by) == (
            setup.alice,
            setup.bob,
            setup.admin,
        )
        page = admin.get(setup.url("substitution_list")).content.decode()
        assert "Alice" in page
        assert "until switched off" in page
    later = NOW + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert admin.post(setup.url("substitution_end", pk=row.pk)).status_code == 302
        row.refresh_from_db()
        assert row.ends_at == later
        # The table lists people with their number; the flash message names them.
        assert "(A1)" not in admin.get(setup.url("substitution_list")).content.decode()
        page = admin.get(
            setup.url("substitution_list"), {"when": "past"}
        ).content.decode()
        assert "Alice" in page


def test_ending_an_upcoming_substitution_removes_it(setup: Setup) -> None:
    row = SubstitutionFactory(
        company=setup.company,
        principal=setup.alice,
        substitute=setup.bob,
        starts_at=timezone.now() + timedelta(days=2),
    )
    response = setup.client().post(
        setup.url("substitution_end", pk=row.pk), follow=True
    )
    assert "upcoming substitution is removed" in response.content.decode()
    assert not Substitution.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_refusals_are_form_errors_and_replace_current_is_offered(setup: Setup) -> None:
    SubstitutionFactory(
        company=setup.company, principal=setup.alice, substitute=setup.carol
    )
    admin = setup.client()
    data = {"principal": setup.alice.pk, "substitute": setup.bob.pk}
    response = admin.post(setup.url("substitution_create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "already has Carol as substitute" in page
    assert "Tick “Replace the current substitute”" in page
    assert Substitution.objects.count() == 1

    response = admin.post(
        setup.url("substitution_create"), {**data, "replace_current": "on"}
    )
    assert response.status_code == 302
    current = Substitution.objects.active_at(NOW + timedelta(seconds=1)).get()
    assert current.substitute == setup.bob


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"substitute": "alice"}, "cannot be their own substitute"),
        ({"ends_at": "2026-03-09T10:00"}, "after its start"),
        (
            {"starts_at": "2026-03-01T10:00", "ends_at": "2026-03-05T10:00"},
            "already ended",
        ),
        ({"ends_at": "not a date"}, "Enter a valid date/time"),
        ({"substitute": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_a_form_error(
    setup: Setup, data: dict[str, str], message: str
) -> None:
    posted = {"principal": setup.alice.pk, "substitute": setup.bob.pk, **data}
    if posted["substitute"] == "alice":
        posted["substitute"] = setup.alice.pk
    response = setup.client().post(setup.url("substitution_create"), posted)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Substitution.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_substitute_without_the_rights_is_a_warning(setup: Setup) -> None:
    principal = EmployeeFactory(
        company=setup.company, name="Petra", rights=[DocumentType.PURCHASE_INVOICE]
    )
    substitute = EmployeeFactory(company=setup.company, name="Sam", rights=[])
    response = setup.client().post(
        setup.url("substitution_create"),
        {"principal": principal.pk, "substitute": substitute.pk},
        follow=True,
    )
    assert (
        "not allowed to approve purchase invoice documents" in response.content.decode()
    )
    assert Substitution.objects.filter(principal=principal).exists()


@time_machine.travel(NOW, tick=False)
def test_filters(setup: Setup) -> None:
    SubstitutionFactory(
        company=setup.company,
        principal=setup.alice,
        substitute=setup.bob,
        starts_at=NOW + timedelta(days=3),
    )
    SubstitutionFactory(
        company=setup.company, principal=setup.carol, substitute=setup.bob
    )
    admin = setup.client()
    current = admin.get(setup.url("substitution_list")).content.decode()
    assert "Carol" in current
    assert "Alice" not in current
    upcoming = admin.get(
        setup.url("substitution_list"), {"when": "upcoming"}
    ).content.decode()
    assert "Alice" in upcoming
    assert "Carol" not in upcoming
    everything = admin.get(
        setup.url("substitution_list"), {"when": "all", "q": "alice"}
    ).content.decode()
    assert "Alice" in everything
    assert "Carol (" not in everything
    bad = admin.get(setup.url("substitution_list"), {"when": "yesterday"})
    assert bad.status_code == 200


def test_rows_of_another_company_cannot_be_ended(setup: Setup) -> None:
    foreign = SubstitutionFactory(company=setup.other)
    assert (
        setup.client().post(setup.url("substitution_end", pk=foreign.pk)).status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.ends_at is None


def test_list_queries_do_not_grow_with_rows(setup: Setup) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            SubstitutionFactory(company=setup.company, created_by=setup.admin)

    assert_constant_queries(setup.client(), setup.url("substitution_list"), add)
