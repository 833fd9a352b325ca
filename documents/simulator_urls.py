"""Simulator pages that read real documents, under `/c/<company code>/simulator/`."""

from django.urls import path

from documents import simulator_views as views

app_name = "documents_simulator"

urlpatterns = [
    path("documents/", views.document_pick, name="pick"),
    path("documents/<int:document_id>/", views.document_simulate, name="document"),
    path(
        "documents/<int:document_id>.json",
        views.document_simulate_api,
        name="document_api",
    ),
    path("workflows/<int:workflow_id>/replay/", views.workflow_replay, name="replay"),
]
