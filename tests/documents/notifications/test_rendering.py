"""Mails are rendered in each recipient's language, escaped, with absolute links."""

from __future__ import annotations

import pytest
from django.core import mail
from django.template import loader
from django.utils import translation

from documents.notifications import rendering
from documents.notifications.services import new_task_emails_send
from orgunits.models import UserPreference
from tests.documents.conftest import person, received_and_routed, task_of
from tests.documents.notifications.conftest import html_of, mails_to
from tests.factories.documents import publish_workflow
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db


def test_each_recipient_is_rendered_in_their_own_language(company, monkeypatch) -> None:
    anna, bob = person(company, "Anna"), person(company, "Bob")
    UserPreference.objects.create(user=anna.user, language="nb")
    publish_workflow(company, step(rules=(named(anna, bob),)))
    document = received_and_routed(company)
    seen: dict[str, set[str]] = {}
    real = loader.render_to_string

    def spy(template_name, context=None, *args, **kwargs):
        address = context["recipient"].email
        seen.setdefault(address, set()).add(translation.get_language())
        return real(template_name, context, *args, **kwargs)

    monkeypatch.setattr(rendering, "render_to_string", spy)
    with translation.override("en"):
        new_task_emails_send(
            task_ids=[task_of(document, anna).pk, task_of(document, bob).pk]
        )
        # The worker's own language is left as it was.
        assert translation.get_language() == "en"
    assert seen == {anna.user.email: {"nb"}, bob.user.email: {"en"}}
    assert len(mail.outbox) == 2


def test_an_unknown_language_falls_back_to_the_site_default() -> None:
    assert rendering.language_for("xx") == "en"
    assert rendering.language_for("") == "en"
    assert rendering.language_for("nb") == "nb"


def test_markup_from_the_erp_is_escaped_in_html_and_plain_in_text(company) -> None:
    anna = person(company, "Anna")
    publish_workflow(company, step(rules=(named(anna),)))
    document = received_and_routed(company, supplier_name="<script>x</script> & Co")
    new_task_emails_send(task_ids=[task_of(document, anna).pk])
    [message] = mails_to(anna.user.email)
    assert "<script>x</script> & Co" in message.body
    assert "<script>" not in html_of(message)
    assert "&lt;script&gt;x&lt;/script&gt; &amp; Co" in html_of(message)
    assert "\n" not in message.subject


def test_links_are_absolute_on_the_configured_base_url(settings) -> None:
    settings.SIGNOFF_BASE_URL = "https://approvals.example.org/signoff/"
    assert (
        rendering.absolute_url("/tasks/1/")
        == "https://approvals.example.org/signoff/tasks/1/"
    )
