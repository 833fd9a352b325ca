"""The approver pages: My tasks, a task and its actions, My history, Settings.

They are not under `/c/<company code>/`: one person's list spans all their companies,
and each task carries its own company.
"""

from django.urls import path

from documents.views import attachments, history, settings, task_detail, tasks

app_name = "documents"

urlpatterns = [
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/bulk-approve/", tasks.task_bulk_approve, name="task_bulk_approve"),
    path("tasks/<int:task_id>/", task_detail.task_detail, name="task_detail"),
    path(
        "tasks/<int:task_id>/approve/",
        task_detail.task_approve_view,
        name="task_approve",
    ),
    path(
        "tasks/<int:task_id>/reject/", task_detail.task_reject_view, name="task_reject"
    ),
    path(
        "tasks/<int:task_id>/comment/",
        task_detail.task_comment_view,
        name="task_comment",
    ),
    path(
        "tasks/<int:task_id>/forward/",
        task_detail.task_forward_view,
        name="task_forward",
    ),
    path(
        "tasks/<int:task_id>/request-review/",
        task_detail.task_request_review_view,
        name="task_request_review",
    ),
    path(
        "tasks/<int:task_id>/review/", task_detail.task_review_view, name="task_review"
    ),
    path(
        "tasks/<int:task_id>/postpone/",
        task_detail.task_postpone_view,
        name="task_postpone",
    ),
    path(
        "tasks/<int:task_id>/lines/",
        task_detail.task_decide_lines_view,
        name="task_decide_lines",
    ),
    path(
        "tasks/<int:task_id>/attachments/",
        task_detail.task_attachment_add_view,
        name="task_attachment_add",
    ),
    path("tasks/<int:task_id>/edit/", task_detail.task_edit, name="task_edit"),
    path(
        "attachments/<int:attachment_id>/",
        attachments.attachment_view,
        name="attachment",
    ),
    path("history/", history.history_list, name="history"),
    path("settings/", settings.settings_page, name="settings"),
    path(
        "settings/substitute/<slug:company_code>/",
        settings.substitute_set,
        name="substitute_set",
    ),
]
