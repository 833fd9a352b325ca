"""Account pages: password reset by e-mail, password change, login lockout, language."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client

from core.views import RESET_LIMIT_PER_CLIENT, RESET_LIMIT_PER_EMAIL
from orgunits.models import UserPreference
from tests.factories.orgunits import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
LINK = re.compile(r"https?://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The reset throttle counts in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


def login(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_a_reset_mail_carries_a_link_that_sets_the_password() -> None:
    user = UserFactory(username="anna", email="anna@example.com")
    client = Client()

    response = client.post("/accounts/password-reset/", {"email": "Anna@Example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    assert message.subject == "Reset your Signoff password"
    path = LINK.search(message.body).group(1)  # type: ignore[union-attr]
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert path in html

    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "Blue-Harbour-42", "new_password2": "Blue-Harbour-42"},
    )

    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password("Blue-Harbour-42")
    assert login(Client(), "anna", "Blue-Harbour-42")["Location"] == "/"
    # The link works once.
    again = Client().get(path, follow=True)
    assert "This link is not valid" in again.content.decode()


def test_an_unknown_address_gets_the_same_page_and_no_mail() -> None:
    UserFactory(username="anna", email="anna@example.com")

    known = Client().post("/accounts/password-reset/", {"email": "anna@example.com"})
    unknown = Client().post(
        "/accounts/password-reset/", {"email": "nobody@example.com"}
    )

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert len(mail.outbox) == 1
    page = Client().get(unknown["Location"]).content.decode()
    assert "If an account has this e-mail address" in page


def test_an_invalid_address_is_refused_on_the_form() -> None:
    response = Client().post("/accounts/password-reset/", {"email": "not an address"})

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not mail.outbox


def test_one_address_gets_a_limited_number_of_mails_and_the_same_page() -> None:
    UserFactory(username="anna", email="anna@example.com")
    client = Client(REMOTE_ADDR="10.0.0.1")

    responses = [
        client.post("/accounts/password-reset/", {"email": "anna@example.com"})
        for _ in range(RESET_LIMIT_PER_EMAIL + 1)
    ]

    assert [r.status_code for r in responses] == [302] * (RESET_LIMIT_PER_EMAIL + 1)
    assert len(mail.outbox) == RESET_LIMIT_PER_EMAIL


def test_a_client_asking_too_often_is_told_to_wait() -> None:
    client = Client(REMOTE_ADDR="10.0.0.2")
    for n in range(RESET_LIMIT_PER_CLIENT):
        ok = client.post("/accounts/password-reset/", {"email": f"x{n}@example.com"})
        assert ok.status_code == 302

    refused = client.post("/accounts/password-reset/", {"email": "y@example.com"})
    elsewhere = Client(REMOTE_ADDR="10.0.0.3").post(
        "/accounts/password-reset/", {"email": "y@example.com"}
    )

    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.content.decode()
    assert elsewhere.status_code == 302


def test_axes_still_locks_the_login_after_too_many_failures(settings) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="anna", password="Right-Password-1")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "anna", "wrong").status_code == 200
    assert login(client, "anna", "wrong").status_code == 429

    locked = login(client, "anna", "Right-Password-1")

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_login_page_links_to_the_password_reset() -> None:
    body = Client().get("/accounts/login/").content.decode()

    assert 'href="/accounts/password-reset/"' in body


def test_a_signed_in_user_changes_the_password_and_stays_signed_in() -> None:
    user = UserFactory(username="anna", password="Old-Password-1")
    client = Client()
    client.force_login(user)
    assert client.get("/accounts/password/").status_code == 200

    wrong = client.post(
        "/accounts/password/",
        {
            "old_password": "not-it",
            "new_password1": "New-Password-22",
            "new_password2": "New-Password-22",
        },
    )
    assert wrong.status_code == 200
    assert 'aria-invalid="true"' in wrong.content.decode()

    done = client.post(
        "/accounts/password/",
        {
            "old_password": "Old-Password-1",
            "new_password1": "New-Password-22",
            "new_password2": "New-Password-22",
        },
    )

    assert done["Location"] == "/accounts/password/done/"
    user.refresh_from_db()
    assert user.check_password("New-Password-22")
    assert client.get("/").status_code == 200  # the session survived the change


def test_password_change_needs_a_login() -> None:
    response = Client().get("/accounts/password/")

    assert response["Location"].startswith("/accounts/login/")


def test_the_language_switch_sets_the_cookie_and_the_preference() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.post("/i18n/language/", {"language": "nb", "next": "/history/"})

    assert response.status_code == 302
    assert response["Location"] == "/history/"
    assert response.cookies["django_language"].value == "nb"
    assert UserPreference.objects.get(user=user).language == "nb"
    assert '<html lang="nb">' in client.get("/history/").content.decode()


def test_an_anonymous_language_switch_only_sets_the_cookie() -> None:
    client = Client()

    response = client.post(
        "/i18n/language/", {"language": "nb", "next": "/accounts/login/"}
    )

    assert response.cookies["django_language"].value == "nb"
    assert not UserPreference.objects.exists()


def test_an_unknown_language_changes_nothing() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.post("/i18n/language/", {"language": "xx", "next": "/"})

    assert response.status_code == 302
    assert "django_language" not in response.cookies
    assert not UserPreference.objects.exists()


def test_an_outside_next_address_is_not_followed() -> None:
    response = Client().post(
        "/i18n/language/", {"language": "nb", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_every_page_has_the_skip_link_and_a_labelled_language_switch() -> None:
    body = Client().get("/accounts/login/").content.decode()

    assert '<a class="skip-link" href="#main">' in body
    assert '<main id="main" tabindex="-1">' in body
    assert '<label for="language-switcher">Language</label>' in body
    assert '<option value="nb" lang="nb">Norsk (bokmål)</option>' in body


def test_the_company_switcher_shows_on_every_page_for_several_companies() -> None:
    user = UserFactory()
    MembershipFactory(user=user, company=CompanyFactory(name="Nordlys AS"))
    MembershipFactory(user=user, company=CompanyFactory(name="Sørlys AS"))
    lonely = MembershipFactory(company=CompanyFactory()).user
    client, single = Client(), Client()
    client.force_login(user)
    single.force_login(lonely)

    for url in ("/", "/tasks/", "/history/", "/settings/", "/accounts/password/"):
        body = client.get(url).content.decode()
        assert '<label for="company-switcher">' in body, url
        assert "Sørlys AS</option>" in body, url
        assert 'id="company-switcher"' not in single.get(url).content.decode(), url
