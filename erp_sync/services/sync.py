"""Master-data sync from the ERP: idempotent bulk upserts, one service per kind.

Each service takes the rows of one request (already shape-checked by the API), checks
everything that needs the database, and only then writes, all inside one durable
transaction: a bad row raises ValidationError keyed by its path (`[3].departmentId`)
and nothing of the request is written. Rows are matched by their ERP key within the
company; rows missing from a request are left alone; a value the DTO did not carry
(`KEEP`) is left as stored. Synced rows get `erp_synced=True`. Rows a request only
refers to (an employee's unknown department, a project manager, a subaccount's segment
values) are created on demand, minimal, and are not counted.

Concurrent syncs of one company are serialised by a NO KEY UPDATE lock on the company
row: it does not block inserts that reference the company (those take KEY SHARE), so
document submissions keep flowing while a sync runs. Cost units live in
`sync_cost_units` and employees in `sync_employees` (both re-exported here), the row
types in `sync_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from erp_sync.services.sync_cost_units import (
    subaccount_segments_upsert_from_erp,
    subaccounts_upsert_from_erp,
)
from erp_sync.services.sync_employees import employees_upsert_from_erp
from erp_sync.services.sync_rows import (
    PersonRef,
    ProjectRow,
    UnitRow,
)
from erp_sync.services.upsert import (
    KEEP,
    Desired,
    RowErrors,
    SyncResult,
    check_unique,
    load_by,
    lock_company_for_sync,
    name_or_keep,
    present,
    upsert,
)
from orgunits.models import (
    Branch,
    Company,
    Department,
    Employee,
    Project,
    ProjectTask,
)

__all__ = [
    "branches_upsert_from_erp",
    "departments_upsert_from_erp",
    "employees_upsert_from_erp",
    "projects_upsert_from_erp",
    "subaccount_segments_upsert_from_erp",
    "subaccounts_upsert_from_erp",
]

# --- departments and branches ----------------------------------------------------------


def departments_upsert_from_erp(
    *, company: Company, rows: Sequence[UnitRow]
) -> SyncResult:
    """Upsert departments by `departmentId`. Raises ValidationError (duplicates)."""
    return _units_upsert(
        model=Department, company=company, rows=rows, key_field="departmentId"
    )


def branches_upsert_from_erp(
    *, company: Company, rows: Sequence[UnitRow]
) -> SyncResult:
    """Upsert branches by branch `number`. Raises ValidationError (duplicates)."""
    return _units_upsert(model=Branch, company=company, rows=rows, key_field="number")


def _units_upsert(
    *,
    model: type[Department] | type[Branch],
    company: Company,
    rows: Sequence[UnitRow],
    key_field: str,
) -> SyncResult:
    errors = RowErrors()
    check_unique(
        ((f"[{i}].{key_field}", row.code) for i, row in enumerate(rows)),
        errors,
        key_field,
    )
    errors.raise_if_any()
    result = SyncResult()
    now = timezone.now()
    with transaction.atomic(durable=True):
        lock_company_for_sync(company)
        existing = {
            unit.code: unit
            for unit in load_by(
                model.objects.filter(company=company), "code", [r.code for r in rows]
            )
        }
        upsert(
            model,
            existing=existing,
            desired=[
                Desired(
                    key=row.code,
                    values=present(
                        name=name_or_keep(row.name),
                        active=row.active,
                        erp_internal_id=row.erp_internal_id,
                    ),
                    create_defaults={"code": row.code, "name": row.code},
                )
                for row in rows
            ],
            base={"company": company},
            now=now,
            result=result,
        )
    return result


# --- projects --------------------------------------------------------------------------


def projects_upsert_from_erp(
    *, company: Company, rows: Sequence[ProjectRow]
) -> SyncResult:
    """Upsert projects with their tasks and project manager.

    The manager is matched by employee number; an unknown one is created as a minimal,
    login-less employee (the employee sync fills it in later). Tasks missing from a
    project's `tasks` are left alone. Counts cover projects and tasks. Raises
    ValidationError (duplicate project ids, duplicate task ids within a project).
    """
    errors = RowErrors()
    check_unique(
        ((f"[{i}].projectID", row.code) for i, row in enumerate(rows)),
        errors,
        "projectID",
    )
    for i, row in enumerate(rows):
        if row.tasks is not KEEP:
            check_unique(
                (
                    (f"[{i}].tasks[{j}].taskId", task.code)
                    for j, task in enumerate(row.tasks)
                ),
                errors,
                "taskId",
            )
    errors.raise_if_any()

    result = SyncResult()
    now = timezone.now()
    with transaction.atomic(durable=True):
        lock_company_for_sync(company)
        managers = _ensure_people(
            company=company,
            refs=[row.manager for row in rows if isinstance(row.manager, PersonRef)],
            now=now,
        )
        existing = {
            project.code: project
            for project in load_by(
                Project.objects.filter(company=company), "code", [r.code for r in rows]
            )
        }
        projects = upsert(
            Project,
            existing=existing,
            desired=[
                Desired(
                    key=row.code,
                    values=present(
                        name=name_or_keep(row.name),
                        active=row.active,
                        erp_internal_id=row.erp_internal_id,
                        manager_id=(
                            row.manager
                            if row.manager is KEEP or row.manager is None
                            else managers[row.manager.number].pk
                        ),
                    ),
                    create_defaults={"code": row.code, "name": row.code},
                )
                for row in rows
            ],
            base={"company": company},
            now=now,
            result=result,
        )
        with_tasks = [
            (row.code, row.tasks) for row in rows if row.tasks is not KEEP and row.tasks
        ]
        existing_tasks = {
            (task.project_id, task.code): task
            for task in load_by(
                ProjectTask.objects.filter(company=company, code__in=_task_codes(rows)),
                "project_id",
                [projects[code].pk for code, _tasks in with_tasks],
            )
        }
        upsert(
            ProjectTask,
            existing=existing_tasks,
            desired=[
                Desired(
                    key=(projects[code].pk, task.code),
                    values=present(
                        name=task.name,
                        active=task.active,
                        erp_internal_id=task.erp_internal_id,
                    ),
                    create_defaults={"project": projects[code], "code": task.code},
                )
                for code, tasks in with_tasks
                for task in tasks
            ],
            base={"company": company},
            now=now,
            result=result,
        )
    return result


def _task_codes(rows: Sequence[ProjectRow]) -> list[str]:
    return sorted(
        {task.code for row in rows if row.tasks is not KEEP for task in row.tasks}
    )


def _ensure_people(
    *, company: Company, refs: Sequence[PersonRef], now: datetime
) -> dict[str, Employee]:
    """Employees by number; unknown ones are created minimal (no login, no user)."""
    first: dict[str, PersonRef] = {}
    for ref in refs:
        first.setdefault(ref.number, ref)
    existing = {
        employee.number: employee
        for employee in load_by(
            Employee.objects.filter(company=company), "number", first
        )
    }
    return upsert(
        Employee,
        existing=existing,
        desired=[
            Desired(
                key=ref.number,
                values={},
                create_defaults={
                    "number": ref.number,
                    "name": ref.name or ref.number,
                    "email": ref.email,
                    "erp_login": ref.login,
                    "erp_internal_id": ref.erp_internal_id,
                    "erp_user_id": ref.erp_user_id,
                    "active": ref.active,
                    "manager_source": Employee.ManagerSource.LOCAL,
                },
            )
            for ref in first.values()
            if ref.number not in existing
        ],
        base={"company": company},
        now=now,
        result=None,
    )
