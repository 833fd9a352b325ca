"""Routing a received document: pin the active workflow, plan it, start the process."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from documents.choices import (
    DocumentStatus,
    ProcessStatus,
    StepRunStatus,
    TaskKind,
    TaskOrigin,
    TaskStatus,
)
from documents.models import Document, Line, Process, StepRun, Task
from documents.services.common import (
    SYSTEM_LABEL,
    HistoryWriter,
    document_lock,
    document_save,
    open_process_lock,
)
from documents.services.processes import process_continue
from documents.transitions import ensure_transition
from orgunits.models import DocumentType
from orgunits.resolver import OrgFacts
from workflows.definition import WorkflowDefinition
from workflows.engine import (
    Plan,
    PlannedApprover,
    RoutingFacts,
    RoutingLine,
    StepOutcome,
    StepPlan,
    plan_for_version,
)
from workflows.models import WorkflowVersion
from workflows.selectors import active_version_get


def routing_facts_for(document: Document, *, today: date) -> RoutingFacts:
    """The document as plain routing facts (codes and numbers, no rows)."""
    header = OrgFacts(
        requester_number=document.requester_number or None,
        department_code=document.department_code or None,
        branch_code=document.branch_code or None,
    )
    lines = tuple(
        RoutingLine(
            line_number=line.line_number,
            amount=line.amount,
            org=_line_facts(line),
        )
        for line in Line.objects.filter(document=document).order_by("line_number")
    )
    return RoutingFacts(
        company_id=document.company_id,
        document_type=document.document_type,
        amount=document.gross_amount,
        currency=document.currency,
        requester_number=document.requester_number or None,
        initial_approver_number=document.initial_approver_number or None,
        received_on=timezone.localdate(document.received_at),
        due_date=document.due_date,
        today=today,
        header=header,
        lines=lines,
    )


def _line_facts(line: Line) -> OrgFacts:
    segments: dict[int, str] = {}
    for key, value in (line.segment_values or {}).items():
        # JSON keys are strings; the resolver keys segments by their integer id.
        if str(key).isdigit() and value not in (None, ""):
            segments[int(key)] = str(value)
    return OrgFacts(
        segment_values=segments,
        department_code=line.department_code or None,
        project_code=line.project_code or None,
        task_code=line.task_code or None,
        branch_code=line.branch_code or None,
    )


def plan_as_json(plan: Plan, version: WorkflowVersion | None) -> dict[str, Any]:
    """The routing trace kept on the process: every step, why, and who."""
    data = dataclasses.asdict(plan)
    if version is not None:
        definition = WorkflowDefinition.from_dict(version.definition)
        data["workflow"] = {
            "version_id": version.pk,
            "workflow_id": version.workflow_id,
            "number": version.number,
            "name": definition.name,
            "skip_when_already_approved": definition.skip_when_already_approved,
        }
    return data


@transaction.atomic
def document_route(*, document_id: int, today: date | None = None) -> Document:
    """Route a received document: a running process with its steps and tasks, or blocked.

    Idempotent: returns the document unchanged unless it is `received`, so a duplicate
    Celery delivery or a reconciler pass never starts a second process.
    """
    document = document_lock(document_id)
    # Guard after the lock: a concurrent route or cancel has committed by now.
    if document.status != DocumentStatus.RECEIVED:
        return document
    today = today or timezone.localdate()
    history = HistoryWriter(document, actor_label=SYSTEM_LABEL)
    number = (
        Process.objects.filter(document=document).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    version = active_version_get(
        company_id=document.company_id, document_type=document.document_type
    )
    if version is None:
        label = DocumentType(document.document_type).label
        reason = f"No workflow is active for {str(label).lower()}s."
        process = Process.objects.create(
            company_id=document.company_id,
            document=document,
            number=number,
            workflow_version=None,
            status=ProcessStatus.BLOCKED,
            blocked_reason=reason,
            plan={"blocked": True, "blocked_reasons": [reason], "steps": []},
        )
        _document_blocked(document=document, process=process, history=history)
        return document

    plan = plan_for_version(routing_facts_for(document, today=today), version)
    process = Process.objects.create(
        company_id=document.company_id,
        document=document,
        number=number,
        workflow_version=version,
        status=ProcessStatus.BLOCKED if plan.blocked else ProcessStatus.RUNNING,
        blocked_reason="\n".join(plan.blocked_reasons),
        plan=plan_as_json(plan, version),
    )
    if plan.blocked:
        _document_blocked(document=document, process=process, history=history)
        return document
    _process_start(
        process=process, document=document, plan=plan, history=history, today=today
    )
    return document


@transaction.atomic
def document_retry_blocked(*, document_id: int, today: date | None = None) -> Document:
    """Route a blocked document again if the setup now resolves (nightly retry).

    Nothing changes — no row, no history — while it still does not resolve, or when
    the block came from a running process (that one needs an administrator).
    """
    document = document_lock(document_id)
    if document.status != DocumentStatus.BLOCKED:
        return document
    process = open_process_lock(document)
    if (
        process is None
        or process.status != ProcessStatus.BLOCKED
        or StepRun.objects.filter(process=process).exists()
    ):
        return document
    version = active_version_get(
        company_id=document.company_id, document_type=document.document_type
    )
    if version is None:
        return document
    today = today or timezone.localdate()
    plan = plan_for_version(routing_facts_for(document, today=today), version)
    if plan.blocked:
        return document
    history = HistoryWriter(document, actor_label=SYSTEM_LABEL)
    ensure_transition("process", process.status, ProcessStatus.RUNNING)
    process.status = ProcessStatus.RUNNING
    process.blocked_reason = ""
    process.workflow_version = version
    process.plan = plan_as_json(plan, version)
    process.save(
        update_fields=[
            "status",
            "blocked_reason",
            "workflow_version",
            "plan",
            "updated_at",
        ]
    )
    history.record(
        "documents.process.retry",
        process=process,
        data={"workflow_version": version.pk},
    )
    _process_start(
        process=process, document=document, plan=plan, history=history, today=today
    )
    return document


def _document_blocked(
    *, document: Document, process: Process, history: HistoryWriter
) -> None:
    ensure_transition("document", document.status, DocumentStatus.BLOCKED)
    document.status = DocumentStatus.BLOCKED
    document.blocked_reason = process.blocked_reason
    history.record(
        "documents.document.block",
        process=process,
        data={
            "process": process.number,
            "reasons": process.blocked_reason.splitlines(),
            "workflow_version": process.workflow_version_id,
        },
    )
    document_save(document, "status", "blocked_reason")


def _process_start(
    *,
    process: Process,
    document: Document,
    plan: Plan,
    history: HistoryWriter,
    today: date,
) -> None:
    """Write the step runs and planned tasks of the plan, then activate the first step."""
    ensure_transition("document", document.status, DocumentStatus.IN_PROGRESS)
    document.status = DocumentStatus.IN_PROGRESS
    document.blocked_reason = ""
    history.record(
        "documents.document.route",
        process=process,
        data={
            "process": process.number,
            "workflow_version": process.workflow_version_id,
            "steps": [
                {"step": s.position, "name": s.name, "outcome": s.outcome}
                for s in plan.steps
            ],
        },
    )
    for step_plan in plan.steps:
        step_run = StepRun.objects.create(
            company_id=document.company_id,
            process=process,
            position=step_plan.position,
            name=step_plan.name[:100],
            status=(
                StepRunStatus.SKIPPED
                if step_plan.outcome == StepOutcome.SKIPPED
                else StepRunStatus.PLANNED
            ),
            reasons=list(step_plan.reasons),
            completion_policy=step_plan.completion_policy,
            required_count=step_plan.required_count,
            mandatory=step_plan.mandatory,
            line_approval=step_plan.line_approval,
            editing_allowed=step_plan.editing_allowed,
            reapprove_changes=step_plan.reapprove_changes,
            days_to_complete=step_plan.days_to_complete,
            is_four_eyes=step_plan.outcome == StepOutcome.FOUR_EYES,
            auto_approve_as_id=(
                step_plan.auto_approved_by.employee_id
                if step_plan.outcome == StepOutcome.AUTO_APPROVED
                and step_plan.auto_approved_by is not None
                else None
            ),
        )
        if step_run.status == StepRunStatus.SKIPPED:
            history.record(
                "documents.step.skip",
                process=process,
                data={
                    "step": step_run.position,
                    "name": step_run.name,
                    "reasons": step_run.reasons,
                },
            )
            continue
        _tasks_plan(
            step_run=step_run,
            step_plan=step_plan,
            process=process,
            document=document,
            history=history,
        )
    process_continue(process=process, document=document, history=history, today=today)
    document_save(document, "status", "blocked_reason")


def _tasks_plan(
    *,
    step_run: StepRun,
    step_plan: StepPlan,
    process: Process,
    document: Document,
    history: HistoryWriter,
) -> None:
    """One planned task per person of the step.

    Substitutes planned next to their principal get no task of their own: they see
    and act on the principal's task for as long as the substitution is active.
    """
    if step_plan.outcome not in (StepOutcome.ROUTE, StepOutcome.FOUR_EYES):
        return
    people: dict[int, PlannedApprover] = {}
    lines: dict[int, set[int]] = {}
    for approver in step_plan.approvers:
        if approver.substitute_for_id is not None:
            continue
        people.setdefault(approver.employee_id, approver)
        lines.setdefault(approver.employee_id, set()).update(approver.line_numbers)
    tasks = [
        Task.objects.create(
            company_id=document.company_id,
            step_run=step_run,
            process=process,
            document=document,
            assignee_id=employee_id,
            status=TaskStatus.PLANNED,
            origin=TaskOrigin.WORKFLOW,
            kind=TaskKind.APPROVAL,
            line_numbers=sorted(lines[employee_id]),
            rule=approver.rule[:30],
            source=approver.source[:300],
        )
        for employee_id, approver in people.items()
    ]
    history.record_many(
        "documents.task.create",
        process=process,
        items=(
            {
                "task": task.pk,
                "step": step_run.position,
                "assignee": f"{people[task.assignee_id].employee_name} "
                f"({people[task.assignee_id].employee_number})",
                "rule": task.rule,
                "source": task.source,
            }
            for task in tasks
        ),
    )
