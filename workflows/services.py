"""Writes to workflows: drafts, versions, activation, limits — each with a change-log row.

Lifecycle (DOMAIN §3): a workflow is created or duplicated as an inactive draft, edited
(`workflow_save_definition`), then activated. Activation publishes an immutable
`WorkflowVersion` and deactivates the previously active workflow of the same type in the
same transaction. The active workflow is never edited in place: duplicate it, edit the
copy, activate the copy. Every saved change writes a `WorkflowChange` with the actor, a
readable diff and a required comment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, ProtectedError, Q
from django.utils import timezone

from core.exceptions import ApplicationError, InvalidTransition
from orgunits.models import ApproverRole, Company, DocumentType, Employee
from workflows.definition import (
    LimitRef,
    PersonRef,
    WorkflowDefinition,
    definition_diff,
    definition_from_workflow,
    definition_problems,
)
from workflows.models import (
    Limit,
    LimitAmount,
    Step,
    StepRule,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)

Actor = AbstractBaseUser | None


class _Unchanged(Exception):
    """Rolls back a save that would store exactly what is already there."""


# --- drafts ---------------------------------------------------------------------------


@transaction.atomic
def workflow_create(
    *,
    company: Company,
    document_type: str,
    name: str,
    actor: Actor,
    comment: str,
    description: str = "",
    definition: WorkflowDefinition | None = None,
) -> Workflow:
    """Create an inactive workflow, optionally with steps; raises ApplicationError."""
    _require_comment(comment)
    if document_type not in DocumentType.values:
        raise ApplicationError(f"Unknown document type {document_type!r}.")
    workflow = Workflow(
        company=company,
        document_type=document_type,
        name=name.strip(),
        description=description,
        created_by=actor,
    )
    workflow.full_clean()
    workflow.save()
    if definition is not None:
        _check_identity(workflow, definition)
        _write_definition(workflow, definition)
    new = definition_from_workflow(workflow)
    _log(
        workflow,
        WorkflowChange.Action.CREATED,
        actor,
        comment,
        definition_diff(None, new),
    )
    return workflow


@transaction.atomic
def workflow_duplicate(
    *, workflow: Workflow, actor: Actor, comment: str, name: str = ""
) -> Workflow:
    """Copy a workflow (usually the active one) into a new inactive draft."""
    _require_comment(comment)
    source = definition_from_workflow(workflow)
    copy = Workflow(
        company_id=workflow.company_id,
        document_type=workflow.document_type,
        name=(name.strip() or _copy_name(workflow)),
        description=workflow.description,
        created_by=actor,
    )
    copy.full_clean()
    copy.save()
    _write_definition(copy, _renamed(source, copy.name))
    copied = definition_diff(None, definition_from_workflow(copy))
    diff = [f'Copied from "{workflow.name}"', *copied]
    _log(copy, WorkflowChange.Action.DUPLICATED, actor, comment, diff)
    return copy


@transaction.atomic
def workflow_save_definition(
    *,
    workflow: Workflow,
    definition: WorkflowDefinition,
    actor: Actor,
    comment: str,
) -> Workflow:
    """Replace a draft's options, steps and rules; refuses the active workflow.

    Records a change with a readable diff; saving an identical definition writes
    nothing. Raises ApplicationError for a broken definition or the active workflow.
    """
    _require_comment(comment)
    # The lock orders this edit against a concurrent activation of the same workflow.
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if workflow.is_active:
        raise InvalidTransition(
            f'"{workflow.name}" is active and cannot be edited: duplicate it, edit '
            "the copy and activate that."
        )
    _check_identity(workflow, definition)
    before = definition_from_workflow(workflow)
    try:
        with transaction.atomic():
            _write_definition(workflow, definition)
            # Diffed as stored, not as given: the stored limits' amounts and the
            # people's and roles' current names, whatever the caller's copy said.
            diff = definition_diff(before, definition_from_workflow(workflow))
            if not diff:
                raise _Unchanged
    except _Unchanged:
        workflow.refresh_from_db()
        return workflow
    _log(workflow, WorkflowChange.Action.EDITED, actor, comment, diff)
    return workflow


# --- activation -----------------------------------------------------------------------


@transaction.atomic
def workflow_activate(
    *, workflow: Workflow, actor: Actor, comment: str
) -> WorkflowVersion:
    """Publish a version and make the workflow the active one for its document type.

    The previously active workflow of the type is deactivated in the same transaction.
    Raises InvalidTransition if already active, ApplicationError (with
    `extra["problems"]`) if the definition is not fit to route documents.
    """
    _require_comment(comment)
    # Lock every workflow of the type, in id order: two activations for the same type
    # queue here instead of both deactivating the old one and racing to the unique
    # constraint (which would still refuse the second, but with an IntegrityError).
    locked = {
        w.pk: w
        for w in Workflow.objects.select_for_update()
        .filter(company_id=workflow.company_id, document_type=workflow.document_type)
        .order_by("pk")
    }
    target = locked.get(workflow.pk)
    if target is None:
        raise ApplicationError("The workflow no longer exists.")
    if target.is_active:
        raise InvalidTransition(f'"{target.name}" is already active.')
    definition = definition_from_workflow(target)
    problems = [*definition_problems(definition), *_reference_problems(definition)]
    if problems:
        raise ApplicationError(
            f'"{target.name}" cannot be activated: ' + " ".join(problems),
            extra={"problems": problems},
        )
    previous = next((w for w in locked.values() if w.is_active), None)
    live_before = _latest_definition(previous) if previous else None
    now = timezone.now()
    if previous is not None:
        # First: the partial unique constraint allows one active row at any moment.
        previous.is_active = False
        previous.save(update_fields=["is_active", "updated_at"])
        _log(
            previous,
            WorkflowChange.Action.DEACTIVATED,
            actor,
            comment,
            [f'Replaced by "{target.name}"'],
        )
    target.is_active = True
    target.activated_at = now
    target.save(update_fields=["is_active", "activated_at", "updated_at"])
    diff = [f'Replaces "{previous.name}"'] if previous else []
    diff += definition_diff(live_before, definition)
    return _publish(
        target,
        definition,
        actor=actor,
        comment=comment,
        action=WorkflowChange.Action.ACTIVATED,
        diff=diff,
        at=now,
    )


@transaction.atomic
def workflow_deactivate(*, workflow: Workflow, actor: Actor, comment: str) -> Workflow:
    """Stop using a workflow for incoming documents; documents in flight keep their
    version. With no active workflow, new documents of the type are blocked.

    Raises InvalidTransition if it is not active.
    """
    _require_comment(comment)
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if not workflow.is_active:
        raise InvalidTransition(f'"{workflow.name}" is not active.')
    workflow.is_active = False
    workflow.save(update_fields=["is_active", "updated_at"])
    _log(
        workflow,
        WorkflowChange.Action.DEACTIVATED,
        actor,
        comment,
        ["No workflow is active for this document type any more"],
    )
    return workflow


@transaction.atomic
def workflow_delete(*, workflow: Workflow, actor: Actor, comment: str) -> None:
    """Delete an inactive workflow with its unused versions.

    Raises InvalidTransition for the active workflow and ApplicationError while a
    version is pinned by a process (the documents app protects those rows).
    """
    _require_comment(comment)
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if workflow.is_active:
        raise InvalidTransition(
            f'"{workflow.name}" is active: activate another workflow or deactivate '
            "it first."
        )
    name = workflow.name
    # Logged first, so the row exists for SET_NULL to detach; rolled back with the
    # whole transaction if the delete is refused.
    _log(workflow, WorkflowChange.Action.DELETED, actor, comment, [f'Deleted "{name}"'])
    try:
        workflow.delete()
    except ProtectedError as error:
        raise ApplicationError(
            f'"{name}" cannot be deleted: documents in flight still use one of its '
            "versions. Deactivate it instead.",
            extra={"protected": len(error.protected_objects)},
        ) from error


# --- limits ---------------------------------------------------------------------------


@transaction.atomic
def limit_save(
    *,
    company: Company,
    name: str,
    amounts: Mapping[str, Decimal],
    actor: Actor,
    comment: str,
    description: str = "",
) -> Limit:
    """Create or change a named limit's amounts per currency.

    Active workflows using the limit publish a new version at once, so new documents
    use the new amounts while documents in flight keep theirs. Raises ApplicationError.
    """
    _require_comment(comment)
    name = name.strip()
    if not name:
        raise ApplicationError("A limit needs a name.")
    cleaned = _clean_amounts(amounts)
    limit = Limit.objects.select_for_update().filter(company=company, name=name).first()
    before = LimitRef.of(name, {})
    if limit is None:
        limit = Limit(company=company, name=name, description=description)
        limit.full_clean()
        limit.save()
    else:
        before = LimitRef.from_limit(limit)
        if description and description != limit.description:
            limit.description = description
            limit.save(update_fields=["description", "updated_at"])
    after = LimitRef.of(name, cleaned)
    if before.amounts == after.amounts:
        return limit
    limit.amounts.exclude(currency__in=cleaned.keys()).delete()
    for currency, amount in cleaned.items():
        LimitAmount.objects.update_or_create(
            limit=limit,
            currency=currency,
            defaults={"amount": amount, "company_id": company.pk},
        )
    line = f'Limit "{name}": {before.describe_amounts()} → {after.describe_amounts()}'
    _log(
        None,
        WorkflowChange.Action.LIMIT_SAVED,
        actor,
        comment,
        [line],
        company_id=company.pk,
    )
    _republish_users_of(limit, actor=actor, comment=comment)
    return limit


# --- helpers --------------------------------------------------------------------------


def _require_comment(comment: str) -> None:
    if not comment or not comment.strip():
        raise ApplicationError("Describe the change in a comment.")


def _check_identity(workflow: Workflow, definition: WorkflowDefinition) -> None:
    if definition.company_id != workflow.company_id:
        raise ApplicationError("The definition belongs to another company.")
    if definition.document_type != workflow.document_type:
        raise ApplicationError(
            "A workflow's document type cannot change; create a new workflow."
        )


def _renamed(definition: WorkflowDefinition, name: str) -> WorkflowDefinition:
    return dataclasses.replace(definition, name=name)


def _copy_name(workflow: Workflow) -> str:
    taken = set(
        Workflow.objects.filter(
            company_id=workflow.company_id, document_type=workflow.document_type
        ).values_list("name", flat=True)
    )
    base = f"{workflow.name} (copy)"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{workflow.name} (copy {n})", n + 1
    return candidate


def _write_definition(workflow: Workflow, definition: WorkflowDefinition) -> None:
    """Replace the workflow's options, steps and rules with the definition's."""
    problems = definition_problems(definition, complete=False)
    if problems:
        raise ApplicationError(
            "The workflow cannot be saved: " + " ".join(problems),
            extra={"problems": list(problems)},
        )
    company_id = workflow.company_id
    limits = _limits_by_name(company_id, definition.limits().keys())
    roles = _roles_by_id(
        company_id, {r.role_id for s in definition.steps for r in s.rules if r.role_id}
    )
    people = _people_by_id(company_id, definition.employee_ids())

    workflow.name = definition.name.strip()
    workflow.description = definition.description
    workflow.four_eyes_enabled = definition.four_eyes_enabled
    workflow.skip_when_already_approved = definition.skip_when_already_approved
    workflow.full_clean()
    workflow.save(
        update_fields=[
            "name",
            "description",
            "four_eyes_enabled",
            "skip_when_already_approved",
            "updated_at",
        ]
    )
    workflow.four_eyes_people.set(
        [people[p.employee_id] for p in definition.four_eyes_people]
    )
    # Steps are replaced wholesale: versions are snapshots, so nothing points at them.
    Step.objects.filter(workflow=workflow).delete()
    for step in definition.steps:
        row = Step(
            company_id=company_id,
            workflow=workflow,
            position=step.position,
            name=step.name.strip(),
            condition_kind=step.condition_kind,
            low_limit=limits[step.low_limit.name] if step.low_limit else None,
            high_limit=limits[step.high_limit.name] if step.high_limit else None,
            days=step.days,
            mandatory=step.mandatory,
            completion_policy=step.completion_policy,
            required_count=step.required_count,
            line_approval=step.line_approval,
            editing_allowed=step.editing_allowed,
            reapprove_changes=step.reapprove_changes,
            auto_approve_as=(
                people[step.auto_approve_as.employee_id]
                if step.auto_approve_as
                else None
            ),
            days_to_complete=step.days_to_complete,
        )
        row.save()
        for position, rule in enumerate(step.rules, start=1):
            rule_row = StepRule.objects.create(
                company_id=company_id,
                step=row,
                position=position,
                kind=rule.kind,
                role=roles[rule.role_id] if rule.role_id else None,
            )
            if rule.approvers:
                rule_row.approvers.set([people[p.employee_id] for p in rule.approvers])


def _limits_by_name(company_id: int, names: Iterable[str]) -> dict[str, Limit]:
    wanted = set(names)
    found = {
        limit.name: limit
        for limit in Limit.objects.filter(company_id=company_id, name__in=wanted)
    }
    _refuse_missing(wanted - found.keys(), 'Limit "{}" does not exist.')
    return found


def _roles_by_id(company_id: int, ids: Iterable[int]) -> dict[int, ApproverRole]:
    wanted = set(ids)
    found = ApproverRole.objects.filter(company_id=company_id).in_bulk(wanted)
    _refuse_missing(wanted - found.keys(), "Approver role #{} does not exist.")
    return found


def _people_by_id(company_id: int, ids: Iterable[int]) -> dict[int, Employee]:
    wanted = set(ids)
    found = Employee.objects.filter(company_id=company_id).in_bulk(wanted)
    _refuse_missing(
        wanted - found.keys(), "Employee #{} does not exist in this company."
    )
    return found


def _refuse_missing(missing: Iterable[object], message: str) -> None:
    problems = [message.format(key) for key in sorted(missing, key=str)]
    if problems:
        raise ApplicationError(
            "The workflow cannot be saved: " + " ".join(problems),
            extra={"problems": problems},
        )


def _reference_problems(definition: WorkflowDefinition) -> list[str]:
    """People and limits a definition names that would block every document."""
    problems: list[str] = []
    people = Employee.objects.filter(
        company_id=definition.company_id, pk__in=definition.employee_ids()
    ).in_bulk()

    def check(ref: PersonRef, where: str) -> None:
        employee = people.get(ref.employee_id)
        if employee is None:
            problems.append(f"{where}: {ref} does not exist.")
        elif not employee.active:
            problems.append(f"{where}: {ref} is inactive.")

    for person in definition.four_eyes_people:
        check(person, "4-eyes approval")
    for step in definition.steps:
        if step.auto_approve_as is not None:
            check(step.auto_approve_as, step.label)
        for rule in step.rules:
            for person in rule.approvers:
                check(person, step.label)
    for limit in definition.limits().values():
        if not limit.amounts:
            problems.append(f'Limit "{limit.name}" has no amount in any currency.')
    return problems


def _latest_definition(workflow: Workflow) -> WorkflowDefinition | None:
    version = (
        WorkflowVersion.objects.filter(workflow=workflow).order_by("-number").first()
    )
    return WorkflowDefinition.from_dict(version.definition) if version else None


def _publish(
    workflow: Workflow,
    definition: WorkflowDefinition,
    *,
    actor: Actor,
    comment: str,
    action: str,
    diff: Sequence[str],
    at: datetime | None = None,
) -> WorkflowVersion:
    number = (
        WorkflowVersion.objects.filter(workflow=workflow).aggregate(n=Max("number"))[
            "n"
        ]
        or 0
    ) + 1
    version = WorkflowVersion(
        company_id=workflow.company_id,
        workflow=workflow,
        number=number,
        document_type=workflow.document_type,
        definition=definition.to_dict(),
        published_at=at or timezone.now(),
        published_by=actor,
        comment=comment.strip(),
    )
    version.full_clean()
    version.save()
    _log(
        workflow,
        action,
        actor,
        comment,
        [f"Published version {number}", *diff],
        version=version,
    )
    return version


def _republish_users_of(limit: Limit, *, actor: Actor, comment: str) -> None:
    """Publish a new version of every active workflow whose steps use the limit."""
    using_steps = Step.objects.filter(
        Q(low_limit=limit) | Q(high_limit=limit), company_id=limit.company_id
    ).values("workflow_id")
    # Locked like an activation, so a concurrent switch of the active workflow cannot
    # interleave with publishing; no DISTINCT, which FOR UPDATE refuses.
    users = (
        Workflow.objects.select_for_update()
        .filter(company_id=limit.company_id, is_active=True, pk__in=using_steps)
        .order_by("pk")
    )
    for workflow in users:
        before = _latest_definition(workflow)
        after = definition_from_workflow(workflow)
        _publish(
            workflow,
            after,
            actor=actor,
            comment=comment,
            action=WorkflowChange.Action.PUBLISHED,
            diff=definition_diff(before, after),
        )


def _clean_amounts(amounts: Mapping[str, Decimal]) -> dict[str, Decimal]:
    if not amounts:
        raise ApplicationError("A limit needs an amount in at least one currency.")
    cleaned: dict[str, Decimal] = {}
    for currency, value in amounts.items():
        code = currency.strip().upper()
        if len(code) != 3 or not code.isalpha() or not code.isascii():
            raise ApplicationError(f"{currency!r} is not an ISO 4217 currency code.")
        try:
            amount = Decimal(value).quantize(Decimal("0.01"))
        except (InvalidOperation, TypeError, ValueError) as error:
            raise ApplicationError(f"{value!r} is not an amount.") from error
        if amount < 0:
            raise ApplicationError(f"The amount in {code} cannot be negative.")
        if code in cleaned:
            raise ApplicationError(f"{code} is given twice.")
        cleaned[code] = amount
    return cleaned


def _log(
    workflow: Workflow | None,
    action: str,
    actor: Actor,
    comment: str,
    diff: Sequence[str],
    *,
    company_id: int | None = None,
    version: WorkflowVersion | None = None,
) -> WorkflowChange:
    """Append one change-log row; `company_id` is needed only without a workflow."""
    change = WorkflowChange(
        company_id=workflow.company_id if workflow is not None else company_id,
        workflow=workflow,
        workflow_name=workflow.name if workflow else "",
        version=version,
        action=action,
        actor=actor,
        comment=comment.strip(),
        diff=list(diff),
    )
    change.full_clean()
    change.save()
    return change
