"""Celery tasks of the ERP app: thin, idempotent, periodic (STYLE §7).

Each task imports its service inside the body and keeps no state of its own: the outbox
and the idempotency keys live in the database, so a lost or repeated run is harmless.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="erp_sync.relay_outbox")
def relay_outbox() -> dict[str, int]:
    """Deliver due outbox events to the ERP callbacks.

    Sent when an outbox row commits (by name, from documents) and by beat every 10 s.

    Overlapping runs are safe: claims skip locked rows and leased events.
    """
    from erp_sync.services.relay import outbox_relay_run

    return outbox_relay_run().as_counts()


@shared_task(name="erp_sync.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete idempotency keys past their retention (beat: hourly)."""
    from erp_sync.services.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
