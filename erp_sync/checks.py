"""Deployment checks of the ERP app (`manage.py check --deploy`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

#: ERP_API.md promises retries "for at least 24 hours".
MIN_PUSH_RETRY_HOURS = 24


@register(Tags.compatibility, deploy=True)
def push_retry_window_check(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    hours = float(settings.SIGNOFF_PUSH_RETRY_HOURS)
    if hours >= MIN_PUSH_RETRY_HOURS:
        return []
    return [
        Warning(
            f"SIGNOFF_PUSH_RETRY_HOURS is {hours:g}: outcome pushes are given up "
            f"(dead) sooner than the {MIN_PUSH_RETRY_HOURS} hours the ERP API promises.",
            hint=f"Set SIGNOFF_PUSH_RETRY_HOURS to {MIN_PUSH_RETRY_HOURS} or more.",
            id="erp_sync.W001",
        )
    ]
