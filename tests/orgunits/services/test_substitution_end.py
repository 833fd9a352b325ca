"""substitution_end switches a substitution off ("inactive")."""

import pytest

from core.exceptions import ApplicationError
from orgunits.models import Substitution
from orgunits.services import substitution_end
from tests.factories.orgunits import SubstitutionFactory
from tests.orgunits.services.conftest import DAY, NOW, Office

pytestmark = pytest.mark.usefixtures("frozen_now")


def test_a_running_substitution_ends_now(office: Office) -> None:
    running = SubstitutionFactory(
        principal=office.anna, substitute=office.carl, starts_at=NOW - DAY
    )

    ended = substitution_end(substitution=running, actor=office.anna.user)

    assert ended is not None
    running.refresh_from_db()
    assert running.ends_at == NOW
    assert not Substitution.objects.active_at(NOW).exists()


def test_a_period_is_cut_short_at_the_given_moment(office: Office) -> None:
    period = SubstitutionFactory(
        principal=office.anna,
        substitute=office.carl,
        starts_at=NOW - DAY,
        ends_at=NOW + 5 * DAY,
    )
    substitution_end(substitution=period, actor=office.admin, at=NOW + DAY)
    period.refresh_from_db()
    assert period.ends_at == NOW + DAY


def test_a_substitution_that_has_not_started_is_deleted(office: Office) -> None:
    upcoming = SubstitutionFactory(
        principal=office.anna, substitute=office.carl, starts_at=NOW + DAY
    )
    assert substitution_end(substitution=upcoming, actor=office.admin) is None
    assert not Substitution.objects.exists()


def test_ending_an_ended_substitution_returns_it_unchanged(office: Office) -> None:
    ended = SubstitutionFactory(
        principal=office.anna,
        substitute=office.carl,
        starts_at=NOW - 5 * DAY,
        ends_at=NOW - DAY,
    )
    result = substitution_end(substitution=ended, actor=office.admin)
    assert result == ended
    ended.refresh_from_db()
    assert ended.ends_at == NOW - DAY


def test_only_the_principal_or_an_admin_may_end_it(office: Office) -> None:
    running = SubstitutionFactory(
        principal=office.anna, substitute=office.carl, starts_at=NOW - DAY
    )
    with pytest.raises(ApplicationError, match="You can only set your own substitute"):
        substitution_end(substitution=running, actor=office.carl.user)
    running.refresh_from_db()
    assert running.ends_at is None
