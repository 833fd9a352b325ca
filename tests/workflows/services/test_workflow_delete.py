"""workflow_delete: inactive workflows only; the change log survives the workflow."""

import pytest
from django.db.models import ProtectedError

from core.exceptions import ApplicationError, InvalidTransition
from tests.workflows.services.conftest import Setup
from workflows.models import Step, Workflow, WorkflowChange, WorkflowVersion
from workflows.services import workflow_activate, workflow_delete


def test_deletes_an_unused_workflow_and_keeps_its_change_log(setup: Setup) -> None:
    workflow = setup.draft()
    other = setup.draft("Other")
    workflow_activate(workflow=workflow, actor=setup.admin, comment="Live")
    workflow_activate(workflow=other, actor=setup.admin, comment="Replace")

    workflow_delete(workflow=workflow, actor=setup.admin, comment="Obsolete")

    assert not Workflow.objects.filter(pk=workflow.pk).exists()
    assert not Step.objects.filter(workflow_id=workflow.pk).exists()
    assert not WorkflowVersion.objects.filter(workflow_id=workflow.pk).exists()
    log = WorkflowChange.objects.filter(workflow_name="Invoices", workflow=None)
    assert [c.action for c in log] == [
        WorkflowChange.Action.DELETED,
        WorkflowChange.Action.DEACTIVATED,
        WorkflowChange.Action.ACTIVATED,
        WorkflowChange.Action.CREATED,
    ]
    assert log[0].comment == "Obsolete"
    assert log[0].diff == ['Deleted "Invoices"']


def test_refuses_the_active_workflow(setup: Setup) -> None:
    workflow = setup.draft()
    workflow_activate(workflow=workflow, actor=setup.admin, comment="Live")
    with pytest.raises(InvalidTransition, match="is active"):
        workflow_delete(workflow=workflow, actor=setup.admin, comment="Oops")
    assert Workflow.objects.filter(pk=workflow.pk).exists()
    assert not WorkflowChange.objects.filter(
        action=WorkflowChange.Action.DELETED
    ).exists()


def test_refuses_while_a_version_is_pinned_by_a_process(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documents app protects pinned versions; the service turns that into a
    clear error and keeps the workflow and its log as they were."""
    workflow = setup.draft()
    version = workflow_activate(workflow=workflow, actor=setup.admin, comment="Live")
    workflow_activate(workflow=setup.draft("Next"), actor=setup.admin, comment="Next")

    def protected(self: Workflow, *args: object, **kwargs: object) -> None:
        raise ProtectedError("pinned by a process", {version})

    monkeypatch.setattr(Workflow, "delete", protected)
    with pytest.raises(
        ApplicationError, match="documents in flight still use"
    ) as raised:
        workflow_delete(workflow=workflow, actor=setup.admin, comment="Try")
    assert raised.value.extra == {"protected": 1}
    assert not WorkflowChange.objects.filter(
        action=WorkflowChange.Action.DELETED
    ).exists()
