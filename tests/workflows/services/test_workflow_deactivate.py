"""workflow_deactivate: no active workflow for the type afterwards; versions stay."""

import re

import pytest

from core.exceptions import InvalidTransition
from tests.workflows.services.conftest import Setup
from workflows.models import WorkflowChange, WorkflowVersion
from workflows.selectors import active_version_get
from workflows.services import workflow_activate, workflow_deactivate


def test_deactivates_and_logs(setup: Setup) -> None:
    workflow = setup.draft()
    workflow_activate(workflow=workflow, actor=setup.admin, comment="Live")

    result = workflow_deactivate(workflow=workflow, actor=setup.admin, comment="Pause")

    assert result.is_active is False
    assert WorkflowVersion.objects.filter(workflow=workflow).count() == 1
    assert (
        active_version_get(
            company_id=setup.company.pk, document_type="purchase_invoice"
        )
        is None
    )
    change = WorkflowChange.objects.filter(workflow=workflow).first()
    assert change is not None
    assert (change.action, change.comment) == (
        WorkflowChange.Action.DEACTIVATED,
        "Pause",
    )


def test_refuses_an_inactive_workflow(setup: Setup) -> None:
    with pytest.raises(InvalidTransition, match=re.escape('"Invoices" is not active.')):
        workflow_deactivate(workflow=setup.draft(), actor=setup.admin, comment="x")
