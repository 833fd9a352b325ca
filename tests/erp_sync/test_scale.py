"""A large sync finishes with a bounded number of queries (no query per row).

Only correctness and query counts are asserted; the measured seconds are printed for
the record (they vary with the machine).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.payloads import sync_employees, sync_subaccounts
from orgunits.models import Company, CostUnit, Employee, Subaccount
from tests.erp_sync.conftest import ErpApi

pytestmark = pytest.mark.django_db

SUBACCOUNTS = 10_000
EMPLOYEES = 5_000
#: Far below one query per row on either database (SQLite inserts ~100 rows a statement).
MAX_QUERIES_PER_REQUEST = 300


def timed_put(
    api: ErpApi, path: str, body: list[dict[str, Any]]
) -> tuple[dict[str, int], int, float]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = api.put(path, body)
        seconds = time.perf_counter() - started
    assert response.status_code == 200, response.content[:500]
    return response.json(), len(queries), seconds


def test_ten_thousand_subaccounts_and_five_thousand_employees(
    api: ErpApi, company: Company, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same payloads `make bench` times (bench/payloads.py).
    sub_body = sync_subaccounts(SUBACCOUNTS)
    emp_body = sync_employees(run="test", count=EMPLOYEES)

    sub_counts, sub_queries, sub_seconds = timed_put(api, "sync/subaccounts", sub_body)
    emp_counts, emp_queries, emp_seconds = timed_put(api, "sync/employees", emp_body)
    again_sub, again_sub_queries, again_sub_seconds = timed_put(
        api, "sync/subaccounts", sub_body
    )
    again_emp, again_emp_queries, again_emp_seconds = timed_put(
        api, "sync/employees", emp_body
    )

    with capsys.disabled():
        print(
            f"\n[{connection.vendor}] {SUBACCOUNTS} subaccounts: {sub_seconds:.2f}s "
            f"({sub_queries} queries), re-sent {again_sub_seconds:.2f}s "
            f"({again_sub_queries}); {EMPLOYEES} employees: {emp_seconds:.2f}s "
            f"({emp_queries} queries), re-sent {again_emp_seconds:.2f}s "
            f"({again_emp_queries})"
        )

    assert sub_counts == {
        "created": SUBACCOUNTS,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
    }
    assert emp_counts == {
        "created": EMPLOYEES,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
    }
    assert again_sub == {
        "created": 0,
        "updated": 0,
        "unchanged": SUBACCOUNTS,
        "deactivated": 0,
    }
    assert again_emp == {
        "created": 0,
        "updated": 0,
        "unchanged": EMPLOYEES,
        "deactivated": 0,
    }
    for count in (sub_queries, emp_queries, again_sub_queries, again_emp_queries):
        assert count <= MAX_QUERIES_PER_REQUEST
    # Re-sending writes nothing, so it needs only the reads.
    assert again_sub_queries <= 10
    assert again_emp_queries <= 15

    assert Subaccount.objects.filter(company=company).count() == SUBACCOUNTS
    assert CostUnit.objects.filter(company=company).count() == 200
    assert Subaccount.objects.get(number="D07-C042").segment_values == {
        "1": "D07",
        "2": "C042",
    }
    linked = Employee.objects.filter(
        company=company, user__isnull=False, user__is_active=False
    )
    assert linked.count() == EMPLOYEES
    assert get_user_model().objects.count() == EMPLOYEES
    assert Employee.objects.get(number="E04321").department.code == "DEP21"  # type: ignore[union-attr]
