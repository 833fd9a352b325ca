"""substitution_set: the three modes, every rule of DOMAIN §5 with its own message, the
rights warning, replace_current, and period overlap at the edges."""

import threading
from datetime import datetime

import pytest
from django.db import connection

from core.exceptions import ApplicationError
from orgunits.models import DocumentType, Substitution
from orgunits.services import SubstitutionResult, substitution_set
from tests.factories.orgunits import (
    CompanyFactory,
    EmployeeFactory,
    MembershipFactory,
    SubstitutionFactory,
)
from tests.orgunits.services.conftest import DAY, NOW, Office

pytestmark = pytest.mark.usefixtures("frozen_now")


def set_sub(office: Office, principal, substitute, **kwargs) -> SubstitutionResult:
    return substitution_set(
        company=office.company,
        principal=principal,
        substitute=substitute,
        actor=kwargs.pop("actor", office.admin),
        **kwargs,
    )


def refused(
    office: Office, code: str, match: str, principal, substitute, **kwargs
) -> None:
    before = Substitution.objects.count()
    with pytest.raises(ApplicationError, match=match) as error:
        set_sub(office, principal, substitute, **kwargs)
    assert error.value.extra == {"code": code}
    assert Substitution.objects.count() == before


# --- the three modes ------------------------------------------------------------------


def test_active_now_starts_now_with_no_end(office: Office) -> None:
    result = set_sub(office, office.anna, office.carl)

    row = Substitution.objects.get()
    assert result.substitution == row
    assert (row.principal, row.substitute) == (office.anna, office.carl)
    assert (row.starts_at, row.ends_at) == (NOW, None)
    assert row.created_by == office.admin
    assert row.company == office.company


def test_period_keeps_the_given_dates(office: Office) -> None:
    set_sub(
        office, office.anna, office.carl, starts_at=NOW + DAY, ends_at=NOW + 5 * DAY
    )

    row = Substitution.objects.get()
    assert (row.starts_at, row.ends_at) == (NOW + DAY, NOW + 5 * DAY)


def test_period_may_have_an_open_end(office: Office) -> None:
    set_sub(office, office.anna, office.carl, starts_at=NOW + DAY)

    row = Substitution.objects.get()
    assert (row.starts_at, row.ends_at) == (NOW + DAY, None)


def test_a_person_sets_their_own_substitute(office: Office) -> None:
    result = set_sub(office, office.carl, office.dina, actor=office.carl.user)
    assert result.substitution.created_by == office.carl.user


# --- every rule refused with its own message ------------------------------------------


def test_a_non_admin_cannot_set_someone_elses_substitute(office: Office) -> None:
    refused(
        office,
        "substitution_not_allowed",
        "You can only set your own substitute",
        office.anna,
        office.carl,
        actor=office.dina.user,
    )


def test_an_admin_of_another_company_cannot_set_substitutes_here(
    office: Office,
) -> None:
    outsider = MembershipFactory(admin=True).user
    refused(
        office,
        "substitution_not_allowed",
        "You can only set your own substitute",
        office.anna,
        office.carl,
        actor=outsider,
    )


def test_nobody_is_their_own_substitute(office: Office) -> None:
    refused(
        office,
        "substitution_self",
        r"^A person cannot be their own substitute\.$",
        office.anna,
        office.anna,
    )


def test_substitute_from_another_company_is_refused(office: Office) -> None:
    stranger = EmployeeFactory(company=CompanyFactory(), name="Stranger")
    refused(
        office,
        "substitution_other_company",
        r"^Anna and Stranger must both work in Acme: a substitute is always a "
        r"colleague in the same company\.$",
        office.anna,
        stranger,
    )


def test_principal_from_another_company_is_refused(office: Office) -> None:
    stranger = EmployeeFactory(company=CompanyFactory(), name="Stranger")
    refused(
        office,
        "substitution_other_company",
        "must both work in Acme",
        stranger,
        office.anna,
    )


def test_inactive_substitute_is_refused(office: Office) -> None:
    office.carl.active = False
    office.carl.save(update_fields=["active"])
    refused(
        office,
        "substitution_substitute_inactive",
        r"^Carl is inactive and cannot be a substitute\.$",
        office.anna,
        office.carl,
    )


@pytest.mark.parametrize("ends", [NOW + DAY, NOW], ids=["equal", "before"])
def test_end_must_be_after_start(office: Office, ends: datetime) -> None:
    refused(
        office,
        "substitution_end_not_after_start",
        r"^The end of the substitution must be after its start\.$",
        office.anna,
        office.carl,
        starts_at=NOW + DAY,
        ends_at=ends,
    )


def test_a_period_that_already_ended_is_refused(office: Office) -> None:
    refused(
        office,
        "substitution_ends_in_past",
        r"^The substitution period has already ended",
        office.anna,
        office.carl,
        starts_at=NOW - 5 * DAY,
        ends_at=NOW - DAY,
    )


def test_two_people_cannot_substitute_for_each_other(office: Office) -> None:
    SubstitutionFactory(principal=office.carl, substitute=office.anna, starts_at=NOW)
    refused(
        office,
        "substitution_mutual",
        r"^Carl has Anna as their own substitute from 2025-03-10 13:00 with no end "
        r"date; two people cannot substitute for each other in overlapping periods\.$",
        office.anna,
        office.carl,
        starts_at=NOW + 3 * DAY,
        ends_at=NOW + 4 * DAY,
    )


def test_substitute_with_a_substitute_of_their_own_is_refused(office: Office) -> None:
    SubstitutionFactory(
        principal=office.carl,
        substitute=office.dina,
        starts_at=NOW + DAY,
        ends_at=NOW + 3 * DAY,
    )
    refused(
        office,
        "substitution_substitute_has_substitute",
        r"^Carl has a substitute of their own \(Dina\) from 2025-03-11 13:00 to "
        r"2025-03-13 13:00; choose someone who is available in that period\.$",
        office.anna,
        office.carl,
    )


def test_principal_with_another_substitute_in_the_period_is_refused(
    office: Office,
) -> None:
    SubstitutionFactory(principal=office.anna, substitute=office.dina, starts_at=NOW)
    refused(
        office,
        "substitution_principal_has_substitute",
        r"^Anna already has Dina as substitute from 2025-03-10 13:00 with no end "
        r"date; end that substitution first or choose a period that does not "
        r"overlap it\.$",
        office.anna,
        office.carl,
        starts_at=NOW + DAY,
    )


# --- overlap at the edges -------------------------------------------------------------


def test_touching_periods_do_not_overlap(office: Office) -> None:
    """[a, b) and [b, c) share no moment, so mutual and chained rows are allowed."""
    SubstitutionFactory(
        principal=office.carl,
        substitute=office.anna,
        starts_at=NOW + DAY,
        ends_at=NOW + 3 * DAY,
    )
    SubstitutionFactory(
        principal=office.anna,
        substitute=office.dina,
        starts_at=NOW + 3 * DAY,
        ends_at=NOW + 5 * DAY,
    )
    # Anna → Carl from the end of Carl → Anna; Carl → Anna ends where this begins.
    set_sub(office, office.anna, office.carl, starts_at=NOW, ends_at=NOW + DAY)
    set_sub(
        office,
        office.berit,
        office.anna,
        starts_at=NOW + 5 * DAY,
        ends_at=NOW + 6 * DAY,
    )
    assert Substitution.objects.count() == 4


def test_touching_after_the_end_is_allowed(office: Office) -> None:
    SubstitutionFactory(
        principal=office.carl, substitute=office.anna, starts_at=NOW, ends_at=NOW + DAY
    )
    set_sub(office, office.anna, office.carl, starts_at=NOW + DAY)
    assert Substitution.objects.count() == 2


def test_an_open_end_overlaps_everything_after_it(office: Office) -> None:
    SubstitutionFactory(
        principal=office.carl, substitute=office.dina, starts_at=NOW + 30 * DAY
    )
    refused(
        office,
        "substitution_substitute_has_substitute",
        "Carl has a substitute of their own",
        office.anna,
        office.carl,
        starts_at=NOW + 29 * DAY,
        ends_at=NOW + 31 * DAY,
    )
    # The same period ending where Carl's open-ended substitution starts is fine.
    set_sub(office, office.anna, office.carl, ends_at=NOW + 30 * DAY)


def test_a_new_open_end_overlaps_a_later_period(office: Office) -> None:
    SubstitutionFactory(
        principal=office.carl,
        substitute=office.anna,
        starts_at=NOW + 300 * DAY,
        ends_at=NOW + 301 * DAY,
    )
    refused(
        office,
        "substitution_mutual",
        "Carl has Anna as their own substitute from 2026-01-04 13:00 to 2026-01-05 13:00",
        office.anna,
        office.carl,
    )


def test_ended_substitutions_do_not_count(office: Office) -> None:
    SubstitutionFactory(
        principal=office.carl,
        substitute=office.anna,
        starts_at=NOW - 5 * DAY,
        ends_at=NOW - DAY,
    )
    set_sub(office, office.anna, office.carl)
    assert Substitution.objects.count() == 2


# --- replace_current ------------------------------------------------------------------


def test_replace_current_ends_the_running_substitution_where_the_new_one_starts(
    office: Office,
) -> None:
    running = SubstitutionFactory(
        principal=office.anna, substitute=office.dina, starts_at=NOW - DAY
    )
    result = set_sub(
        office, office.anna, office.carl, replace_current=True, actor=office.anna.user
    )

    running.refresh_from_db()
    assert running.ends_at == NOW
    assert result.replaced_ids == (running.pk,)
    assert Substitution.objects.active_at(NOW).get() == result.substitution


def test_replace_current_removes_substitutions_that_have_not_started(
    office: Office,
) -> None:
    upcoming = SubstitutionFactory(
        principal=office.anna,
        substitute=office.dina,
        starts_at=NOW + DAY,
        ends_at=NOW + 2 * DAY,
    )
    result = set_sub(office, office.anna, office.carl, replace_current=True)

    assert not Substitution.objects.filter(pk=upcoming.pk).exists()
    assert result.replaced_ids == (upcoming.pk,)
    assert list(Substitution.objects.all()) == [result.substitution]


def test_replace_current_keeps_a_later_period_that_does_not_overlap(
    office: Office,
) -> None:
    later = SubstitutionFactory(
        principal=office.anna, substitute=office.dina, starts_at=NOW + 10 * DAY
    )
    result = set_sub(
        office, office.anna, office.carl, ends_at=NOW + DAY, replace_current=True
    )
    assert result.replaced_ids == ()
    assert Substitution.objects.filter(pk=later.pk).exists()


def test_replace_current_still_applies_the_other_rules(office: Office) -> None:
    SubstitutionFactory(principal=office.anna, substitute=office.dina, starts_at=NOW)
    SubstitutionFactory(principal=office.carl, substitute=office.anna, starts_at=NOW)
    refused(
        office,
        "substitution_mutual",
        "two people cannot substitute for each other",
        office.anna,
        office.carl,
        replace_current=True,
    )
    assert Substitution.objects.get(principal=office.anna).ends_at is None


# --- warnings -------------------------------------------------------------------------


def test_missing_rights_are_warnings_not_errors(office: Office) -> None:
    result = set_sub(office, office.anna, office.berit)

    assert Substitution.objects.filter(pk=result.substitution.pk).exists()
    assert result.warnings == (
        "Berit is not allowed to approve expense claim documents, which Anna "
        "approves: those tasks will be blocked for Berit.",
    )


def test_one_warning_per_missing_document_type(office: Office) -> None:
    result = set_sub(office, office.anna, office.carl)
    assert [w.split(" documents")[0] for w in result.warnings] == [
        "Carl is not allowed to approve purchase invoice",
        "Carl is not allowed to approve expense claim",
    ]


def test_no_warning_when_the_substitute_holds_every_right(office: Office) -> None:
    result = set_sub(office, office.berit, office.anna)
    assert result.warnings == ()


def test_substitute_without_login_is_warned_about(office: Office) -> None:
    no_login = EmployeeFactory(company=office.company, name="Eve")
    result = set_sub(office, office.anna, no_login)
    assert result.warnings == (
        "Eve has no login, so they cannot act on any of Anna's tasks.",
    )


def test_principal_without_rights_gives_no_warning(office: Office) -> None:
    result = set_sub(office, office.carl, office.dina)
    assert result.warnings == ()


def test_rights_in_another_company_do_not_count(office: Office) -> None:
    """Berit's expense right elsewhere does not let her approve Acme's claims."""
    MembershipFactory(user=office.berit.user, approves_expense_claims=True)
    result = set_sub(office, office.anna, office.berit)
    assert len(result.warnings) == 1
    assert DocumentType.EXPENSE_CLAIM.label.lower() in result.warnings[0]


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_mutual_substitutions_let_exactly_one_through(
    office: Office,
) -> None:
    """A→B and B→A at once: the employee row locks make the second see the first."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    lock = threading.Lock()

    def attempt(principal, substitute) -> None:
        try:
            barrier.wait(timeout=10)
            result: object = set_sub(office, principal, substitute)
        except ApplicationError as error:
            result = error
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=attempt, args=(office.anna, office.carl)),
        threading.Thread(target=attempt, args=(office.carl, office.anna)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    successes = [o for o in outcomes if isinstance(o, SubstitutionResult)]
    errors = [o for o in outcomes if isinstance(o, ApplicationError)]
    assert (len(successes), len(errors)) == (1, 1)
    assert errors[0].extra == {"code": "substitution_mutual"}
    assert Substitution.objects.count() == 1
