"""Administrator pages under `/c/<company code>/admin/`: documents, tasks, processes."""

from django.urls import path

from documents.views import admin_documents, admin_processes, admin_tasks

app_name = "documents_admin"

urlpatterns = [
    path("documents/", admin_documents.document_overview, name="document_list"),
    path("documents/bulk/", admin_documents.document_bulk, name="document_bulk"),
    path(
        "documents/<int:document_id>/",
        admin_documents.document_detail,
        name="document_detail",
    ),
    path(
        "documents/<int:document_id>/resend/",
        admin_documents.document_resend,
        name="document_resend",
    ),
    path(
        "documents/<int:document_id>/<slug:action_slug>/",
        admin_documents.document_action,
        name="document_action",
    ),
    path("tasks/", admin_tasks.task_overview, name="task_list"),
    path("tasks/reassign/", admin_tasks.task_reassign, name="task_reassign"),
    path("processes/", admin_processes.process_overview, name="process_list"),
]
