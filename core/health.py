"""Liveness and readiness probes for load balancers and orchestrators."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests; touches nothing else."""
    return JsonResponse({"status": "ok"})


def _database_ready() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _broker_ready() -> str | None:
    from kombu import Connection

    try:
        # A fresh connection, not the producer pool: the probe must see the broker now.
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The database and the Celery broker are reachable; 503 names what is not."""
    checks = {"database": _database_ready(), "broker": _broker_ready()}
    failing = {name: error for name, error in checks.items() if error}
    body: dict[str, object] = {
        "status": "unavailable" if failing else "ok",
        "checks": {
            name: ("ok" if not error else "error") for name, error in checks.items()
        },
    }
    if failing and settings.DEBUG:
        body["errors"] = failing
    return JsonResponse(body, status=503 if failing else 200)
