"""Workflow pages under `/c/<company code>/workflows/` (see `workflows.views`)."""

from django.urls import path

from workflows import views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("new/", views.workflow_create, name="create"),
    path("changes/", views.workflow_changes, name="changes"),
    path("limits/", views.limit_list, name="limits"),
    path("limits/new/", views.limit_edit, name="limit_create"),
    path("limits/<int:pk>/", views.limit_edit, name="limit_edit"),
    path("simulate.json", views.workflow_simulate_api, name="simulate_api"),
    path("<int:pk>/", views.workflow_detail, name="detail"),
    path("<int:pk>/edit/", views.workflow_edit, name="edit"),
    path("<int:pk>/duplicate/", views.workflow_duplicate, name="duplicate"),
    path("<int:pk>/activate/", views.workflow_activate, name="activate"),
    path("<int:pk>/deactivate/", views.workflow_deactivate, name="deactivate"),
    path("<int:pk>/delete/", views.workflow_delete, name="delete"),
    path("<int:pk>/changes/", views.workflow_changes, name="workflow_changes"),
    path("<int:pk>/simulate/", views.workflow_simulate, name="simulate"),
    path("<int:pk>/simulate/save/", views.workflow_simulate_save, name="simulate_save"),
]
