"""workflow_create: an inactive draft, with or without steps, and a change-log row."""

import dataclasses

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import ApplicationError
from tests.workflows.services.conftest import Setup
from workflows.models import Workflow, WorkflowChange
from workflows.services import workflow_create


def test_creates_an_inactive_draft_with_its_steps_and_logs_it(setup: Setup) -> None:
    workflow = setup.draft()

    assert workflow.is_active is False
    assert workflow.created_by == setup.admin
    assert setup.current(workflow) == setup.definition()
    change = WorkflowChange.objects.get(workflow=workflow)
    assert change.action == WorkflowChange.Action.CREATED
    assert change.actor == setup.admin
    assert change.comment == "New workflow"
    assert change.diff == [
        'Workflow "Invoices" (purchase_invoice)',
        'Step 1 "Approver" added: condition always, rules named Alice (A1), '
        "completion any, mandatory",
        'Step 2 "Controller" added: condition above "Big", rules department '
        "(Department manager), completion any, mandatory",
    ]


def test_creates_an_empty_draft(setup: Setup) -> None:
    workflow = workflow_create(
        company=setup.company,
        document_type="time_sheet",
        name="Time sheets",
        actor=setup.admin,
        comment="Start",
    )
    assert workflow.steps.count() == 0
    assert workflow.document_type == "time_sheet"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"comment": " "}, ApplicationError, "Describe the change in a comment."),
        ({"document_type": "order"}, ApplicationError, "Unknown document type"),
        ({"name": "Invoices"}, ValidationError, "already exists"),
    ],
)
def test_refuses(
    setup: Setup, kwargs: dict[str, str], error: type[Exception], message: str
) -> None:
    setup.draft()
    arguments = {
        "company": setup.company,
        "document_type": "purchase_invoice",
        "name": "Other",
        "actor": setup.admin,
        "comment": "Why",
        **kwargs,
    }
    with pytest.raises(error, match=message):
        workflow_create(**arguments)  # type: ignore[arg-type]  # a table of kwargs
    assert Workflow.objects.count() == 1


def test_refuses_a_definition_of_another_document_type(setup: Setup) -> None:
    wrong = dataclasses.replace(setup.definition(), document_type="expense_claim")
    with pytest.raises(ApplicationError, match="document type cannot change"):
        workflow_create(
            company=setup.company,
            document_type="purchase_invoice",
            name="X",
            actor=setup.admin,
            comment="Why",
            definition=wrong,
        )
