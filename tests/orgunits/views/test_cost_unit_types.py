"""Cost unit types: the routing order (move, select, unselect) and editing the types
created in Signoff; synced ones stay read-only."""

from __future__ import annotations

import pytest

from orgunits.models import CostUnitType
from tests.factories.orgunits import CostUnitTypeFactory
from tests.orgunits.views.conftest import Setup, assert_constant_queries

pytestmark = pytest.mark.django_db


def _order(setup: Setup) -> list[str]:
    return list(
        CostUnitType.objects.filter(
            company=setup.company, routing_position__isnull=False
        )
        .order_by("routing_position")
        .values_list("name", flat=True)
    )


@pytest.fixture
def types(setup: Setup) -> dict[str, CostUnitType]:
    return {
        "Department": CostUnitTypeFactory(
            company=setup.company, segment_id=1, name="Department", routing_position=1
        ),
        "Product": CostUnitTypeFactory(
            company=setup.company, segment_id=2, name="Product", routing_position=2
        ),
        "Region": CostUnitTypeFactory(
            company=setup.company,
            segment_id=3,
            name="Region",
            routing_position=None,
            erp_synced=True,
        ),
    }


def test_move_select_and_unselect(setup: Setup, types: dict[str, CostUnitType]) -> None:
    admin = setup.client()
    move = setup.url("cost_unit_type_move")
    assert (
        admin.post(move, {"type": types["Product"].pk, "action": "up"}).status_code
        == 302
    )
    assert _order(setup) == ["Product", "Department"]
    admin.post(move, {"type": types["Region"].pk, "action": "select"})
    assert _order(setup) == ["Product", "Department", "Region"]
    admin.post(move, {"type": types["Product"].pk, "action": "down"})
    assert _order(setup) == ["Department", "Product", "Region"]
    response = admin.post(
        move, {"type": types["Department"].pk, "action": "unselect"}, follow=True
    )
    assert _order(setup) == ["Product", "Region"]
    assert "no longer routes" in response.content.decode()
    page = admin.get(setup.url("cost_unit_types")).content.decode()
    assert (
        page.index("Product")
        < page.index("Region")
        < page.index("Not used for routing")
    )


def test_moving_the_top_up_changes_nothing(
    setup: Setup, types: dict[str, CostUnitType]
) -> None:
    setup.client().post(
        setup.url("cost_unit_type_move"),
        {"type": types["Department"].pk, "action": "up"},
    )
    assert _order(setup) == ["Department", "Product"]


@pytest.mark.parametrize(
    "data",
    [
        {"type": "999999", "action": "up"},
        {"type": "x", "action": "up"},
        {"action": "down"},
    ],
)
def test_bad_moves_are_messages_not_errors(
    setup: Setup, types: dict[str, CostUnitType], data: dict[str, str]
) -> None:
    response = setup.client().post(setup.url("cost_unit_type_move"), data, follow=True)
    assert response.status_code == 200
    assert "not known here" in response.content.decode()
    assert _order(setup) == ["Department", "Product"]


def test_a_type_of_another_company_cannot_be_moved(
    setup: Setup, types: dict[str, CostUnitType]
) -> None:
    foreign = CostUnitTypeFactory(company=setup.other, segment_id=1)
    setup.client().post(
        setup.url("cost_unit_type_move"), {"type": foreign.pk, "action": "unselect"}
    )
    foreign.refresh_from_db()
    assert foreign.routing_position == 1


def test_local_types_are_editable_synced_ones_are_not(
    setup: Setup, types: dict[str, CostUnitType]
) -> None:
    admin = setup.client()
    local = types["Department"]
    page = admin.get(setup.url("cost_unit_types")).content.decode()
    assert setup.url("cost_unit_type_edit", pk=local.pk) in page
    assert setup.url("cost_unit_type_edit", pk=types["Region"].pk) not in page
    response = admin.post(
        setup.url("cost_unit_type_edit", pk=local.pk), {"name": "Dept", "active": ""}
    )
    assert response.status_code == 302
    local.refresh_from_db()
    assert (local.name, local.active) == ("Dept", False)
    response = admin.post(
        setup.url("cost_unit_type_edit", pk=types["Region"].pk),
        {"name": "X", "active": "on"},
    )
    assert response.status_code == 404
    types["Region"].refresh_from_db()
    assert types["Region"].name == "Region"
    response = admin.post(
        setup.url("cost_unit_type_edit", pk=local.pk), {"name": "", "active": "on"}
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_list_queries_do_not_grow_with_types(setup: Setup) -> None:
    def add(n: int) -> None:
        start = CostUnitType.objects.filter(company=setup.company).count()
        for i in range(n):
            CostUnitTypeFactory(
                company=setup.company,
                segment_id=start + i + 1,
                routing_position=start + i + 1,
            )

    assert_constant_queries(setup.client(), setup.url("cost_unit_types"), add)
