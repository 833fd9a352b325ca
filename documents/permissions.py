"""Who may see or touch a document; one condition per line (STYLE §4)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone

from documents.models import Document, Task
from orgunits.models import Employee, Membership, Substitution


def _principal_ids_for(*, user: AbstractBaseUser, company_id: int) -> list[int]:
    """Employees the user's employee stands in for right now (active substitutions)."""
    return list(
        Substitution.objects.active_at(timezone.now())
        .filter(company_id=company_id, substitute__user=user, substitute__active=True)
        .values_list("principal_id", flat=True)
    )


def has_part_in_document(*, user: AbstractBaseUser, document: Document) -> bool:
    """The user's employee had a task on it, or substitutes for someone with an open one."""
    own = Q(assignee__user=user)
    principals = _principal_ids_for(user=user, company_id=document.company_id)
    for_principal = Q(assignee_id__in=principals, status__in=Task.OPEN_STATUSES)
    return Task.objects.filter(document=document).filter(own | for_principal).exists()


def can_view_document(
    *, user: AbstractBaseUser | AnonymousUser, document: Document
) -> bool:
    if not user.is_authenticated:
        return False
    membership = Membership.objects.filter(
        company_id=document.company_id, user=user, company__is_active=True
    ).first()
    if membership is None:
        return False
    if membership.is_system_admin or membership.is_system_viewer:
        return True
    return has_part_in_document(user=user, document=document)


def can_comment_document(
    *, user: AbstractBaseUser | AnonymousUser, employee: Employee, document: Document
) -> bool:
    """Administrators and the people with a part in the document; viewers only read."""
    if not user.is_authenticated:
        return False
    if employee.user_id != user.pk:
        return False
    if employee.company_id != document.company_id or not employee.active:
        return False
    membership = Membership.objects.filter(
        company_id=document.company_id, user=user
    ).first()
    if membership is None:
        return False
    if membership.is_system_admin:
        return True
    return has_part_in_document(user=user, document=document)
