"""The approver pages (documents.urls): My tasks, a task and its actions, attachments,
My history, Settings.

A task is seen by the people with a part in its document (the approver) and by the
company's overseers (viewer, administrator), who only read: acting needs an employee of
one's own in the company (403). Everyone else gets 404, as for a task that does not exist.
"""

from __future__ import annotations

from tests.authz.matrix import (
    ALLOW,
    POST,
    READ_ONLY,
    REFUSED,
    SIGNED_IN,
    Page,
    expect,
)

GET_POST = ("GET", POST)

#: The task page and its attachment: its document's people and the overseers.
TASK_READERS = expect(approver=ALLOW, viewer=ALLOW, admin=ALLOW)
#: An action on the task: the approver acts; the overseers are refused (403).
TASK_ACTION = expect(approver=ALLOW, viewer=READ_ONLY, admin=READ_ONLY)


def _task(w):  # type: ignore[no-untyped-def]  # World, imported lazily by the conftest
    return {"task_id": w.task.pk}


ACTIONS = [
    "documents:task_approve",
    "documents:task_reject",
    "documents:task_comment",
    "documents:task_forward",
    "documents:task_request_review",
    "documents:task_review",
    "documents:task_postpone",
    "documents:task_decide_lines",
    "documents:task_attachment_add",
]

PAGES = [
    Page("documents:task_list", expected=SIGNED_IN),
    # Empty selection: everyone is sent back to their own list; only their tasks count.
    Page("documents:task_bulk_approve", expected=SIGNED_IN, methods=GET_POST),
    Page("documents:task_detail", _task, TASK_READERS),
    *(Page(name, _task, TASK_ACTION, methods=(POST,)) for name in ACTIONS),
    # The step allows editing: the approver edits; overseers may not even see the form.
    Page(
        "documents:task_edit",
        _task,
        expect(approver=ALLOW, viewer=REFUSED, admin=REFUSED),
        methods=GET_POST,
    ),
    Page(
        "documents:attachment",
        lambda w: {"attachment_id": w.attachment.pk},
        TASK_READERS,
    ),
    Page("documents:history", expected=SIGNED_IN),
    Page("documents:settings", expected=SIGNED_IN, methods=GET_POST),
    # One's own substitute in a company where one is an employee.
    Page(
        "documents:substitute_set",
        lambda w: {"company_code": w.company.code},
        expect(approver=ALLOW, other_approver=ALLOW),
        methods=(POST,),
    ),
]
