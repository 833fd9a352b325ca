"""Request review / review: another person gives an opinion, the approver decides.

The approver's task waits in review (it leaves their list) while the reviewer has a
review task; the reviewer must comment, cannot approve or reject, and their comment
sends the task back to the approver (VISMA_RULES §1.7, §2 r13). Forwarding is the
other flow: there the decision moves.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from documents.choices import TaskKind, TaskOrigin, TaskStatus
from documents.models import Task
from documents.notifications.enqueue import new_task_notify_on_commit
from documents.services.calendar import working_days_add
from documents.services.common import (
    HistoryWriter,
    LockedTask,
    comment_clean,
    comment_post,
    employee_label,
    is_requester,
    task_guard,
    task_lock,
    version_check,
)
from documents.services.decisions import on_behalf_of_for
from documents.transitions import REQUEST_REVIEW, REVIEW, ensure_transition
from orgunits.models import Employee, Membership

#: `Task.rule` of a review task.
RULE_REVIEW = "review"
REVIEW_COMMENT_REQUIRED = "A review needs a comment."


def _reviewer_check(
    *, locked: LockedTask, employee: Employee, reviewer: Employee
) -> None:
    """Refuse a reviewer who cannot or may not review this task (read under the lock)."""
    document, task = locked.document, locked.task
    if reviewer.pk in (employee.pk, task.assignee_id):
        raise ValidationError({"reviewer": "You cannot ask yourself for a review."})
    if is_requester(document, reviewer):
        raise ValidationError(
            {"reviewer": "The requester cannot review their own document."}
        )
    # A review is answered in Signoff: the reviewer needs a login in this company.
    can_sign_in = (
        reviewer.company_id == document.company_id
        and reviewer.active
        and reviewer.user_id is not None
        and Membership.objects.filter(
            company_id=document.company_id, user_id=reviewer.user_id
        ).exists()
    )
    if not can_sign_in:
        raise ValidationError(
            {"reviewer": f"{reviewer.name} cannot review documents in this company."}
        )
    # The database allows one open review per person and step; say so plainly.
    already = Task.objects.filter(
        step_run=task.step_run,
        assignee=reviewer,
        kind=TaskKind.REVIEW,
        status__in=Task.OPEN_STATUSES,
    ).exists()
    if already:
        raise ValidationError(
            {"reviewer": f"{reviewer.name} already has a review open in this step."}
        )


@transaction.atomic
def task_request_review(
    *,
    task_id: int,
    employee: Employee,
    user: AbstractBaseUser,
    expected_version: int,
    reviewer: Employee,
    comment: str = "",
) -> Task:
    """Put the task in review and give `reviewer` an active review task; returns it.

    Raises StaleVersion for an outdated page, InvalidTransition when the task cannot
    be sent for review now, and ValidationError for yourself, the requester, someone
    without a login in the company, a reviewer with an open review in this step, or
    a too long comment.
    """
    text = comment_clean(comment)
    locked = task_lock(task_id)
    version_check(locked.document, expected_version)
    task_guard(locked=locked, employee=employee, user=user, action=REQUEST_REVIEW)
    _reviewer_check(locked=locked, employee=employee, reviewer=reviewer)

    task, document, process = locked.task, locked.document, locked.process
    step_run = task.step_run
    ensure_transition("task", task.status, TaskStatus.IN_REVIEW)
    task.status = TaskStatus.IN_REVIEW
    task.version += 1
    task.save(update_fields=["status", "version", "updated_at"])
    actor = employee_label(employee)
    review = Task.objects.create(
        company_id=document.company_id,
        step_run=step_run,
        process=process,
        document=document,
        assignee=reviewer,
        status=TaskStatus.ACTIVE,
        origin=TaskOrigin.REVIEW,
        kind=TaskKind.REVIEW,
        review_of=task,
        round=task.round,
        due_date=working_days_add(
            company_id=document.company_id,
            start=timezone.localdate(),
            days=step_run.days_to_complete,
        ),
        rule=RULE_REVIEW,
        source=f"review requested by {actor}"[:300],
        activated_at=timezone.now(),
    )
    new_task_notify_on_commit(task_ids=[review.pk])

    history = HistoryWriter(
        document,
        actor_label=actor,
        actor_user=user,
        on_behalf_of_label=employee_label(on_behalf_of_for(task, employee)),
    )
    history.record(
        "documents.task.request_review",
        process=process,
        data={
            "task": task.pk,
            "review_task": review.pk,
            "step": step_run.position,
            "reviewer": employee_label(reviewer),
            "comment": text,
        },
    )
    history.record(
        "documents.task.create",
        process=process,
        data={
            "task": review.pk,
            "step": step_run.position,
            "assignee": employee_label(reviewer),
            "kind": TaskKind.REVIEW,
            "rule": review.rule,
            "source": review.source,
            "review_of": task.pk,
            "due_date": review.due_date,
        },
    )
    if text:
        comment_post(
            document=document,
            process=process,
            employee=employee,
            user=user,
            text=text,
            history=history,
        )
    return review


@transaction.atomic
def task_review(
    *, task_id: int, employee: Employee, user: AbstractBaseUser, comment: str
) -> Task:
    """Answer a review with a public comment; the approver's task becomes active again.

    Returns the completed review task. Raises ValidationError without a comment and
    InvalidTransition when the review is closed or not this person's to answer.
    """
    text = comment_clean(comment, required_message=REVIEW_COMMENT_REQUIRED)
    locked = task_lock(task_id)
    task_guard(locked=locked, employee=employee, user=user, action=REVIEW)
    review, document, process = locked.task, locked.document, locked.process
    # Locked after the review task, by the same document lock every writer holds
    # first, so nobody changes it in between.
    original = (
        Task.objects.select_for_update(of=("self",))
        .filter(pk=review.review_of_id)
        .first()
    )
    now = timezone.now()
    ensure_transition("task", review.status, TaskStatus.COMPLETED)
    review.status = TaskStatus.COMPLETED
    review.closed_reason = "reviewed"
    review.closed_at = now
    review.version += 1
    review.save(
        update_fields=["status", "closed_reason", "closed_at", "version", "updated_at"]
    )
    history = HistoryWriter(
        document,
        actor_label=employee_label(employee),
        actor_user=user,
        on_behalf_of_label=employee_label(on_behalf_of_for(review, employee)),
    )
    posted = comment_post(
        document=document,
        process=process,
        employee=employee,
        user=user,
        text=text,
        history=history,
    )
    history.record(
        "documents.task.review",
        process=process,
        data={
            "task": review.pk,
            "review_of": review.review_of_id,
            "comment": posted.pk,
        },
    )
    # The approval task may have left review meanwhile (the step completed, or an
    # administrator reassigned it); then the comment stands and nothing returns.
    if original is not None and original.status == TaskStatus.IN_REVIEW:
        ensure_transition("task", original.status, TaskStatus.ACTIVE)
        original.status = TaskStatus.ACTIVE
        original.version += 1
        original.save(update_fields=["status", "version", "updated_at"])
        history.record(
            "documents.task.review_return",
            process=process,
            data={"task": original.pk, "assignee": employee_label(original.assignee)},
        )
    return review
