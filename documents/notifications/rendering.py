"""One e-mail per recipient, in their language, as plain text and HTML.

Mails are built in workers, outside any request: the language is switched per
recipient here (never left to whatever the process last used), and links are made
absolute from SIGNOFF_BASE_URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from documents.models import Document, Task

TEMPLATE_DIR = "documents/email"


def absolute_url(path: str) -> str:
    """`path` (from reverse()) on the site's public address."""
    return f"{settings.SIGNOFF_BASE_URL.rstrip('/')}{path}"


def task_url(task: Task) -> str:
    return absolute_url(reverse("documents:task_detail", args=[task.pk]))


def task_list_url() -> str:
    return absolute_url(reverse("documents:task_list"))


def admin_document_url(document: Document) -> str:
    """The administrators' page of a document.

    The document overview (URL namespace `documents_admin`) is where a blocked
    document is resent or decided; until that page is installed, the simulator's page
    for the document shows why it is blocked.
    """
    code = document.company.code
    try:
        path = reverse(
            "documents_admin:document_detail",
            kwargs={"company_code": code, "document_id": document.pk},
        )
    except NoReverseMatch:
        path = reverse(
            "documents_simulator:document",
            kwargs={"company_code": code, "document_id": document.pk},
        )
    return absolute_url(path)


def language_for(language: str) -> str:
    """The recipient's language if the site offers it, else the site default."""
    offered = {code for code, _name in settings.LANGUAGES}
    return language if language in offered else settings.LANGUAGE_CODE


def email_build(
    *,
    name: str,
    to: str,
    language: str,
    context: Mapping[str, Any],
) -> EmailMultiAlternatives:
    """Render `<name>_subject.txt`, `<name>.txt` and `<name>.html` into one message.

    Everything — subject, both bodies, dates and numbers — is rendered with the
    recipient's language active, and the previous language restored afterwards.
    """
    with translation.override(language_for(language)):
        ctx = {**context, "base_url": settings.SIGNOFF_BASE_URL.rstrip("/")}
        subject = render_to_string(f"{TEMPLATE_DIR}/{name}_subject.txt", ctx)
        text = render_to_string(f"{TEMPLATE_DIR}/{name}.txt", ctx)
        html = render_to_string(f"{TEMPLATE_DIR}/{name}.html", ctx)
    # A header cannot hold a line break (Django refuses it): one line, trimmed.
    subject = " ".join(subject.split())[:200]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        # RFC 3834: machine-sent, so auto-responders do not answer it.
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message
