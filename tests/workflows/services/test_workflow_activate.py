"""workflow_activate: validate, publish an immutable version, replace the active one."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from core.exceptions import ApplicationError, InvalidTransition
from tests.factories.workflows import named, person, step
from tests.workflows.conftest import routing_facts
from tests.workflows.services.conftest import Setup
from workflows.definition import PersonRef, RuleDefinition, WorkflowDefinition
from workflows.engine import plan_for_version
from workflows.models import Workflow, WorkflowChange, WorkflowVersion
from workflows.selectors import active_version_get
from workflows.services import (
    workflow_activate,
    workflow_duplicate,
    workflow_save_definition,
)


def test_publishes_version_1_and_makes_it_the_active_one(setup: Setup) -> None:
    workflow = setup.draft()

    version = workflow_activate(workflow=workflow, actor=setup.admin, comment="Go live")

    workflow.refresh_from_db()
    assert workflow.is_active is True
    assert workflow.activated_at == version.published_at
    assert (version.number, version.document_type) == (1, "purchase_invoice")
    assert (version.published_by, version.comment) == (setup.admin, "Go live")
    assert WorkflowDefinition.from_dict(version.definition) == setup.definition()
    assert (
        active_version_get(
            company_id=setup.company.pk, document_type="purchase_invoice"
        )
        == version
    )
    change = WorkflowChange.objects.filter(workflow=workflow).first()
    assert change is not None
    assert change.action == WorkflowChange.Action.ACTIVATED
    assert change.version == version
    assert change.diff[0] == "Published version 1"


def test_replaces_the_active_workflow_of_the_same_type_atomically(setup: Setup) -> None:
    old = setup.draft("Old")
    workflow_activate(workflow=old, actor=setup.admin, comment="First")
    new = workflow_duplicate(
        workflow=old, actor=setup.admin, comment="Copy", name="New"
    )
    edited = dataclasses.replace(
        setup.current(new), steps=(step(name="Only", rules=(named(setup.bob),)),)
    )
    new = workflow_save_definition(
        workflow=new, definition=edited, actor=setup.admin, comment="One step"
    )
    other_type = setup.draft("Claims", document_type="expense_claim")
    workflow_activate(workflow=other_type, actor=setup.admin, comment="Claims")

    version = workflow_activate(workflow=new, actor=setup.admin, comment="Switch")

    active = Workflow.objects.filter(company=setup.company, is_active=True)
    assert {(w.name, w.document_type) for w in active} == {
        ("New", "purchase_invoice"),
        ("Claims", "expense_claim"),
    }
    assert version.number == 1
    published = WorkflowChange.objects.filter(workflow=new).first()
    assert published is not None
    assert published.diff == [
        "Published version 1",
        'Replaces "Old"',
        'Name: "Old" → "New"',
        'Step 1 "Only": name "Approver" → "Only"',
        'Step 1 "Only": rules named Alice (A1) → named Bob (B2)',
        'Step 2 "Controller" removed',
    ]
    deactivated = WorkflowChange.objects.filter(workflow=old).first()
    assert deactivated is not None
    assert deactivated.action == WorkflowChange.Action.DEACTIVATED
    assert deactivated.diff == ['Replaced by "New"']


def test_a_published_version_never_changes(setup: Setup) -> None:
    """Editing (through a copy) and re-activating leaves the pinned version as it was."""
    workflow = setup.draft()
    first = workflow_activate(workflow=workflow, actor=setup.admin, comment="v1")
    snapshot = dict(first.definition)
    facts = routing_facts(setup.company, requester=None)
    routed_before = plan_for_version(facts, first)

    copy = workflow_duplicate(workflow=workflow, actor=setup.admin, comment="Copy")
    workflow_save_definition(
        workflow=copy,
        definition=dataclasses.replace(
            setup.current(copy), steps=(step(rules=(named(setup.carol),)),)
        ),
        actor=setup.admin,
        comment="Carol instead",
    )
    workflow_activate(workflow=copy, actor=setup.admin, comment="v2")
    setup.alice.name = "Alice Renamed"
    setup.alice.save(update_fields=["name"])

    first.refresh_from_db()
    assert first.definition == snapshot
    assert plan_for_version(facts, first).steps[0].approvers[0].employee_id == (
        routed_before.steps[0].approvers[0].employee_id
    )
    assert WorkflowVersion.objects.filter(workflow=workflow).count() == 1


def test_reactivating_publishes_the_next_version_number(setup: Setup) -> None:
    workflow = setup.draft()
    workflow_activate(workflow=workflow, actor=setup.admin, comment="v1")
    other = setup.draft("Other")
    workflow_activate(workflow=other, actor=setup.admin, comment="other")
    again = workflow_activate(workflow=workflow, actor=setup.admin, comment="back")
    assert again.number == 2
    change = WorkflowChange.objects.filter(workflow=workflow).first()
    assert change is not None
    assert change.diff[:2] == ["Published version 2", 'Replaces "Other"']


def _missing() -> PersonRef:
    return PersonRef(employee_id=10**9, number="GONE", name="Gone")


ACTIVATION_PROBLEMS = [
    (lambda s: dataclasses.replace(s.definition(), steps=()), "The workflow has no steps."),
    (
        lambda s: dataclasses.replace(
            s.definition(), four_eyes_enabled=True, four_eyes_people=(person(s.bob),)
        ),
        "4-eyes approval needs at least two fallback people.",
    ),
    (
        lambda s: dataclasses.replace(
            s.definition(), steps=(step(name="Empty", rules=(RuleDefinition(kind="named"),)),)
        ),
        'Step 1 "Empty": a named-approver rule needs at least one approver.',
    ),
    (
        lambda s: dataclasses.replace(s.definition(), steps=(step(name="None"),)),
        'Step 1 "None": the step has no approver rule.',
    ),
    (
        lambda s: dataclasses.replace(
            s.definition(),
            steps=(step(name="N", completion_policy="at_least", required_count=0, rules=(named(s.bob),)),),
        ),
        "“at least N” needs N of 1 or more.",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("build", "problem"), ACTIVATION_PROBLEMS)
def test_refuses_an_unfit_definition(
    setup: Setup, build: Callable[[Setup], WorkflowDefinition], problem: str
) -> None:
    workflow = setup.draft()
    definition = build(setup)
    if definition.steps and definition.steps[0].required_count == 0:
        # The database refuses N = 0 outright; only a definition could carry it.
        with pytest.raises(ApplicationError, match=problem):
            workflow_save_definition(
                workflow=workflow, definition=definition, actor=setup.admin, comment="x"
            )
        return
    workflow_save_definition(
        workflow=workflow, definition=definition, actor=setup.admin, comment="x"
    )
    with pytest.raises(ApplicationError) as raised:
        workflow_activate(workflow=workflow, actor=setup.admin, comment="Go")
    assert problem in raised.value.extra["problems"]
    workflow.refresh_from_db()
    assert workflow.is_active is False
    assert not WorkflowVersion.objects.exists()


def test_refuses_inactive_named_people(setup: Setup) -> None:
    workflow = setup.draft()
    setup.alice.active = False
    setup.alice.save(update_fields=["active"])
    with pytest.raises(ApplicationError, match="cannot be activated") as raised:
        workflow_activate(workflow=workflow, actor=setup.admin, comment="Go")
    assert raised.value.extra["problems"] == [
        'Step 1 "Approver": Alice (A1) is inactive.'
    ]


def test_refuses_the_already_active_workflow(setup: Setup) -> None:
    workflow = setup.draft()
    workflow_activate(workflow=workflow, actor=setup.admin, comment="Go")
    with pytest.raises(
        InvalidTransition, match=re.escape('"Invoices" is already active.')
    ):
        workflow_activate(workflow=workflow, actor=setup.admin, comment="Again")
    assert WorkflowVersion.objects.count() == 1


def test_requires_a_comment(setup: Setup) -> None:
    with pytest.raises(ApplicationError, match="Describe the change in a comment"):
        workflow_activate(workflow=setup.draft(), actor=setup.admin, comment="")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_activations_leave_exactly_one_active(setup: Setup) -> None:
    """Both activations succeed one after the other: the lock queues the second."""
    first, second = setup.draft("First"), setup.draft("Second")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def activate(workflow: Workflow) -> None:
        try:
            barrier.wait(timeout=10)
            workflow_activate(workflow=workflow, actor=None, comment="Race")
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(w,)) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert Workflow.objects.filter(company=setup.company, is_active=True).count() == 1
    assert WorkflowVersion.objects.filter(company=setup.company).count() == 2
    active = Workflow.objects.get(company=setup.company, is_active=True)
    # The loser's activation ran second and replaced the winner's.
    replaced = WorkflowChange.objects.get(
        action=WorkflowChange.Action.DEACTIVATED, company=setup.company
    )
    assert replaced.diff == [f'Replaced by "{active.name}"']
