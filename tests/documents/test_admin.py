"""The admin shows documents data and changes none of it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from documents.models import Comment, HistoryEvent
from tests.documents.conftest import person, received_and_routed
from tests.factories.documents import CommentFactory, publish_workflow
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

MODELS = list(apps.get_app_config("documents").get_models())


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_is_registered_read_only(model, admin_user) -> None:
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelists_render(model, admin_client, company) -> None:
    publish_workflow(company, step(rules=(named(person(company, "Anna")),)))
    received_and_routed(company)
    url = reverse(f"admin:documents_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("model", [HistoryEvent, Comment], ids=lambda m: m.__name__)
def test_history_and_comments_cannot_be_changed_or_deleted(
    model, admin_client, company
) -> None:
    document = received_and_routed(company)
    CommentFactory(document=document)
    row = model.objects.filter(document=document).first()
    change = reverse(f"admin:documents_{model._meta.model_name}_change", args=[row.pk])
    delete = reverse(f"admin:documents_{model._meta.model_name}_delete", args=[row.pk])

    page = admin_client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert admin_client.post(change, {}).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
