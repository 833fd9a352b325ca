"""Administrator notices: the blocked documents and tasks each administrator is told of.

One entry per administrator across their companies; a block already told to them
(a `NotificationSent` row with the block's key) is left out. Constant query count.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser

from documents.choices import DocumentStatus, ProcessStatus, TaskStatus
from documents.models import Document, NotificationKind, NotificationSent, Task
from documents.notifications.selectors import (
    Recipient,
    preferences_by_user,
    recipient_for,
)
from orgunits.models import Membership


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BlockNotice:
    """One blocked document or task, and the marker key that says it was told."""

    key: str
    company_id: int
    document: Document
    task: Task | None = None
    process_id: int | None = None


@dataclass
class AdminNotices:
    recipient: Recipient
    notices: list[BlockNotice] = field(default_factory=list)


def _blocked_documents() -> list[BlockNotice]:
    documents = (
        Document.objects.filter(status=DocumentStatus.BLOCKED, company__is_active=True)
        .select_related("company")
        .order_by("company_id", "received_at", "pk")
    )
    process_ids = dict(
        Document.objects.filter(
            status=DocumentStatus.BLOCKED,
            processes__status=ProcessStatus.BLOCKED,
        ).values_list("pk", "processes__pk")
    )
    return [
        # A block is the blocked process with its reason: retried and still blocked
        # for the same reason it is the same block; a new reason is news.
        BlockNotice(
            key=(
                f"document:{d.pk}:process:{process_ids.get(d.pk, 0)}:"
                f"{_digest(d.blocked_reason)}"
            ),
            company_id=d.company_id,
            document=d,
            process_id=process_ids.get(d.pk),
        )
        for d in documents
    ]


def _blocked_tasks() -> list[BlockNotice]:
    tasks = (
        Task.objects.filter(
            status=TaskStatus.BLOCKED,
            company__is_active=True,
            document__status=DocumentStatus.IN_PROGRESS,
        )
        .select_related("company", "document", "assignee", "step_run")
        .order_by("company_id", "pk")
    )
    return [
        # Each block (activation or rights check) bumps the task's version, so a task
        # blocked, unblocked and blocked again is told twice, a block once.
        BlockNotice(
            key=f"task:{t.pk}:v{t.version}",
            company_id=t.company_id,
            document=t.document,
            task=t,
        )
        for t in tasks
    ]


def admin_notice_list() -> list[AdminNotices]:
    """Per system administrator: the blocks in their companies not yet told to them.

    One entry per administrator across their companies (one mail per run).
    Viewers get none (VISMA_RULES §2 r20). Constant query count.
    """
    notices = [*_blocked_documents(), *_blocked_tasks()]
    if not notices:
        return []
    company_ids = {n.company_id for n in notices}
    memberships = (
        Membership.objects.filter(
            company_id__in=company_ids, is_system_admin=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user_id", "company_id")
    )
    admins: dict[int, AbstractBaseUser] = {}
    companies_of: dict[int, set[int]] = defaultdict(set)
    for membership in memberships:
        admins[membership.user_id] = membership.user
        companies_of[membership.user_id].add(membership.company_id)
    if not admins:
        return []
    told = set(
        NotificationSent.objects.filter(
            kind=NotificationKind.ADMIN_NOTICE,
            user_id__in=admins,
            key__in=[n.key for n in notices],
        ).values_list("user_id", "key")
    )
    prefs = preferences_by_user(set(admins))
    result: list[AdminNotices] = []
    for user_id, user in admins.items():
        recipient = recipient_for(user, prefs[user_id])
        if recipient is None:
            continue
        fresh = [
            n
            for n in notices
            if n.company_id in companies_of[user_id] and (user_id, n.key) not in told
        ]
        if fresh:
            result.append(AdminNotices(recipient=recipient, notices=fresh))
    return result
