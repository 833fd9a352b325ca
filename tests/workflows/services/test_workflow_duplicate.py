"""workflow_duplicate: an inactive copy with the same steps, rules and people."""

from tests.factories.workflows import person
from tests.workflows.services.conftest import Setup
from workflows.models import Workflow, WorkflowChange
from workflows.services import workflow_activate, workflow_duplicate


def test_copies_an_active_workflow_into_an_inactive_draft(setup: Setup) -> None:
    source = setup.draft(
        four_eyes_enabled=True,
        four_eyes_people=(person(setup.bob), person(setup.carol)),
        skip_when_already_approved=True,
    )
    workflow_activate(workflow=source, actor=setup.admin, comment="Live")

    copy = workflow_duplicate(workflow=source, actor=setup.admin, comment="To edit")

    assert copy.pk != source.pk
    assert copy.is_active is False
    assert copy.name == "Invoices (copy)"
    assert setup.current(copy).steps == setup.current(source).steps
    assert list(copy.four_eyes_people.all()) == [setup.bob, setup.carol]
    assert copy.skip_when_already_approved is True
    change = WorkflowChange.objects.filter(workflow=copy).get()
    assert change.action == WorkflowChange.Action.DUPLICATED
    assert change.diff[:2] == [
        'Copied from "Invoices"',
        'Workflow "Invoices (copy)" (purchase_invoice)',
    ]
    assert Workflow.objects.get(pk=source.pk).is_active is True


def test_copy_names_do_not_collide(setup: Setup) -> None:
    source = setup.draft()
    names = [
        workflow_duplicate(workflow=source, actor=setup.admin, comment="c").name
        for _ in range(3)
    ]
    assert names == ["Invoices (copy)", "Invoices (copy 2)", "Invoices (copy 3)"]
    named = workflow_duplicate(
        workflow=source, actor=setup.admin, comment="c", name="Invoices 2027"
    )
    assert named.name == "Invoices 2027"
