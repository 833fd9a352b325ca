"""The cost-unit combination table: cells per routing type in hierarchy order, add,
copy, change, delete, the same validation as the admin, the filter, and "which wins"."""

from __future__ import annotations

import pytest

from orgunits.models import CostUnitCombination, CostUnitCombinationValue, CostUnitType
from tests.factories.orgunits import (
    ANY,
    UNSPECIFIED,
    CostUnitTypeFactory,
    EmployeeFactory,
    combination,
    routing_types,
    unit,
)
from tests.orgunits.views.conftest import Setup, assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def hierarchy(setup: Setup) -> list[CostUnitType]:
    dept, product = routing_types(setup.company, "Department", "Product")
    for code in ("R&D", "SALES"):
        unit(dept, code)
    for code in ("Beta", "Charlie"):
        unit(product, code)
    return [dept, product]


def _cell(t: CostUnitType) -> str:
    return f"cell_{t.pk}"


def _cells(row: CostUnitCombination) -> dict[str, str]:
    return {
        v.type.name: (v.cost_unit.code if v.cost_unit else v.match)
        for v in row.values.select_related("type", "cost_unit")
    }


def test_add_change_copy_and_delete_a_row(
    setup: Setup, hierarchy: list[CostUnitType]
) -> None:
    dept, product = hierarchy
    rnd = dept.units.get(code="R&D")
    beta = product.units.get(code="Beta")
    admin = setup.client()
    data = {
        _cell(dept): rnd.pk,
        _cell(product): "any",
        "role": setup.role.pk,
        "approver": setup.alice.pk,
    }
    response = admin.post(setup.url("combination_create"), data)
    assert response.status_code == 302
    row = CostUnitCombination.objects.get()
    assert _cells(row) == {"Department": "R&D"}  # Any is stored as no value

    page = admin.get(setup.url("combination_list")).content.decode()
    assert page.index(">Department<") < page.index(">Product<")
    assert "R&amp;D" in page
    assert "Any" in page

    copied = admin.get(
        setup.url("combination_create"), {"copy": row.pk}
    ).content.decode()
    assert f'value="{rnd.pk}" selected' in copied

    response = admin.post(
        setup.url("combination_edit", pk=row.pk),
        {**data, _cell(product): beta.pk, "approver": setup.bob.pk},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.approver == setup.bob
    assert _cells(row) == {"Department": "R&D", "Product": "Beta"}

    response = admin.post(
        setup.url("combination_edit", pk=row.pk), {**data, _cell(dept): "unspecified"}
    )
    assert response.status_code == 302
    assert _cells(row) == {"Department": "unspecified"}

    assert admin.get(setup.url("combination_delete", pk=row.pk)).status_code == 200
    assert admin.post(setup.url("combination_delete", pk=row.pk)).status_code == 302
    assert not CostUnitCombination.objects.exists()
    assert not CostUnitCombinationValue.objects.exists()


def test_a_value_below_unspecified_is_refused(
    setup: Setup, hierarchy: list[CostUnitType]
) -> None:
    dept, product = hierarchy
    data = {
        _cell(dept): "unspecified",
        _cell(product): product.units.get(code="Beta").pk,
        "role": setup.role.pk,
        "approver": setup.alice.pk,
    }
    response = setup.client().post(setup.url("combination_create"), data)
    assert response.status_code == 200
    assert "no lower segment may have a value" in response.content.decode()
    assert not CostUnitCombination.objects.exists()


def test_a_value_of_another_type_or_company_is_refused(
    setup: Setup, hierarchy: list[CostUnitType]
) -> None:
    dept, product = hierarchy
    foreign_type = CostUnitTypeFactory(company=setup.other, segment_id=1)
    foreign = unit(foreign_type, "X")
    admin = setup.client()
    for bad in (product.units.get(code="Beta").pk, foreign.pk, "999999", "nonsense"):
        data = {
            _cell(dept): bad,
            _cell(product): "any",
            "role": setup.role.pk,
            "approver": setup.alice.pk,
        }
        response = admin.post(setup.url("combination_create"), data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not CostUnitCombination.objects.exists()


def test_the_same_row_twice_is_refused(
    setup: Setup, hierarchy: list[CostUnitType]
) -> None:
    dept, _product = hierarchy
    existing = combination(
        setup.company, setup.role, setup.alice, {"Department": "R&D", "Product": ANY}
    )
    data = {
        _cell(dept): dept.units.get(code="R&D").pk,
        "role": setup.role.pk,
        "approver": setup.alice.pk,
    }
    response = setup.client().post(
        setup.url("combination_create"), {**data, f"cell_{hierarchy[1].pk}": "any"}
    )
    assert response.status_code == 200
    assert f"Row #{existing.pk} already gives Alice" in response.content.decode()
    assert CostUnitCombination.objects.count() == 1


def test_without_routing_types_the_form_sends_you_to_the_types(setup: Setup) -> None:
    response = setup.client().get(setup.url("combination_create"))
    assert response.status_code == 302
    assert response["Location"] == setup.url("cost_unit_types")


def test_filter_by_role_and_search(setup: Setup, hierarchy: list[CostUnitType]) -> None:
    from tests.factories.orgunits import ApproverRoleFactory

    cfo = ApproverRoleFactory(company=setup.company, name="CFO")
    combination(setup.company, setup.role, setup.alice, {"Department": "R&D"})
    combination(setup.company, cfo, setup.bob, {"Department": "SALES"})
    admin = setup.client()
    page = admin.get(setup.url("combination_list"), {"role": cfo.pk}).content.decode()
    assert "Bob" in page
    assert "Alice" not in page
    page = admin.get(setup.url("combination_list"), {"q": "r&d"}).content.decode()
    assert "Alice" in page
    assert "Bob" not in page
    page = admin.get(
        setup.url("combination_list"), {"role": "999999", "q": "x" * 500}
    ).content.decode()
    assert "Alice" in page  # a bad filter shows everything instead of failing


def test_which_row_wins_uses_the_resolver(
    setup: Setup, hierarchy: list[CostUnitType]
) -> None:
    henry = EmployeeFactory(company=setup.company, name="Henry")
    specific = combination(
        setup.company, setup.role, setup.alice, {"Department": "R&D", "Product": "Beta"}
    )
    combination(setup.company, setup.role, henry, {"Department": "R&D", "Product": ANY})
    combination(
        setup.company,
        setup.role,
        setup.bob,
        {"Department": "SALES", "Product": UNSPECIFIED},
    )
    admin = setup.client()
    query = {"t-role": setup.role.pk, "t-seg_1": "R&D", "t-seg_2": "Beta"}
    page = admin.get(setup.url("combination_list"), query).content.decode()
    assert f"Alice — row #{specific.pk}" in page
    assert "Henry — row" not in page
    query["t-seg_2"] = "Charlie"
    page = admin.get(setup.url("combination_list"), query).content.decode()
    assert "Henry — row" in page
    query = {"t-role": setup.role.pk, "t-seg_1": "SALES", "t-seg_2": "Beta"}
    page = admin.get(setup.url("combination_list"), query).content.decode()
    assert "No cost-unit combination matches" in page


def test_list_queries_do_not_grow_with_rows(
    setup: Setup, hierarchy: list[CostUnitType]
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            combination(
                setup.company,
                setup.role,
                EmployeeFactory(company=setup.company),
                {"Department": "R&D", "Product": f"P{i}"},
            )

    assert_constant_queries(setup.client(), setup.url("combination_list"), add)
