"""The workflows admin: every page loads for a superuser, and nothing can be changed."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from tests.factories.orgunits import UserFactory
from tests.factories.workflows import (
    LimitFactory,
    StepFactory,
    StepRuleFactory,
    WorkflowChangeFactory,
    WorkflowFactory,
    WorkflowVersionFactory,
)
from workflows.models import (
    Limit,
    Step,
    Workflow,
    WorkflowChange,
    WorkflowVersion,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows() -> dict[type[Model], Model]:
    workflow = WorkflowFactory()
    step = StepFactory(workflow=workflow)
    StepRuleFactory(step=step)
    return {
        Workflow: workflow,
        Step: step,
        Limit: LimitFactory(company=workflow.company, amounts={"EUR": 5}),
        WorkflowVersion: WorkflowVersionFactory(workflow=workflow),
        WorkflowChange: WorkflowChangeFactory(workflow=workflow, diff=["<b>x</b>"]),
    }


@pytest.mark.parametrize(
    "model", [Workflow, Step, Limit, WorkflowVersion, WorkflowChange]
)
def test_pages_load_read_only(
    client: Client, rows: dict[type[Model], Model], model: type[Model]
) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    detail = reverse(
        f"admin:{meta.app_label}_{meta.model_name}_change", args=[rows[model].pk]
    )

    assert client.get(changelist).status_code == 200
    page = client.get(detail)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    model_admin = admin.site._registry[model]
    request = page.wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, rows[model])
    assert not model_admin.has_delete_permission(request, rows[model])


def test_the_diff_is_escaped(client: Client, rows: dict[type[Model], Model]) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = rows[WorkflowChange]
    page = client.get(
        reverse("admin:workflows_workflowchange_change", args=[change.pk])
    )
    assert b"<li>&lt;b&gt;x&lt;/b&gt;</li>" in page.content
