"""The approver setup home: counts and links."""

from __future__ import annotations

import pytest

from tests.factories.orgunits import (
    DepartmentApproverFactory,
    DepartmentFactory,
    EmployeeFactory,
    combination,
    routing_types,
)
from tests.orgunits.views.conftest import Setup, assert_constant_queries

pytestmark = pytest.mark.django_db


def test_home_shows_counts_order_and_links(setup: Setup) -> None:
    routing_types(setup.company, "Department", "Product")
    combination(setup.company, setup.role, setup.alice, {"Department": "R&D"})
    DepartmentApproverFactory(
        department=DepartmentFactory(company=setup.company),
        role=setup.role,
        approver=setup.bob,
    )
    setup.company.document_due_after_days = 20
    setup.company.save()
    page = setup.client().get(setup.url("home")).content.decode()
    assert "Department → Product" in page
    assert "1 row" in page
    assert "due 20 days after receipt" in page
    for name in (
        "role_list",
        "combination_list",
        "department_list",
        "substitution_list",
        "due_dates",
    ):
        assert setup.url(name) in page


def test_home_queries_do_not_grow_with_rows(setup: Setup) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            DepartmentApproverFactory(
                department=DepartmentFactory(company=setup.company),
                role=setup.role,
                approver=EmployeeFactory(company=setup.company),
            )

    assert_constant_queries(setup.client(), setup.url("home"), add)
