"""Settings (/settings/): preferences and my substitute per company."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orgunits.models import Substitution, UserPreference
from tests.documents.conftest import person
from tests.documents.views.conftest import Cast, login
from tests.factories.orgunits import SubstitutionFactory

pytestmark = pytest.mark.django_db

SETTINGS = "/settings/"


def substitute_url(cast: Cast) -> str:
    return f"/settings/substitute/{cast.company.code}/"


def prefixed(cast: Cast, **values: object) -> dict[str, object]:
    return {f"{cast.company.code}-{key}": value for key, value in values.items()}


def test_the_page_shows_defaults_without_writing_a_row(cast: Cast) -> None:
    response = login(cast.anna.user).get(SETTINGS)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="soon_overdue_days" value="3"' in body
    assert "Nordlys AS" in body
    assert not UserPreference.objects.exists()


def test_preferences_are_saved(cast: Cast) -> None:
    response = login(cast.anna.user).post(
        SETTINGS,
        {
            "soon_overdue_days": "5",
            "after_action": "list",
            "email_new_task": "on",
            "email_overview": "on",
        },
        follow=True,
    )

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Your preferences are saved." in response.content.decode()
    preference = UserPreference.objects.get(user=cast.anna.user)
    assert preference.soon_overdue_days == 5
    assert preference.after_action == "list"
    assert (
        preference.email_new_task,
        preference.email_daily_reminder,
        preference.email_overview,
    ) == (True, False, True)


def test_invalid_preferences_are_form_errors(cast: Cast) -> None:
    response = login(cast.anna.user).post(
        SETTINGS, {"soon_overdue_days": "99", "after_action": "elsewhere"}
    )

    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 30." in response.content.decode()
    assert not UserPreference.objects.exists()


def test_set_a_substitute_active_now_and_switch_it_off(cast: Cast) -> None:
    anna = login(cast.anna.user)

    response = anna.post(
        substitute_url(cast),
        prefixed(cast, mode="now", substitute=cast.bob.pk),
        follow=True,
    )

    assert "Bob is your substitute in Nordlys AS." in response.content.decode()
    row = Substitution.objects.get(principal=cast.anna)
    assert (row.substitute, row.ends_at) == (cast.bob, None)

    anna.post(substitute_url(cast), prefixed(cast, mode="inactive"))

    assert not Substitution.objects.active_at().filter(principal=cast.anna).exists()


def test_set_a_substitute_for_a_period(cast: Cast) -> None:
    start = timezone.localdate() + timedelta(days=7)
    end = start + timedelta(days=4)

    login(cast.anna.user).post(
        substitute_url(cast),
        prefixed(
            cast,
            mode="period",
            substitute=cast.bob.pk,
            starts_on=start.isoformat(),
            ends_on=end.isoformat(),
        ),
    )

    row = Substitution.objects.get(principal=cast.anna)
    assert timezone.localtime(row.starts_at).date() == start
    # The last day counts in full: the period ends at midnight after it.
    assert timezone.localtime(row.ends_at).date() == end + timedelta(days=1)


def test_missing_rights_are_a_warning_not_an_error(cast: Cast) -> None:
    no_rights = person(cast.company, "Nils", rights=())

    response = login(cast.anna.user).post(
        substitute_url(cast),
        prefixed(cast, mode="now", substitute=no_rights.pk),
        follow=True,
    )

    body = response.content.decode()
    assert "Nils has no login, so they cannot act on any of Anna" in body
    assert Substitution.objects.filter(
        principal=cast.anna, substitute=no_rights
    ).exists()


def test_a_refusal_of_the_service_is_a_form_error(cast: Cast) -> None:
    SubstitutionFactory(principal=cast.bob, substitute=cast.anna)

    response = login(cast.anna.user).post(
        substitute_url(cast), prefixed(cast, mode="now", substitute=cast.bob.pk)
    )

    assert response.status_code == 400
    assert "two people cannot substitute for each other" in response.content.decode()
    assert not Substitution.objects.filter(principal=cast.anna).exists()


def test_a_period_needs_its_first_day_and_a_substitute(cast: Cast) -> None:
    response = login(cast.anna.user).post(
        substitute_url(cast), prefixed(cast, mode="period")
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "Choose your substitute." in body
    assert "Choose the first day." in body


def test_another_companys_substitute_form_is_404(cast: Cast) -> None:
    response = login(cast.outsider.user).post(
        substitute_url(cast), prefixed(cast, mode="now", substitute=cast.bob.pk)
    )
    assert response.status_code == 404


def test_the_substitute_sees_whom_they_stand_in_for(cast: Cast) -> None:
    SubstitutionFactory(principal=cast.anna, substitute=cast.bob)

    body = login(cast.bob.user).get(SETTINGS).content.decode()

    assert "You stand in for" in body
    assert "Anna (Nordlys AS)" in body


def test_anonymous_goes_to_the_login_page() -> None:
    response = login(None).get(SETTINGS)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/"


def test_posts_need_the_csrf_token(cast: Cast) -> None:
    response = login(cast.anna.user, csrf_checks=True).post(
        SETTINGS, {"soon_overdue_days": "5", "after_action": "list"}
    )
    assert response.status_code == 403
    assert not UserPreference.objects.exists()
