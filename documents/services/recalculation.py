"""Re-planning a running process after a routing-relevant edit, and re-approval.

The steps after the edited one are planned again with the workflow version the
process pinned (VISMA_RULES §1.5, §2 r5–r6): approvers no longer matched drop out,
new ones are added, decided tasks stay decided. Earlier steps with "re-approve
changes" approve again in a new round, starting with the earliest; earlier steps
without it stay approved. If a mandatory step to be re-planned can no longer be
resolved, process and document are blocked and nothing is re-planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from documents.choices import StepRunStatus, TaskKind, TaskOrigin, TaskStatus
from documents.models import Document, Process, StepRun, Task
from documents.services.common import HistoryWriter, open_tasks_lock
from documents.services.processes import process_block, process_continue
from documents.services.routing import plan_as_json, routing_facts_for
from documents.services.steps import tasks_cancel
from documents.transitions import ensure_transition
from workflows.engine import Plan, StepOutcome, StepPlan, plan_for_version


def process_recalculate(
    *,
    document: Document,
    process: Process,
    history: HistoryWriter,
    editor: str,
    edit_step: StepRun | None,
    today: date,
) -> None:
    """Re-plan the steps after the edited one; go back for re-approval if configured.

    The caller holds the document and process locks; the open tasks are locked here,
    in the usual order, before any of them changes.
    """
    open_tasks_lock(process)
    version = process.workflow_version
    if version is None:
        return
    plan = plan_for_version(routing_facts_for(document, today=today), version)
    plans = {step_plan.position: step_plan for step_plan in plan.steps}
    runs = list(StepRun.objects.filter(process=process).order_by("position"))
    if edit_step is not None:
        # The same instance as in `runs`: the send-back changes it, and the re-plan
        # below must see (and save) that change, not an older copy.
        edit_step = next(run for run in runs if run.pk == edit_step.pk)
        edited_at = edit_step.position
    else:
        edited_at = max(
            (r.position for r in runs if r.status == StepRunStatus.COMPLETED), default=0
        )
    targets = _reapproval_targets(runs, plans, edit_step)
    # Re-approval reopens everything after the earliest such step that is not done;
    # without it, only the steps after the edited one are re-planned.
    start = targets[0].position if targets else edited_at
    affected = [
        run
        for run in runs
        if run.position > start
        and run.position in plans
        and (
            run.status in (StepRunStatus.PLANNED, StepRunStatus.SKIPPED)
            or (targets and edit_step is not None and run.pk == edit_step.pk)
        )
    ]
    blocking = [
        plans[run.position]
        for run in [*targets, *affected]
        if plans[run.position].outcome == StepOutcome.BLOCKED
    ]
    process.plan = plan_as_json(plan, version)
    process.save(update_fields=["plan", "updated_at"])
    if blocking:
        # Nothing is re-planned: the process waits for an administrator as it was.
        process_block(
            process=process,
            document=document,
            history=history,
            reason=_blocked_reason(plan, blocking, editor),
        )
        return

    summary: list[dict[str, object]] = []
    if targets and edit_step is not None:
        reason = f"Document changed by {editor} in step {edit_step.position}"
        _send_back(
            edit_step=edit_step,
            targets=targets,
            process=process,
            history=history,
            reason=reason,
        )
        for target in targets:
            summary.append(
                _step_replan(
                    run=target,
                    step_plan=plans[target.position],
                    process=process,
                    document=document,
                    history=history,
                    editor=editor,
                    reapproval_reason=reason,
                )
            )
    for run in affected:
        summary.append(
            _step_replan(
                run=run,
                step_plan=plans[run.position],
                process=process,
                document=document,
                history=history,
                editor=editor,
                reapproval_reason="",
            )
        )
    history.record(
        "documents.process.recalculate",
        process=process,
        data={
            "edited_step": edit_step.position if edit_step is not None else None,
            "reapproval_steps": [target.position for target in targets],
            "steps": summary,
        },
    )
    if targets:
        # The advance's own routine activates the earliest re-approval step (new due
        # dates, blocked tasks for people who lost the right), the rest in order.
        process_continue(
            process=process, document=document, history=history, today=today
        )


def _reapproval_targets(
    runs: list[StepRun], plans: Mapping[int, StepPlan], edit_step: StepRun | None
) -> list[StepRun]:
    """The completed earlier steps with "re-approve changes", earliest first.

    Only those: an earlier step without the option stays approved (VISMA_RULES §2
    r5). Only for an edit inside an active step; before the first step nobody has
    approved anything. A step the edit now skips needs no re-approval.
    """
    if edit_step is None:
        return []
    targets = []
    for run in runs:
        if run.position >= edit_step.position:
            break
        step_plan = plans.get(run.position)
        if (
            run.status == StepRunStatus.COMPLETED
            and run.reapprove_changes
            and step_plan is not None
            and step_plan.outcome != StepOutcome.SKIPPED
        ):
            targets.append(run)
    return targets


def _blocked_reason(plan: Plan, blocking: list[StepPlan], editor: str) -> str:
    labels = tuple(f"{step_plan.label}:" for step_plan in blocking)
    reasons = [r for r in plan.blocked_reasons if r.startswith(labels)]
    return "\n".join(f"After the edit by {editor}, {r}" for r in reasons)


def _send_back(
    *,
    edit_step: StepRun,
    targets: list[StepRun],
    process: Process,
    history: HistoryWriter,
    reason: str,
) -> None:
    """The edited step waits again; each re-approval step starts a new round."""
    first = targets[0]
    tasks_cancel(
        tasks=list(
            Task.objects.filter(step_run=edit_step, status__in=Task.OPEN_STATUSES)
        ),
        process=process,
        history=history,
        reason=f"{reason}; step {first.position} approves it again first",
    )
    ensure_transition("step", edit_step.status, StepRunStatus.PLANNED)
    edit_step.status = StepRunStatus.PLANNED
    edit_step.activated_at = None
    edit_step.reasons = [
        *edit_step.reasons,
        f"{reason}; sent back to step {first.position}",
    ]
    edit_step.save(update_fields=["status", "activated_at", "reasons", "updated_at"])
    history.record(
        "documents.step.send_back",
        process=process,
        data={
            "step": edit_step.position,
            "name": edit_step.name,
            "to_step": first.position,
        },
    )
    for target in targets:
        ensure_transition("step", target.status, StepRunStatus.PLANNED)
        target.status = StepRunStatus.PLANNED
        # A new round: the decisions of the earlier one stay, but no longer count.
        target.round += 1
        target.activated_at = None
        target.completed_at = None
        target.reasons = [*target.reasons, f"re-approval: {reason}"]
        target.save(
            update_fields=[
                "status",
                "round",
                "activated_at",
                "completed_at",
                "reasons",
                "updated_at",
            ]
        )
        history.record(
            "documents.step.reapprove",
            process=process,
            data={
                "step": target.position,
                "name": target.name,
                "round": target.round,
                "reason": reason,
            },
        )


def _step_replan(
    *,
    run: StepRun,
    step_plan: StepPlan,
    process: Process,
    document: Document,
    history: HistoryWriter,
    editor: str,
    reapproval_reason: str,
) -> dict[str, object]:
    """Bring one not-yet-active step in line with its new plan; what changed."""
    open_tasks = list(
        Task.objects.filter(
            step_run=run,
            kind=TaskKind.APPROVAL,
            round=run.round,
            status__in=Task.OPEN_STATUSES,
        )
        .select_related("assignee")
        .order_by("pk")
    )
    if step_plan.outcome == StepOutcome.SKIPPED:
        if run.status == StepRunStatus.PLANNED:
            ensure_transition("step", run.status, StepRunStatus.SKIPPED)
            run.status = StepRunStatus.SKIPPED
            run.reasons = list(step_plan.reasons)
            run.save(update_fields=["status", "reasons", "updated_at"])
            history.record(
                "documents.step.skip",
                process=process,
                data={"step": run.position, "name": run.name, "reasons": run.reasons},
            )
        tasks_cancel(
            tasks=open_tasks,
            process=process,
            history=history,
            reason=f"step {run.position} no longer applies after the edit by {editor}",
        )
        return _summary(run, step_plan, added=[], removed=open_tasks)

    if run.status == StepRunStatus.SKIPPED:
        ensure_transition("step", run.status, StepRunStatus.PLANNED)
        run.status = StepRunStatus.PLANNED
        history.record(
            "documents.step.plan",
            process=process,
            data={
                "step": run.position,
                "name": run.name,
                "reasons": list(step_plan.reasons),
            },
        )
    run.reasons = list(step_plan.reasons)
    auto = step_plan.auto_approved_by
    run.auto_approve_as_id = (
        auto.employee_id
        if step_plan.outcome == StepOutcome.AUTO_APPROVED and auto is not None
        else None
    )
    run.save(update_fields=["status", "reasons", "auto_approve_as", "updated_at"])

    wanted: dict[int, tuple[str, str, str, str]] = {}
    lines: dict[int, set[int]] = {}
    if step_plan.outcome in (StepOutcome.ROUTE, StepOutcome.FOUR_EYES):
        for approver in step_plan.approvers:
            # Substitutes act on their principal's task; they get none of their own.
            if approver.substitute_for_id is not None:
                continue
            wanted.setdefault(
                approver.employee_id,
                (
                    approver.employee_name,
                    approver.employee_number,
                    approver.rule,
                    approver.source,
                ),
            )
            lines.setdefault(approver.employee_id, set()).update(approver.line_numbers)
    # Tasks already decided in this round are not run again (VISMA_RULES §2 r6).
    decided = set(
        Task.objects.filter(
            step_run=run,
            kind=TaskKind.APPROVAL,
            round=run.round,
            status=TaskStatus.COMPLETED,
        ).values_list("assignee_id", flat=True)
    )
    removed = [task for task in open_tasks if task.assignee_id not in wanted]
    tasks_cancel(
        tasks=removed,
        process=process,
        history=history,
        reason=f"no longer an approver after the edit by {editor}",
    )
    kept = [task for task in open_tasks if task.assignee_id in wanted]
    for task in kept:
        new_lines = sorted(lines[task.assignee_id])
        if [int(n) for n in task.line_numbers] != new_lines:
            history.record(
                "documents.task.lines",
                process=process,
                data={"task": task.pk, "before": task.line_numbers, "after": new_lines},
            )
            task.line_numbers = new_lines
            task.version += 1
            task.save(update_fields=["line_numbers", "version", "updated_at"])
    present = {task.assignee_id for task in kept} | decided
    added = [
        Task.objects.create(
            company_id=document.company_id,
            step_run=run,
            process=process,
            document=document,
            assignee_id=employee_id,
            status=TaskStatus.PLANNED,
            origin=TaskOrigin.WORKFLOW,
            kind=TaskKind.APPROVAL,
            round=run.round,
            line_numbers=sorted(lines[employee_id]),
            rule=rule[:30],
            source=source[:300],
            reapproval_reason=reapproval_reason[:300],
        )
        for employee_id, (_name, _number, rule, source) in wanted.items()
        if employee_id not in present
    ]
    history.record_many(
        "documents.task.create",
        process=process,
        items=(
            {
                "task": task.pk,
                "step": run.position,
                "assignee": f"{wanted[task.assignee_id][0]} "
                f"({wanted[task.assignee_id][1]})",
                "rule": task.rule,
                "source": task.source,
                "reapproval_reason": task.reapproval_reason,
            }
            for task in added
        ),
    )
    return _summary(run, step_plan, added=added, removed=removed, names=wanted)


def _summary(
    run: StepRun,
    step_plan: StepPlan,
    *,
    added: list[Task],
    removed: list[Task],
    names: Mapping[int, tuple[str, str, str, str]] | None = None,
) -> dict[str, object]:
    return {
        "step": run.position,
        "outcome": str(step_plan.outcome),
        "added": [f"{names[t.assignee_id][0]}" for t in added] if names else [],
        "removed": [t.assignee.name for t in removed],
    }
