"""Shared setup for the notification tests: a frozen clock and mail helpers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives

# A Wednesday in Oslo; tasks of a 5-working-day step fall due next Wednesday.
WEDNESDAY = "2026-03-11 10:00 +01:00"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def base_url(settings) -> str:
    settings.SIGNOFF_BASE_URL = "https://signoff.example.com/"
    return "https://signoff.example.com"


def mails_to(address: str) -> list[EmailMultiAlternatives]:
    return [m for m in mail.outbox if address in m.to]


def html_of(message: EmailMultiAlternatives) -> str:
    (html, mimetype), *_rest = message.alternatives
    assert mimetype == "text/html"
    return str(html)
