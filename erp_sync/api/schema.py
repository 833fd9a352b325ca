"""OpenAPI generation hooks: the published schema is the ERP API under /api/v1/ only.

In-app JSON endpoints (session-authenticated, e.g. the workflow simulator) are not part
of the ERP contract, so they are left out of /api/v1/schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

API_PREFIX = "/api/v1/"

Endpoint = tuple[str, str, str, Callable[..., Any]]


def only_erp_api(endpoints: Sequence[Endpoint], **kwargs: Any) -> list[Endpoint]:
    """drf-spectacular PREPROCESSING_HOOKS entry: keep the /api/v1/ endpoints."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]
