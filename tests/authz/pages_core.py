"""The site's own pages: home, login, logout, password reset and change, language."""

from __future__ import annotations

from tests.authz.matrix import GET, LOGIN, POST, PUBLIC, SIGNED_IN, Page, Role

GET_POST = (GET, POST)

PAGES = [
    Page("home", expected=SIGNED_IN),
    # Signed-in people are sent on to the start page; an empty POST shows form errors.
    Page("login", expected=PUBLIC, methods=GET_POST),
    # POST only (Django 5): logs out whoever asks and goes to the login page.
    Page("logout", expected=dict.fromkeys(Role, LOGIN), methods=(POST,)),
    Page("password_reset", expected=PUBLIC, methods=GET_POST),
    Page("password_reset_done", expected=PUBLIC),
    # A made-up token: the page says the link is not valid (200), for everyone.
    Page(
        "password_reset_confirm",
        lambda w: {"uidb64": "MQ", "token": "set-password"},
        PUBLIC,
        methods=GET_POST,
    ),
    Page("password_reset_complete", expected=PUBLIC),
    Page("password_change", expected=SIGNED_IN, methods=GET_POST),
    Page("password_change_done", expected=SIGNED_IN),
    # Without a language it changes nothing and goes back (302), for everyone.
    Page("set_language", expected=PUBLIC, methods=(POST,)),
]
