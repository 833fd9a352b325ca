"""The sync services called directly: transactions, KEEP, deactivation, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from erp_sync.services.sync import (
    departments_upsert_from_erp,
    employees_upsert_from_erp,
    projects_upsert_from_erp,
)
from erp_sync.services.sync_rows import EmployeeRow, PersonRef, ProjectRow, UnitRow
from erp_sync.services.upsert import SyncResult
from orgunits.models import Company, Department, Employee
from tests.factories.orgunits import CompanyFactory, DepartmentFactory


@pytest.mark.django_db
def test_deactivated_rows_are_reported_by_primary_key(company: Company) -> None:
    sales = DepartmentFactory(company=company, code="SALES", erp_synced=True)
    DepartmentFactory(company=company, code="HR", erp_synced=True)

    result = departments_upsert_from_erp(
        company=company,
        rows=[UnitRow(code="SALES", active=False), UnitRow(code="HR", active=True)],
    )

    assert result.deactivated_pks == {"orgunits.Department": [sales.pk]}
    assert result.as_counts() == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "deactivated": 1,
    }


@pytest.mark.django_db
def test_fields_the_dto_did_not_carry_keep_their_values(company: Company) -> None:
    DepartmentFactory(company=company, code="SALES", name="Sales", erp_internal_id="7")

    result = departments_upsert_from_erp(company=company, rows=[UnitRow(code="SALES")])

    sales = Department.objects.get(code="SALES")
    assert (sales.name, sales.erp_internal_id, sales.active) == ("Sales", "7", True)
    assert result.updated == 1  # only erp_synced changed: the sync now owns the row


@pytest.mark.django_db
def test_a_sync_refuses_to_run_inside_another_transaction(company: Company) -> None:
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        departments_upsert_from_erp(company=company, rows=[UnitRow(code="A")])


@pytest.mark.django_db
def test_a_project_manager_seen_twice_is_created_once(company: Company) -> None:
    manager = PersonRef(number="E1", name="Ola")

    projects_upsert_from_erp(
        company=company,
        rows=[
            ProjectRow(code="P1", manager=manager),
            ProjectRow(code="P2", manager=manager),
        ],
    )

    assert Employee.objects.filter(company=company, number="E1").count() == 1


# --- PostgreSQL: concurrent syncs (RELIABILITY 10: "sync running ... no 500") ----------


def _run_concurrently(
    calls: list[Callable[[], SyncResult]],
) -> list[SyncResult | BaseException]:
    results: list[SyncResult | BaseException] = [RuntimeError("not run")] * len(calls)
    barrier = threading.Barrier(len(calls))

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_identical_syncs_at_once_are_serialised() -> None:
    company = CompanyFactory(code="race")
    rows = [UnitRow(code=f"D{i}", name=f"Department {i}") for i in range(300)]

    results = _run_concurrently(
        [lambda: departments_upsert_from_erp(company=company, rows=rows)] * 2
    )

    assert all(isinstance(r, SyncResult) for r in results), results
    created = sorted(r.created for r in results if isinstance(r, SyncResult))
    unchanged = sorted(r.unchanged for r in results if isinstance(r, SyncResult))
    assert created == [0, 300]
    assert unchanged == [0, 300]
    assert Department.objects.filter(company=company).count() == 300


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_companies_creating_the_same_login_at_once_share_one_user() -> None:
    first, second = CompanyFactory(code="one"), CompanyFactory(code="two")
    rows = [EmployeeRow(number=f"E{i}", login=f"shared{i}") for i in range(200)]

    results = _run_concurrently(
        [
            lambda: employees_upsert_from_erp(company=first, rows=rows),
            lambda: employees_upsert_from_erp(company=second, rows=rows),
        ]
    )

    assert all(isinstance(r, SyncResult) for r in results), results
    assert get_user_model().objects.count() == 200
    assert Employee.objects.filter(user__isnull=False).count() == 400
