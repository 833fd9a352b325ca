"""The site's own pages: the start page, password reset and change, the language switch."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy
from django.views import i18n
from django.views.decorators.http import require_GET, require_POST

from orgunits.models import UserPreference
from orgunits.selectors import membership_list_for_user

#: Reset requests allowed per client address, and per e-mail address, in the window.
RESET_LIMIT_PER_CLIENT = 5
RESET_LIMIT_PER_EMAIL = 3
RESET_WINDOW_SECONDS = 60 * 60


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: the companies they work in and their roles."""
    memberships = membership_list_for_user(user=request.user)
    return render(request, "core/home.html", {"memberships": memberships})


def _over_limit(key: str, limit: int) -> bool:
    """Count one more request under `key`; True once the window's limit is passed.

    The counter lives in Django's cache: with a shared cache (Redis) the limit is the
    site's; with the default per-process memory cache each web worker counts its own.
    """
    cache.add(key, 0, RESET_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, RESET_WINDOW_SECONDS)
        count = 1
    return count > limit


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, throttled per client and per address.

    A client asking too often is told so (429); an address asked for too often gets no
    further mail, but the page says the same as always, so the form never reveals which
    addresses have an account.
    """

    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        client = self.request.META.get("REMOTE_ADDR", "")
        if _over_limit(f"password-reset:client:{client}", RESET_LIMIT_PER_CLIENT):
            form.add_error(
                None,
                gettext_lazy(
                    "Too many password reset requests from your network. "
                    "Please try again in an hour."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        address = form.cleaned_data["email"].strip().lower()
        digest = hashlib.sha256(address.encode()).hexdigest()
        if _over_limit(f"password-reset:email:{digest}", RESET_LIMIT_PER_EMAIL):
            # The same "sent" page, without the mail.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("password_change_done")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's `set_language` (cookie), remembered on the login for its e-mails too."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    offered = {code for code, _name in settings.LANGUAGES}
    if request.user.is_authenticated and language in offered:
        # A plain settings row without side effects, like the settings page's form.
        UserPreference.objects.update_or_create(
            user_id=request.user.pk, defaults={"language": language}
        )
    return response
