"""The ERP API under /api/v1/ (ERP_API.md). New endpoints go above the catch-all."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from erp_sync.api import document_attachments, document_submit, documents, views

app_name = "erp_api"

urlpatterns = [
    path("oauth/token", views.AccessTokenIssueApi.as_view(), name="oauth-token"),
    path(
        "sync/subaccount-segments",
        views.SubaccountSegmentSyncApi.as_view(),
        name="sync-subaccount-segments",
    ),
    path(
        "sync/subaccounts", views.SubaccountSyncApi.as_view(), name="sync-subaccounts"
    ),
    path(
        "sync/departments", views.DepartmentSyncApi.as_view(), name="sync-departments"
    ),
    path("sync/projects", views.ProjectSyncApi.as_view(), name="sync-projects"),
    path("sync/branches", views.BranchSyncApi.as_view(), name="sync-branches"),
    path("sync/employees", views.EmployeeSyncApi.as_view(), name="sync-employees"),
    path(
        "documents/supplier-invoices",
        document_submit.SupplierInvoiceSubmitApi.as_view(),
        name="document-submit-supplier-invoice",
    ),
    path(
        "documents/expense-claims",
        document_submit.ExpenseClaimSubmitApi.as_view(),
        name="document-submit-expense-claim",
    ),
    path(
        "documents/time-cards",
        document_submit.TimeCardSubmitApi.as_view(),
        name="document-submit-time-card",
    ),
    path("documents", documents.DocumentListApi.as_view(), name="document-list"),
    path(
        "documents/<uuid:document_id>",
        documents.DocumentDetailApi.as_view(),
        name="document-detail",
    ),
    path(
        "documents/<uuid:document_id>/history",
        documents.DocumentHistoryApi.as_view(),
        name="document-history",
    ),
    path(
        "documents/<uuid:document_id>/cancel",
        documents.DocumentCancelApi.as_view(),
        name="document-cancel",
    ),
    path(
        "documents/<uuid:document_id>/attachments",
        document_attachments.DocumentAttachmentsApi.as_view(),
        name="document-attachments",
    ),
    path(
        "documents/<uuid:document_id>/attachments/<int:attachment_id>",
        document_attachments.DocumentAttachmentDownloadApi.as_view(),
        name="document-attachment",
    ),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs", SpectacularSwaggerView.as_view(url_name="erp_api:schema"), name="docs"
    ),
    # Last: any other path under /api/v1/ is a problem+json 404, not the HTML page.
    re_path(r"^.*$", views.ApiRouteNotFoundApi.as_view(), name="not-found"),
]
