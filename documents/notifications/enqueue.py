"""Queue the new-task e-mail once the business transaction has committed."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction


def new_task_notify_on_commit(*, task_ids: Iterable[int]) -> None:
    """After commit, send the "new task" e-mail for these (now active) tasks.

    on_commit: a rolled-back activation must not mail anyone, and the worker must
    see the committed tasks. robust=True: a broker outage at that moment must not
    fail the request that already committed; the error is logged.
    """
    ids = sorted({int(pk) for pk in task_ids})
    if not ids:
        return
    # Imported here: documents.tasks imports the services lazily, and the services
    # import this module, so a top-level import would be circular at start-up.
    from documents.tasks import send_new_task_emails

    def send() -> None:
        send_new_task_emails.delay(ids)

    send.__qualname__ = f"send documents.send_new_task_emails({ids})"
    transaction.on_commit(send, robust=True)
