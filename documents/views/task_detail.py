"""A task: the document, its lines and attachments, the workflow, comments, history,
and the actions the person may take right now.

Which buttons show comes from `available_actions` only, intersected with the actions
these pages have forms for; the services check the same rule again under their locks,
so a button never offers what the service would refuse for lack of the right.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import ApplicationError
from documents import transitions as actions
from documents.choices import StepRunStatus, TaskKind, TaskStatus
from documents.forms import (
    ApproveForm,
    AttachmentForm,
    CommentForm,
    DecideLinesForm,
    DocumentEditForm,
    ForwardForm,
    PostponeForm,
    RejectForm,
    RequestReviewForm,
    ReviewForm,
)
from documents.models import Decision, HistoryEvent, Line, LineDecision, StepRun, Task
from documents.selectors import document_history_list, task_get_for_user
from documents.services import (
    attachment_add,
    comment_add,
    document_edit,
    task_approve,
    task_decide_lines,
    task_forward,
    task_postpone,
    task_reject,
    task_request_review,
    task_review,
)
from documents.transitions import available_actions
from documents.views.common import (
    HtmxHttpRequest,
    acting_employee,
    error_text,
    memberships_of,
    oversees,
    preference_for,
)
from documents.views.lists import next_task_for_user
from orgunits.models import Employee, UserPreference
from orgunits.selectors import approver_list, employee_list
from workflows.models import StepRuleKind

#: Every task action these pages offer a form for.
SUPPORTED_ACTIONS = frozenset(
    {
        actions.APPROVE,
        actions.REJECT,
        actions.COMMENT,
        actions.FORWARD,
        actions.REQUEST_REVIEW,
        actions.REVIEW,
        actions.POSTPONE,
        actions.EDIT,
        actions.ADD_ATTACHMENT,
        actions.DECIDE_LINES,
    }
)

#: Attachments the browser shows inside the page; anything else is a download.
INLINE_PDF = "application/pdf"
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_RULE_LABELS: Mapping[str, str] = {
    **{kind.value: kind.label for kind in StepRuleKind},
    "deputy": gettext_lazy("Deputy of the requester"),
    "auto_approval": gettext_lazy("Automatic approval"),
    "four_eyes": gettext_lazy("Four-eyes fallback"),
    "forward": gettext_lazy("Forwarded"),
    "review": gettext_lazy("Review request"),
}

_HISTORY_LABELS: Mapping[str, str] = {
    "documents.document.receive": gettext_lazy("Received from the ERP"),
    "documents.document.resubmit": gettext_lazy("Sent again by the ERP"),
    "documents.document.route": gettext_lazy("Workflow established"),
    "documents.document.block": gettext_lazy("Document blocked"),
    "documents.document.approve": gettext_lazy("Document approved"),
    "documents.document.reject": gettext_lazy("Document rejected"),
    "documents.document.cancel": gettext_lazy("Document cancelled"),
    "documents.document.edit": gettext_lazy("Header edited"),
    "documents.document.resend": gettext_lazy("Sent for approval again"),
    "documents.line.edit": gettext_lazy("Line edited"),
    "documents.process.approve": gettext_lazy("Approval finished"),
    "documents.process.block": gettext_lazy("Approval blocked"),
    "documents.process.recalculate": gettext_lazy("Later steps recalculated"),
    "documents.process.retry": gettext_lazy("Retried"),
    "documents.step.plan": gettext_lazy("Step planned"),
    "documents.step.activate": gettext_lazy("Step started"),
    "documents.step.complete": gettext_lazy("Step completed"),
    "documents.step.skip": gettext_lazy("Step skipped"),
    "documents.step.auto_approve": gettext_lazy("Step approved automatically"),
    "documents.step.reapprove": gettext_lazy("Step to approve again"),
    "documents.step.send_back": gettext_lazy("Sent back to an earlier step"),
    "documents.task.create": gettext_lazy("Task planned"),
    "documents.task.activate": gettext_lazy("Task started"),
    "documents.task.approve": gettext_lazy("Approved"),
    "documents.task.reject": gettext_lazy("Rejected"),
    "documents.task.cancel": gettext_lazy("Task cancelled"),
    "documents.task.block": gettext_lazy("Task blocked"),
    "documents.task.unblock": gettext_lazy("Task unblocked"),
    "documents.task.forward": gettext_lazy("Forwarded"),
    "documents.task.request_review": gettext_lazy("Review requested"),
    "documents.task.review": gettext_lazy("Reviewed"),
    "documents.task.review_return": gettext_lazy("Back from review"),
    "documents.task.postpone": gettext_lazy("Postponed"),
    "documents.task.reassign": gettext_lazy("Reassigned"),
    "documents.task.decide_lines": gettext_lazy("Lines decided"),
    "documents.task.lines": gettext_lazy("Lines changed"),
    "documents.comment.add": gettext_lazy("Comment"),
    "documents.attachment.add": gettext_lazy("Attachment added"),
}


def history_label(action: str) -> str:
    """A readable name for a history action; unknown ones read from their name."""
    known = _HISTORY_LABELS.get(action)
    if known is not None:
        return str(known)
    return " ".join(action.split(".")[1:]).replace("_", " ").capitalize()


def attachment_kind(content_type: str) -> str:
    """ "pdf", "image" or "file": how the page shows the attachment."""
    if content_type == INLINE_PDF:
        return "pdf"
    if content_type in INLINE_IMAGES:
        return "image"
    return "file"


# --- the page -------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelTask:
    """One person in a step of the workflow panel."""

    task: Task
    decision: Decision | None
    is_this_task: bool
    rule_label: str


@dataclass(frozen=True)
class PanelStep:
    step: StepRun
    tasks: list[PanelTask]

    @property
    def position_class(self) -> str:
        """past, current, planned or skipped: where the document stands (§1.9)."""
        if self.step.status == StepRunStatus.ACTIVE:
            return "current"
        if self.step.status == StepRunStatus.PLANNED:
            return "planned"
        if self.step.status == StepRunStatus.SKIPPED:
            return "skipped"
        return "past"


def _panel(task: Task) -> list[PanelStep]:
    """Past, current and planned steps of the task's process with their people."""
    decisions = {d.task_id: d for d in task.process.decisions.all()}
    steps = []
    for step in task.process.step_runs.all():
        people = [
            PanelTask(
                task=step_task,
                decision=decisions.get(step_task.pk),
                is_this_task=step_task.pk == task.pk,
                rule_label=str(_RULE_LABELS.get(step_task.rule, step_task.rule)),
            )
            for step_task in step.tasks.all()
        ]
        steps.append(PanelStep(step=step, tasks=people))
    return steps


def _forward_candidates(task: Task, employee: Employee) -> QuerySet[Employee]:
    return approver_list(
        company=task.company, document_type=task.document.document_type
    ).exclude(pk__in=[employee.pk, task.assignee_id])


def _review_candidates(task: Task, employee: Employee) -> QuerySet[Employee]:
    """Colleagues who can sign in to this company to answer (the service re-checks)."""
    return (
        employee_list(company=task.company)
        .filter(
            active=True,
            user__isnull=False,
            user__memberships__company=task.company,
        )
        .exclude(pk__in=[employee.pk, task.assignee_id])
    )


def _undecided_lines(task: Task) -> list[int]:
    decided = set(
        LineDecision.objects.filter(task=task).values_list("line_number", flat=True)
    )
    return [int(n) for n in task.line_numbers if int(n) not in decided]


def _forms(
    task: Task,
    employee: Employee | None,
    allowed: frozenset[str],
    bound: Mapping[str, forms.Form],
) -> dict[str, forms.Form]:
    """One form per action the person may take, bound ones (with errors) kept."""
    version = {"version": task.document.version}
    built: dict[str, forms.Form] = {}
    for action in allowed:
        if action in bound:
            built[action] = bound[action]
            continue
        if action == actions.APPROVE:
            built[action] = ApproveForm(initial=version)
        elif action == actions.REJECT:
            built[action] = RejectForm(initial=version)
        elif action == actions.COMMENT:
            built[action] = CommentForm()
        elif action == actions.REVIEW:
            built[action] = ReviewForm()
        elif action == actions.POSTPONE:
            built[action] = PostponeForm()
        elif action == actions.ADD_ATTACHMENT:
            built[action] = AttachmentForm()
        elif action == actions.FORWARD and employee is not None:
            built[action] = ForwardForm(
                initial=version, candidates=_forward_candidates(task, employee)
            )
        elif action == actions.REQUEST_REVIEW and employee is not None:
            built[action] = RequestReviewForm(
                initial=version, candidates=_review_candidates(task, employee)
            )
        elif action == actions.DECIDE_LINES:
            built[action] = DecideLinesForm(
                initial=version, line_numbers=_undecided_lines(task)
            )
    return built


def _render_task(
    request: HtmxHttpRequest,
    task: Task,
    employee: Employee | None,
    *,
    bound: Mapping[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    allowed = (
        available_actions(task=task, employee=employee, user=request.user)
        & SUPPORTED_ACTIONS
    )
    document = task.document
    own_lines = {int(n) for n in task.line_numbers}
    history: list[HistoryEvent] = list(document_history_list(document=document))
    acting_for = (
        task.assignee
        if employee is not None
        and task.assignee_id != employee.pk
        and bool(getattr(task, "via_substitution", False))
        and allowed
        else None
    )
    return render(
        request,
        "documents/task_detail.html",
        {
            "task": task,
            "document": document,
            "lines": document.lines.all(),
            "own_lines": own_lines,
            "attachments": [
                (attachment, attachment_kind(attachment.content_type))
                for attachment in document.attachments.all()
            ],
            "panel": _panel(task),
            "comments": document.comments.all(),
            "history": [(event, history_label(event.action)) for event in history],
            "show_why": oversees(memberships_of(request), task.company_id),
            "allowed": allowed,
            "forms": _forms(task, employee, allowed, bound or {}),
            "acting_for": acting_for,
            "is_review": task.kind == TaskKind.REVIEW,
            "overdue": task.is_overdue,
        },
        status=status,
    )


@require_GET
@login_required
def task_detail(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    """The task page; 404 unless the person may see the task."""
    task = task_get_for_user(user=request.user, task_id=task_id)
    employee = acting_employee(user=request.user, company_id=task.company_id)
    return _render_task(request, task, employee)


# --- actions --------------------------------------------------------------------------


def _after_action(request: HtmxHttpRequest, task: Task) -> HttpResponse:
    """The next task in My tasks, or the list, per the person's preference."""
    preference = preference_for(request.user)
    if preference.after_action == UserPreference.AfterAction.NEXT:
        following = next_task_for_user(user=request.user, after=task)
        if following is not None:
            return redirect("documents:task_detail", task_id=following.pk)
    return redirect("documents:task_list")


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put the service's field errors next to the form's fields, the rest on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_errors in error.message_dict.items():
        target = field if field in form.fields else None
        for message in field_errors:
            form.add_error(target, message)


FormFactory = Callable[[Task, Employee], forms.Form]
Runner = Callable[[Task, Employee, dict[str, Any]], Task | object]


def _act(
    request: HtmxHttpRequest,
    task_id: int,
    *,
    action: str,
    make_form: FormFactory,
    run: Runner,
    done: str,
    handles_task: Callable[[object], bool] = lambda result: False,
) -> HttpResponse:
    """Parse the action's form, call its service, then show the outcome.

    404 when the task is not the person's to see; 403 without an employee of their
    own in the task's company (a viewer or an administrator who only oversees). A
    refusal of the service (stale page, task already decided...) is shown as a
    message on the reloaded task page and changes nothing.
    """
    task = task_get_for_user(user=request.user, task_id=task_id)
    employee = acting_employee(user=request.user, company_id=task.company_id)
    if employee is None:
        raise PermissionDenied("You cannot act on tasks in this company.")
    form = make_form(task, employee)
    if not form.is_valid():
        return _render_task(request, task, employee, bound={action: form}, status=400)
    try:
        result = run(task, employee, form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, error_text(error))
        return redirect("documents:task_detail", task_id=task.pk)
    except ValidationError as error:
        _add_service_errors(form, error)
        return _render_task(request, task, employee, bound={action: form}, status=400)
    messages.success(request, done)
    if handles_task(result):
        return _after_action(request, task)
    return redirect("documents:task_detail", task_id=task.pk)


def _always(result: object) -> bool:
    return True


def _task_closed(result: object) -> bool:
    return isinstance(result, Task) and result.status != TaskStatus.ACTIVE


@require_POST
@login_required
def task_approve_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.APPROVE,
        make_form=lambda task, employee: ApproveForm(request.POST),
        run=lambda task, employee, data: task_approve(
            task_id=task.pk,
            employee=employee,
            user=request.user,
            expected_version=data["version"],
            comment=data["comment"],
        ),
        done=_("Approved."),
        handles_task=_always,
    )


@require_POST
@login_required
def task_reject_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.REJECT,
        make_form=lambda task, employee: RejectForm(request.POST),
        run=lambda task, employee, data: task_reject(
            task_id=task.pk,
            employee=employee,
            user=request.user,
            expected_version=data["version"],
            comment=data["comment"],
        ),
        done=_("Rejected. The document goes back to the ERP."),
        handles_task=_always,
    )


@require_POST
@login_required
def task_comment_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.COMMENT,
        make_form=lambda task, employee: CommentForm(request.POST),
        run=lambda task, employee, data: comment_add(
            document_id=task.document_id,
            author_employee=employee,
            user=request.user,
            text=data["text"],
        ),
        done=_("Comment posted."),
    )


@require_POST
@login_required
def task_forward_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.FORWARD,
        make_form=lambda task, employee: ForwardForm(
            request.POST, candidates=_forward_candidates(task, employee)
        ),
        run=lambda task, employee, data: task_forward(
            task_id=task.pk,
            employee=employee,
            user=request.user,
            expected_version=data["version"],
            to_employee=data["to_employee"],
            comment=data["comment"],
        ),
        done=_("Forwarded."),
        handles_task=_always,
    )


@require_POST
@login_required
def task_request_review_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.REQUEST_REVIEW,
        make_form=lambda task, employee: RequestReviewForm(
            request.POST, candidates=_review_candidates(task, employee)
        ),
        run=lambda task, employee, data: task_request_review(
            task_id=task.pk,
            employee=employee,
            user=request.user,
            expected_version=data["version"],
            reviewer=data["reviewer"],
            comment=data["comment"],
        ),
        done=_("Review requested. The task comes back to you once it is answered."),
        handles_task=_always,
    )


@require_POST
@login_required
def task_review_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.REVIEW,
        make_form=lambda task, employee: ReviewForm(request.POST),
        run=lambda task, employee, data: task_review(
            task_id=task.pk,
            employee=employee,
            user=request.user,
            comment=data["comment"],
        ),
        done=_("Review sent."),
        handles_task=_always,
    )


@require_POST
@login_required
def task_postpone_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.POSTPONE,
        make_form=lambda task, employee: PostponeForm(request.POST),
        run=lambda task, employee, data: task_postpone(
            task_id=task.pk,
            employee=employee,
            user=request.user,
            until=data["until"],
        ),
        done=_("Postponed: no reminders until the new due date."),
    )


@require_POST
@login_required
def task_decide_lines_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    return _act(
        request,
        task_id,
        action=actions.DECIDE_LINES,
        make_form=lambda task, employee: DecideLinesForm(
            request.POST, line_numbers=[int(n) for n in task.line_numbers]
        ),
        run=lambda task, employee, data: task_decide_lines(
            task_id=task.pk,
            employee=employee,
            user=request.user,
            expected_version=data["version"],
            approve=data["approve"],
            reject=data["reject"],
            comment=data["comment"],
        ),
        done=_("Line decisions saved."),
        handles_task=_task_closed,
    )


@require_POST
@login_required
def task_attachment_add_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    def run(task: Task, employee: Employee, data: dict[str, Any]) -> object:
        upload = data["file"]
        return attachment_add(
            document_id=task.document_id,
            employee_or_none=employee,
            user=request.user,
            file=upload,
            filename=upload.name or "",
            content_type=upload.content_type or "",
        )

    return _act(
        request,
        task_id,
        action=actions.ADD_ATTACHMENT,
        make_form=lambda task, employee: AttachmentForm(request.POST, request.FILES),
        run=run,
        done=_("Attachment added."),
    )


# --- editing ----------------------------------------------------------------------------


def _editable_lines(task: Task) -> list[Line]:
    """The approver's own lines; every line when the task names none (service rule)."""
    own = {int(n) for n in task.line_numbers}
    lines = list(task.document.lines.all())
    return [line for line in lines if line.line_number in own] if own else lines


@require_http_methods(["GET", "POST"])
@login_required
def task_edit(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    """Edit the header and the approver's lines, when the step allows editing."""
    task = task_get_for_user(user=request.user, task_id=task_id)
    employee = acting_employee(user=request.user, company_id=task.company_id)
    allowed = available_actions(task=task, employee=employee, user=request.user)
    if employee is None or actions.EDIT not in allowed:
        if request.method == "POST":
            raise PermissionDenied("You cannot edit this document now.")
        raise Http404("Nothing to edit.")
    lines = _editable_lines(task)
    if request.method == "GET":
        form = DocumentEditForm(
            initial={"version": task.document.version},
            document=task.document,
            lines=lines,
        )
        return _render_edit(request, task, form)
    form = DocumentEditForm(request.POST, document=task.document, lines=lines)
    if not form.is_valid():
        return _render_edit(request, task, form, status=400)
    try:
        document_edit(
            document_id=task.document_id,
            employee=employee,
            user=request.user,
            expected_version=form.cleaned_data["version"],
            header=form.header_values(),
            lines=form.line_values(),
        )
    except ApplicationError as error:
        messages.error(request, error_text(error))
        return redirect("documents:task_detail", task_id=task.pk)
    except ValidationError as error:
        _add_service_errors(form, error)
        return _render_edit(request, task, form, status=400)
    messages.success(request, _("Changes saved."))
    return redirect("documents:task_detail", task_id=task.pk)


def _render_edit(
    request: HtmxHttpRequest,
    task: Task,
    form: DocumentEditForm,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "documents/task_edit.html",
        {
            "task": task,
            "document": task.document,
            "form": form,
            "cancel_url": reverse("documents:task_detail", args=[task.pk]),
        },
        status=status,
    )
