"""What the administrator pages share: the company from the URL, links, the panel.

The pages live under `/c/<company code>/admin/`; `company_view` has already refused
everyone who neither administers nor views the company (404), so these helpers only
read what it left on the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from documents.choices import StepRunStatus, TaskStatus
from documents.models import Process, StepRun, Task
from documents.views.task_detail import _RULE_LABELS as RULE_LABELS
from documents.views.task_detail import PanelStep, PanelTask
from orgunits.models import Company, Employee
from workflows.engine import Plan, StepOutcome


def company_of(request: HttpRequest) -> Company:
    return request.company  # type: ignore[attr-defined, no-any-return]  # set by company_view


def can_act(request: HttpRequest) -> bool:
    """Administrators act; system viewers only read (no buttons, POSTs are 404)."""
    return bool(request.membership.is_system_admin)  # type: ignore[attr-defined]  # set by company_view


def page_context(request: HttpRequest, **values: Any) -> dict[str, Any]:
    return {"company": company_of(request), "can_act": can_act(request), **values}


def admin_url(request: HttpRequest, name: str, *args: int | str) -> str:
    """A URL of these pages in the request's company."""
    return reverse(f"documents_admin:{name}", args=[company_of(request).code, *args])


def list_link(url: str, base: Mapping[str, Any], **changes: Any) -> str:
    """`url` with the list's current filters and `changes` (None drops a key)."""
    params = {key: value for key, value in base.items() if value not in (None, "")}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode({k: str(v) for k, v in params.items()})
    return f"{url}?{query}" if query else url


def page_links(
    url: str, base: Mapping[str, Any], *, next_key: str | None, previous_key: str | None
) -> dict[str, str | None]:
    return {
        "next": list_link(url, base, after=next_key, before=None) if next_key else None,
        "previous": (
            list_link(url, base, before=previous_key, after=None)
            if previous_key
            else None
        ),
        "first": (
            list_link(url, base, after=None, before=None) if previous_key else None
        ),
    }


def rule_label(rule: str) -> str:
    return str(RULE_LABELS.get(rule, rule))


def process_panel(process: Process) -> list[PanelStep]:
    """Every step of a process with its people and their decisions (prefetched)."""
    decisions = {d.task_id: d for d in process.decisions.all() if d.task_id}
    return [
        PanelStep(
            step=step,
            tasks=[
                PanelTask(
                    task=task,
                    decision=decisions.get(task.pk),
                    is_this_task=False,
                    rule_label=rule_label(task.rule),
                )
                for task in step.tasks.all()
            ],
        )
        for step in process.step_runs.all()
    ]


_OUTCOME_STATUS = {
    StepOutcome.ROUTE: StepRunStatus.PLANNED,
    StepOutcome.FOUR_EYES: StepRunStatus.PLANNED,
    StepOutcome.BLOCKED: StepRunStatus.PLANNED,
    StepOutcome.SKIPPED: StepRunStatus.SKIPPED,
    StepOutcome.AUTO_APPROVED: StepRunStatus.COMPLETED,
}


def plan_panel(plan: Plan) -> list[PanelStep]:
    """A resolved (not yet saved) plan in the shape of the workflow panel.

    Unsaved step and task rows, so the preview is drawn by the same partial as the
    panel of a running process and reads the same.
    """
    steps: list[PanelStep] = []
    for planned in plan.steps:
        step = StepRun(
            position=planned.position,
            name=planned.name,
            status=_OUTCOME_STATUS[planned.outcome],
            reasons=list(planned.reasons),
        )
        people: Iterable = planned.approvers
        if planned.auto_approved_by is not None:
            people = [planned.auto_approved_by]
        tasks = [
            PanelTask(
                task=Task(
                    assignee=Employee(
                        pk=approver.employee_id, name=approver.employee_name
                    ),
                    status=TaskStatus.PLANNED,
                    rule=approver.rule,
                    source=approver.source,
                ),
                decision=None,
                is_this_task=False,
                rule_label=rule_label(approver.rule),
            )
            for approver in people
        ]
        steps.append(PanelStep(step=step, tasks=tasks))
    return steps
