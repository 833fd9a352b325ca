"""limit_save: amounts per currency; active workflows using it publish a new version."""

from decimal import Decimal

import pytest

from core.exceptions import ApplicationError
from tests.workflows.conftest import routing_facts
from tests.workflows.services.conftest import Setup
from workflows.definition import WorkflowDefinition
from workflows.engine import StepOutcome, plan_for_version
from workflows.models import Limit, WorkflowChange, WorkflowVersion
from workflows.selectors import active_version_get
from workflows.services import limit_save, workflow_activate


def test_creates_a_limit_with_amounts_and_logs_it(setup: Setup) -> None:
    limit = limit_save(
        company=setup.company,
        name="Huge",
        amounts={"EUR": Decimal("100000"), "nok": Decimal("1000000.5")},
        actor=setup.admin,
        comment="For the board",
    )
    assert {a.currency: a.amount for a in limit.amounts.all()} == {
        "EUR": Decimal("100000.00"),
        "NOK": Decimal("1000000.50"),
    }
    change = WorkflowChange.objects.get(action=WorkflowChange.Action.LIMIT_SAVED)
    assert change.workflow is None
    assert change.company == setup.company
    assert change.diff == ['Limit "Huge": none → EUR 100000.00, NOK 1000000.50']


def test_changing_a_limit_republishes_active_workflows_that_use_it(
    setup: Setup,
) -> None:
    workflow = setup.draft()  # step 2 "Controller" is above Big (10 000 EUR)
    first = workflow_activate(workflow=workflow, actor=setup.admin, comment="Live")
    unrelated = setup.draft("Unused")  # inactive: keeps its rows, no version

    limit_save(
        company=setup.company,
        name="Big",
        amounts={"EUR": Decimal(20_000), "SEK": Decimal(200_000)},
        actor=setup.admin,
        comment="Controller only from 20k",
    )

    current = active_version_get(
        company_id=setup.company.pk, document_type="purchase_invoice"
    )
    assert current is not None
    assert current.number == 2
    big = WorkflowDefinition.from_dict(current.definition).limits()["Big"]
    assert big.amount_for("EUR") == Decimal("20000.00")
    # The document in flight keeps its version; new documents use the new amounts.
    facts = routing_facts(setup.company, amount=15_000, requester=None)
    assert plan_for_version(facts, first).steps[1].outcome != StepOutcome.SKIPPED
    assert plan_for_version(facts, current).steps[1].outcome == StepOutcome.SKIPPED
    change = WorkflowChange.objects.filter(workflow=workflow).first()
    assert change is not None
    assert change.action == WorkflowChange.Action.PUBLISHED
    assert change.version == current
    assert change.diff == [
        "Published version 2",
        'Limit "Big": EUR 10000.00 → EUR 20000.00, SEK 200000.00',
    ]
    assert not WorkflowVersion.objects.filter(workflow=unrelated).exists()


def test_unchanged_amounts_write_nothing(setup: Setup) -> None:
    before = WorkflowChange.objects.count()
    limit_save(
        company=setup.company,
        name="Small",
        amounts={"EUR": Decimal("1000.00")},
        actor=setup.admin,
        comment="Same",
    )
    assert WorkflowChange.objects.count() == before


def test_a_currency_can_be_removed(setup: Setup) -> None:
    limit_save(
        company=setup.company,
        name="Small",
        amounts={"NOK": Decimal(10_000)},
        actor=setup.admin,
        comment="NOK only",
    )
    assert list(
        Limit.objects.get(pk=setup.small.pk).amounts.values_list("currency", flat=True)
    ) == ["NOK"]


@pytest.mark.parametrize(
    ("name", "amounts", "comment", "message"),
    [
        ("X", {"EUR": Decimal(1)}, "", "Describe the change in a comment"),
        (" ", {"EUR": Decimal(1)}, "c", "A limit needs a name"),
        ("X", {}, "c", "A limit needs an amount in at least one currency"),
        ("X", {"EURO": Decimal(1)}, "c", "'EURO' is not an ISO 4217 currency code"),
        ("X", {"EUR": Decimal(-1)}, "c", "The amount in EUR cannot be negative"),
        ("X", {"EUR": "abc"}, "c", "'abc' is not an amount"),
        ("X", {"EUR": Decimal(1), "eur": Decimal(2)}, "c", "EUR is given twice"),
    ],
)
def test_refuses(
    setup: Setup, name: str, amounts: dict[str, Decimal], comment: str, message: str
) -> None:
    with pytest.raises(ApplicationError, match=message):
        limit_save(
            company=setup.company,
            name=name,
            amounts=amounts,
            actor=setup.admin,
            comment=comment,
        )
    assert not Limit.objects.filter(name="X").exists()
