"""workflow_save_definition: edit a draft, with a readable diff and a required comment."""

import dataclasses
from collections.abc import Callable

import pytest

from core.exceptions import ApplicationError, InvalidTransition
from tests.factories.workflows import named, person, rule, step
from tests.workflows.services.conftest import Setup
from workflows.definition import (
    LimitRef,
    PersonRef,
    RuleDefinition,
    WorkflowDefinition,
)
from workflows.models import Step, StepRule, WorkflowChange
from workflows.services import workflow_activate, workflow_save_definition


def _edited(setup: Setup, workflow_name: str = "Invoices") -> WorkflowDefinition:
    """Controller now between Small and Big, named Bob; 4-eyes on."""
    current = setup.definition(workflow_name)
    controller = dataclasses.replace(
        current.steps[1],
        condition_kind=Step.Condition.AMOUNT_BETWEEN,
        low_limit=LimitRef.from_limit(setup.small),
        high_limit=LimitRef.from_limit(setup.big),
        rules=(named(setup.bob),),
        mandatory=False,
        completion_policy="at_least",
        required_count=1,
    )
    return dataclasses.replace(
        current,
        steps=(current.steps[0], controller),
        four_eyes_enabled=True,
        four_eyes_people=(person(setup.bob), person(setup.carol)),
    )


def test_replaces_the_steps_and_records_a_readable_diff(setup: Setup) -> None:
    workflow = setup.draft()

    saved = workflow_save_definition(
        workflow=workflow,
        definition=_edited(setup),
        actor=setup.admin,
        comment="Controller for mid-size invoices",
    )

    assert setup.current(saved) == _edited(setup)
    change = WorkflowChange.objects.filter(workflow=workflow).first()
    assert change is not None
    assert change.action == WorkflowChange.Action.EDITED
    assert change.comment == "Controller for mid-size invoices"
    assert change.actor == setup.admin
    assert change.diff == [
        "4-eyes approval: off → on",
        "4-eyes people: + Bob (B2); + Carol (C3)",
        'Step 2 "Controller": condition above "Big" → between "Small" and "Big"',
        'Step 2 "Controller": rules department (Department manager) → named Bob (B2)',
        'Step 2 "Controller": completion any → at least 1',
        'Step 2 "Controller": mandatory yes → no',
    ]


def test_adding_and_removing_steps_is_in_the_diff(setup: Setup) -> None:
    workflow = setup.draft()
    current = setup.definition()
    shorter = dataclasses.replace(current, steps=current.steps[:1], name="Renamed")
    workflow_save_definition(
        workflow=workflow, definition=shorter, actor=setup.admin, comment="Simpler"
    )
    workflow_save_definition(
        workflow=workflow, definition=current, actor=setup.admin, comment="Back"
    )
    diffs = [c.diff for c in WorkflowChange.objects.filter(workflow=workflow)]
    assert diffs[:2] == [
        [
            'Name: "Renamed" → "Invoices"',
            'Step 2 "Controller" added: condition above "Big", rules department '
            "(Department manager), completion any, mandatory",
        ],
        ['Name: "Invoices" → "Renamed"', 'Step 2 "Controller" removed'],
    ]


def test_an_unchanged_definition_writes_nothing(setup: Setup) -> None:
    workflow = setup.draft()
    before = WorkflowChange.objects.count()
    workflow_save_definition(
        workflow=workflow,
        definition=setup.definition(),
        actor=setup.admin,
        comment="No-op",
    )
    assert WorkflowChange.objects.count() == before


def test_the_active_workflow_cannot_be_edited(setup: Setup) -> None:
    workflow = setup.draft()
    workflow_activate(workflow=workflow, actor=setup.admin, comment="Go live")
    with pytest.raises(InvalidTransition, match="is active and cannot be edited"):
        workflow_save_definition(
            workflow=workflow,
            definition=_edited(setup),
            actor=setup.admin,
            comment="Sneaky",
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s, d: dataclasses.replace(
                d, steps=(dataclasses.replace(d.steps[0], low_limit=None, high_limit=None, condition_kind="amount_below"),)
            ),
            'Step 1 "Approver": the condition below \\? takes an upper limit only.',
        ),
        (
            lambda s, d: dataclasses.replace(
                d,
                steps=(
                    dataclasses.replace(
                        d.steps[0],
                        condition_kind="amount_below",
                        high_limit=LimitRef.of("Huge", {"EUR": 1}),
                    ),
                ),
            ),
            'Limit "Huge" does not exist.',
        ),
        (
            lambda s, d: dataclasses.replace(
                d, steps=(step(rules=(RuleDefinition(kind="department"),)),)
            ),
            "rule needs an approver role",
        ),
        (
            lambda s, d: dataclasses.replace(
                d,
                steps=(
                    step(rules=(RuleDefinition(kind="named", approvers=(PersonRef(10**9, "X"),)),)),
                ),
            ),
            f"Employee #{10**9} does not exist in this company.",
        ),
        (
            lambda s, d: dataclasses.replace(
                d, steps=(step(rules=(rule(StepRule.Kind.BRANCH, s.role),)), step(3))
            ),
            "Steps must be numbered 1, 2, 3… without gaps.",
        ),
        (lambda s, d: d, "Describe the change in a comment."),
    ],
)  # fmt: skip
def test_refuses_a_broken_definition(
    setup: Setup,
    change: Callable[[Setup, WorkflowDefinition], WorkflowDefinition],
    message: str,
) -> None:
    workflow = setup.draft()
    before = setup.current(workflow)
    with pytest.raises(ApplicationError, match=message):
        workflow_save_definition(
            workflow=workflow,
            definition=change(setup, _edited(setup)),
            actor=setup.admin,
            comment="" if "comment" in message else "Try",
        )
    assert setup.current(workflow) == before


def test_a_draft_may_be_incomplete(setup: Setup) -> None:
    workflow = setup.draft()
    empty = dataclasses.replace(
        setup.definition(),
        steps=(step(name="Later", rules=(RuleDefinition(kind="named"),)),),
        four_eyes_enabled=True,
    )
    saved = workflow_save_definition(
        workflow=workflow, definition=empty, actor=setup.admin, comment="WIP"
    )
    assert setup.current(saved) == empty


def test_the_diff_describes_what_is_stored_not_the_callers_copy(setup: Setup) -> None:
    """A caller's stale limit amounts or names neither show up nor get saved."""
    workflow = setup.draft()
    current = setup.definition()
    stale = dataclasses.replace(
        current,
        steps=(
            dataclasses.replace(
                current.steps[0],
                rules=(
                    RuleDefinition(
                        kind="named", approvers=(PersonRef(setup.alice.pk, "?"),)
                    ),
                ),
            ),
            dataclasses.replace(
                current.steps[1], low_limit=LimitRef.of("Big", {"EUR": 1})
            ),
        ),
    )
    before = WorkflowChange.objects.count()
    saved = workflow_save_definition(
        workflow=workflow, definition=stale, actor=setup.admin, comment="Same"
    )
    assert WorkflowChange.objects.count() == before
    assert setup.current(saved) == current
