"""Seed data for the benchmarks: 1 M documents, 10 M lines, 200 k open tasks in minutes.

    python bench/seed.py --documents 1000000          # or: manage.py seed_bench ...
    python bench/seed.py --documents 20000 --reset    # a quick check

PostgreSQL only. How it stays valid for every page and constraint without re-implementing
the domain: a few *template* documents go the real way (the ERP API through Django's
test client, routing and approvals by the real services, Celery eager), one open
template per approver and a few finished ones (approved, some rejected). Everything
else is cloned from those templates inside PostgreSQL with `INSERT ... SELECT` over
`generate_series`: the documents, lines, processes, step runs, tasks, decisions, history
events and outbox events of a clone are the template's rows with new ids, a new ERP
reference and UUIDs, amounts times a small factor and every date shifted back by the
same interval. The append-only triggers only refuse UPDATE/DELETE, so inserting is fine.

Org units: one company `bench` with departments, branches, two subaccount segments
(department, cost centre), cost units and subaccounts, employees with managers, projects,
approver roles and cost-unit combinations, logins (password `bench-password`) and
memberships; one active two-step workflow for supplier invoices (cost-centre owner, then
the department's controller). Approver `approver0000` has exactly 500 open tasks at
full scale (every cost-centre owner has `--tasks-per-approver`).

Idempotent: a second run with the same scale finds the marker and does nothing; another
scale or `--reset` empties the app's tables (TRUNCATE) first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH_COMPANY = "bench"
BENCH_PASSWORD = "bench-password"  # noqa: S105 - a bench-only login, documented
ADMIN_USERNAME = "bench.admin"
MARKER_NAME = "Signoff bench seed"


def approver_username(index: int) -> str:
    return f"approver{index:04d}"


def controller_username(index: int) -> str:
    return f"controller{index:02d}"


@dataclass(frozen=True)
class Scale:
    """How big the seed is; everything else follows from the number of documents."""

    documents: int
    lines: int = 10
    open_share: float = 0.2
    tasks_per_approver: int = 500
    finished_templates: int = 20

    @property
    def open_documents(self) -> int:
        wanted = int(self.documents * self.open_share)
        if wanted < self.tasks_per_approver:
            return max(1, wanted)
        # Exactly `tasks_per_approver` each, so the My-tasks figure has its 500.
        return wanted - wanted % self.tasks_per_approver

    @property
    def approvers(self) -> int:
        return max(1, self.open_documents // self.tasks_per_approver)

    @property
    def departments(self) -> int:
        return max(2, min(40, self.approvers // 10))

    @property
    def employees(self) -> int:
        return max(self.approvers + self.departments + 50, self.documents // 500)

    @property
    def finished(self) -> int:
        return min(self.finished_templates, max(1, self.approvers))

    def marker(self) -> str:
        return f"{MARKER_NAME}: {self.documents} documents x {self.lines} lines"


@dataclass
class SeedReport:
    documents: int
    lines: int
    open_tasks: int
    approvers: int
    employees: int
    seconds: float
    seconds_templates: float
    seconds_clone: float
    database: str
    database_bytes: int
    skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def report_path(database_url: str) -> Path:
    """Where the last seed of a database left its report (read by bench/run.py)."""
    name = database_url.rstrip("/").rpartition("/")[2] or "default"
    return (
        Path(__file__).resolve().parent.parent / "var" / "bench" / f"seed-{name}.json"
    )


def log(message: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S')}] {message}", flush=True)


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log(f"{label}: {time.perf_counter() - started:.1f} s")


# --- entry points -----------------------------------------------------------------------


def seed(scale: Scale, *, reset: bool = False) -> SeedReport:
    """Build (or keep) the seed for `scale` in the configured database."""
    from django.db import connection

    from orgunits.models import Company

    if connection.vendor != "postgresql":
        raise SystemExit("The bench seed needs PostgreSQL (DATABASE_URL=postgres://…).")
    started = time.perf_counter()
    # A seed that died between dropping and rebuilding indexes left their statements.
    _indexes_rebuild()
    company = Company.objects.filter(code=BENCH_COMPANY).first()
    if company is not None and company.name == scale.marker() and not reset:
        log(f"already seeded ({scale.marker()}); nothing to do (--reset rebuilds)")
        report = _report(scale, started, 0.0, 0.0, skipped=True)
        if not _report_file().exists():
            # var/ was cleaned since the seed: its sizes are still true, its time unknown.
            _report_file().parent.mkdir(parents=True, exist_ok=True)
            unknown = {**report.as_dict(), "seconds": None}
            _report_file().write_text(json.dumps(unknown, indent=2) + "\n")
        return report
    # A missing or other-scale seed is rebuilt; an old report must not outlive it.
    _report_file().unlink(missing_ok=True)
    if company is not None or reset:
        with timed("truncate"):
            _truncate()
    with timed("org units and workflow"):
        org = _org_create(scale)
    t0 = time.perf_counter()
    with timed("template documents (real API, routing, approvals)"):
        templates = _templates_create(scale, org)
    t_templates = time.perf_counter() - t0
    t1 = time.perf_counter()
    with timed("clone documents in PostgreSQL"):
        _clone(scale, templates)
    t_clone = time.perf_counter() - t1
    with timed("VACUUM ANALYZE"):
        _vacuum_analyze()
    Company.objects.filter(pk=org.company.pk).update(name=scale.marker())
    report = _report(scale, started, t_templates, t_clone)
    _report_file().parent.mkdir(parents=True, exist_ok=True)
    _report_file().write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    log(
        f"done: {report.documents} documents, {report.lines} lines, "
        f"{report.open_tasks} open tasks in {report.seconds:.0f} s; database "
        f"{report.database} is {report.database_bytes / 2**30:.2f} GiB"
    )
    return report


def _report(
    scale: Scale,
    started: float,
    t_templates: float,
    t_clone: float,
    *,
    skipped: bool = False,
) -> SeedReport:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_database(), pg_database_size(current_database())"
        )
        name, size = cursor.fetchone()
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'documents_line'"
        )
        lines = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM documents_document")
        documents = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM documents_task WHERE status = 'active'")
        open_tasks = cursor.fetchone()[0]
    return SeedReport(
        documents=documents,
        lines=lines,
        open_tasks=open_tasks,
        approvers=scale.approvers,
        employees=scale.employees,
        seconds=round(time.perf_counter() - started, 1),
        seconds_templates=round(t_templates, 1),
        seconds_clone=round(t_clone, 1),
        database=name,
        database_bytes=size,
        skipped=skipped,
    )


def _report_file() -> Path:
    from django.db import connection

    return report_path(f"/{connection.settings_dict['NAME']}")


def _truncate() -> None:
    """Empty every app table (TRUNCATE passes the append-only triggers by design)."""
    from django.apps import apps
    from django.db import connection

    tables = [
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in {"contenttypes", "auth", "sessions", "admin"}
        or model._meta.db_table in {"auth_user", "auth_user_groups"}
    ]
    tables += ["auth_user_user_permissions", "django_session"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        existing = {row[0] for row in cursor.fetchall()}
        names = ", ".join(
            connection.ops.quote_name(t) for t in sorted(set(tables) & existing)
        )
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def _vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in _CLONED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")


# --- org units --------------------------------------------------------------------------


@dataclass
class Org:
    company: Any
    owners: list[Any]  # employee per cost centre (step 1)
    controllers: list[Any]  # employee per department (step 2)
    admin: Any
    client: Any  # ErpClient for the templates


def _org_create(scale: Scale) -> Org:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from bench.payloads import (
        COST_CENTRE_SEGMENT,
        DEPARTMENT_SEGMENT,
        cost_centre_code,
        department_code,
    )
    from erp_sync.services.clients import erp_client_create
    from orgunits import models as org
    from workflows import services as workflow_services
    from workflows.definition import (
        PersonRef,
        RuleDefinition,
        StepDefinition,
        WorkflowDefinition,
    )
    from workflows.models import StepRuleKind

    user_model = get_user_model()
    password = make_password(BENCH_PASSWORD)
    with transaction.atomic():
        company = org.Company.objects.create(
            code=BENCH_COMPANY, name="Bench AS (seeding)", currency="NOK"
        )
        admin = user_model.objects.create(
            username=ADMIN_USERNAME,
            password=password,
            is_staff=True,
            is_superuser=True,
            email="admin@bench.example",
        )
        departments = org.Department.objects.bulk_create(
            org.Department(
                company=company,
                code=department_code(d),
                name=f"Department {d}",
                erp_synced=True,
            )
            for d in range(scale.departments)
        )
        branches = org.Branch.objects.bulk_create(
            org.Branch(
                company=company, code=str(b), name=f"Branch {b}", erp_synced=True
            )
            for b in range(1, 4)
        )
        department_type, centre_type = org.CostUnitType.objects.bulk_create(
            [
                org.CostUnitType(
                    company=company,
                    segment_id=DEPARTMENT_SEGMENT,
                    name="Department",
                    routing_position=1,
                    erp_synced=True,
                ),
                org.CostUnitType(
                    company=company,
                    segment_id=COST_CENTRE_SEGMENT,
                    name="Cost centre",
                    routing_position=2,
                    erp_synced=True,
                ),
            ]
        )
        department_units = org.CostUnit.objects.bulk_create(
            org.CostUnit(
                company=company,
                type=department_type,
                code=department_code(d),
                name=f"Department {d}",
                erp_synced=True,
            )
            for d in range(scale.departments)
        )
        centre_units = org.CostUnit.objects.bulk_create(
            org.CostUnit(
                company=company,
                type=centre_type,
                code=cost_centre_code(c),
                name=f"Cost centre {c}",
                erp_synced=True,
            )
            for c in range(scale.approvers)
        )
        org.Subaccount.objects.bulk_create(
            org.Subaccount(
                company=company,
                number=f"{department_code(c % scale.departments)}-{cost_centre_code(c)}",
                description=f"Department {c % scale.departments} / centre {c}",
                segment_values={
                    str(DEPARTMENT_SEGMENT): department_code(c % scale.departments),
                    str(COST_CENTRE_SEGMENT): cost_centre_code(c),
                },
                erp_synced=True,
            )
            for c in range(scale.approvers)
        )
        # Logins: one per cost-centre owner and per controller, plus the admin.
        owner_users = user_model.objects.bulk_create(
            user_model(
                username=approver_username(c),
                password=password,
                email=f"{approver_username(c)}@bench.example",
            )
            for c in range(scale.approvers)
        )
        controller_users = user_model.objects.bulk_create(
            user_model(
                username=controller_username(d),
                password=password,
                email=f"{controller_username(d)}@bench.example",
            )
            for d in range(scale.departments)
        )
        org.Membership.objects.bulk_create(
            [
                org.Membership(company=company, user=admin, is_system_admin=True),
                *(
                    org.Membership(
                        company=company, user=user, approves_purchase_invoices=True
                    )
                    for user in [*owner_users, *controller_users]
                ),
            ]
        )
        # Employees: controllers first (they manage the others), then owners, then
        # the rest of the staff.
        controllers = org.Employee.objects.bulk_create(
            org.Employee(
                company=company,
                number=f"E{d + 1:05d}",
                name=f"Controller {d:02d}",
                email=controller_users[d].email,
                department=departments[d],
                branch=branches[d % len(branches)],
                user=controller_users[d],
                erp_synced=True,
                manager_source=org.Employee.ManagerSource.ERP,
            )
            for d in range(scale.departments)
        )
        owners = org.Employee.objects.bulk_create(
            org.Employee(
                company=company,
                number=f"E{scale.departments + c + 1:05d}",
                name=f"Owner {c:04d}",
                email=owner_users[c].email,
                department=departments[c % scale.departments],
                branch=branches[c % len(branches)],
                manager=controllers[c % scale.departments],
                user=owner_users[c],
                erp_synced=True,
                manager_source=org.Employee.ManagerSource.ERP,
            )
            for c in range(scale.approvers)
        )
        first_staff = scale.departments + scale.approvers + 1
        org.Employee.objects.bulk_create(
            (
                org.Employee(
                    company=company,
                    number=f"E{n:05d}",
                    name=f"Employee {n:05d}",
                    department=departments[n % scale.departments],
                    branch=branches[n % len(branches)],
                    manager=owners[n % scale.approvers],
                    erp_synced=True,
                    manager_source=org.Employee.ManagerSource.ERP,
                )
                for n in range(first_staff, scale.employees + 1)
            ),
            batch_size=5000,
        )
        projects = org.Project.objects.bulk_create(
            org.Project(
                company=company,
                code=f"P{p:04d}",
                name=f"Project {p}",
                manager=owners[p % scale.approvers],
                erp_synced=True,
            )
            for p in range(max(10, scale.approvers // 2))
        )
        org.ProjectTask.objects.bulk_create(
            org.ProjectTask(
                company=company, project=project, code=f"{t:02d}", name=f"Task {t}"
            )
            for project in projects
            for t in range(1, 3)
        )
        default_role = org.ApproverRole.objects.create(
            company=company, name="Approver (default)", is_default=True
        )
        controller_role = org.ApproverRole.objects.create(
            company=company, name="Controller"
        )
        combos = org.CostUnitCombination.objects.bulk_create(
            [
                *(
                    org.CostUnitCombination(
                        company=company, role=default_role, approver=owners[c]
                    )
                    for c in range(scale.approvers)
                ),
                *(
                    org.CostUnitCombination(
                        company=company, role=controller_role, approver=controllers[d]
                    )
                    for d in range(scale.departments)
                ),
            ]
        )
        org.CostUnitCombinationValue.objects.bulk_create(
            [
                *(
                    org.CostUnitCombinationValue(
                        company=company,
                        combination=combos[c],
                        type=centre_type,
                        cost_unit=centre_units[c],
                    )
                    for c in range(scale.approvers)
                ),
                *(
                    org.CostUnitCombinationValue(
                        company=company,
                        combination=combos[scale.approvers + d],
                        type=department_type,
                        cost_unit=department_units[d],
                    )
                    for d in range(scale.departments)
                ),
            ]
        )
        org.DepartmentApprover.objects.bulk_create(
            org.DepartmentApprover(
                company=company,
                department=departments[d],
                role=controller_role,
                approver=controllers[d],
            )
            for d in range(scale.departments)
        )

    def person(employee: Any) -> PersonRef:
        return PersonRef(employee_id=employee.pk, number=employee.number)

    del person  # named approvers are not used; the rules resolve through the org
    definition = WorkflowDefinition(
        company_id=company.pk,
        document_type=org.DocumentType.PURCHASE_INVOICE,
        name="Invoices (bench)",
        description="Cost-centre owner, then the department's controller.",
        steps=(
            StepDefinition(
                position=1,
                name="Cost-centre owner",
                rules=(
                    RuleDefinition(
                        kind=StepRuleKind.COST_UNIT,
                        role_id=default_role.pk,
                        role_name=default_role.name,
                    ),
                ),
            ),
            StepDefinition(
                position=2,
                name="Controller",
                rules=(
                    RuleDefinition(
                        kind=StepRuleKind.COST_UNIT,
                        role_id=controller_role.pk,
                        role_name=controller_role.name,
                    ),
                ),
                days_to_complete=2,
            ),
        ),
    )
    workflow = workflow_services.workflow_create(
        company=company,
        document_type=org.DocumentType.PURCHASE_INVOICE,
        name=definition.name,
        description=definition.description,
        definition=definition,
        actor=admin,
        comment="Bench seed",
    )
    workflow_services.workflow_activate(
        workflow=workflow, actor=admin, comment="Bench seed"
    )
    credentials = erp_client_create(
        company=company, name="Bench seed", callback_url="http://127.0.0.1:9/unused"
    )
    return Org(
        company=company,
        owners=owners,
        controllers=controllers,
        admin=admin,
        client=credentials,
    )


# --- template documents -------------------------------------------------------------------


@dataclass
class Templates:
    open_ids: list[int]  # document id per approver (cost centre)
    finished_ids: list[int]


def _templates_create(scale: Scale, org: Org) -> Templates:
    """Real documents through the API and the services (routing eager, in-process)."""
    from django.conf import settings
    from django.test import Client

    from approval_site.celery import app
    from bench.payloads import cost_centre_code, department_code, invoice
    from documents.models import Document, OutboxEvent, Task
    from documents.services import task_approve, task_reject

    app.conf.task_always_eager = True
    # The templates' new-task e-mails go nowhere.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    http = Client(SERVER_NAME="127.0.0.1")
    token_response = http.post(
        "/api/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": org.client.client_id,
            "client_secret": org.client.client_secret,
        },
        secure=True,
    )
    if token_response.status_code != 200:
        raise SystemExit(
            f"token refused: {token_response.status_code} {token_response.content!r}"
        )
    auth = f"Bearer {token_response.json()['access_token']}"

    def submit(reference: str, centre: int) -> Document:
        body = invoice(
            reference=reference,
            cost_centre=cost_centre_code(centre),
            department=department_code(centre % scale.departments),
            lines=scale.lines,
        )
        response = http.post(
            "/api/v1/documents/supplier-invoices",
            body,
            content_type="application/json",
            headers={"authorization": auth, "idempotency-key": f"seed-{reference}"},
            secure=True,
        )
        if response.status_code != 202:
            raise SystemExit(f"template {reference} refused: {response.content!r}")
        document = Document.objects.get(public_id=response.json()["id"])
        if document.status != Document.Status.IN_PROGRESS:
            raise SystemExit(
                f"template {reference} not routed: {document.status} "
                f"{document.blocked_reason}"
            )
        return document

    def decide(document: Document, action: Callable[..., Any]) -> None:
        task = Task.objects.select_related("assignee__user").get(
            document=document, status=Task.Status.ACTIVE
        )
        document.refresh_from_db()
        kwargs: dict[str, Any] = {}
        if action is task_reject:
            kwargs["comment"] = "Wrong cost centre"
        action(
            task_id=task.pk,
            employee=task.assignee,
            user=task.assignee.user,
            expected_version=document.version,
            **kwargs,
        )

    open_ids = []
    for centre in range(scale.approvers):
        open_ids.append(submit(f"T-OPEN-{centre:04d}", centre).pk)
    finished_ids = []
    for f in range(scale.finished):
        document = submit(f"T-DONE-{f:04d}", f % scale.approvers)
        decide(document, task_approve)
        # One in ten is rejected by the controller, the rest approved.
        decide(document, task_reject if f % 10 == 9 else task_approve)
        document.refresh_from_db()
        if not document.is_finished:
            raise SystemExit(f"template {document} did not finish: {document.status}")
        finished_ids.append(document.pk)
    # The ERP "received" every outcome long ago: no relay work in the seed.
    OutboxEvent.objects.filter(document_id__in=finished_ids).update(
        status=OutboxEvent.Status.SENT, attempts=1, leased_until=None, last_error=""
    )
    app.conf.task_always_eager = False
    return Templates(open_ids=open_ids, finished_ids=finished_ids)


# --- cloning inside PostgreSQL ------------------------------------------------------------

#: Cloned tables, parents first, with the SQL that finds a row's template document.
_FAMILY: dict[str, str] = {
    "documents_document": "t.id",
    "documents_line": "t.document_id",
    "documents_process": "t.document_id",
    "documents_steprun": (
        "(SELECT p.document_id FROM documents_process p WHERE p.id = t.process_id)"
    ),
    "documents_task": "t.document_id",
    "documents_decision": (
        "(SELECT p.document_id FROM documents_process p WHERE p.id = t.process_id)"
    ),
    "documents_linedecision": (
        "(SELECT k.document_id FROM documents_task k WHERE k.id = t.task_id)"
    ),
    "documents_historyevent": "t.document_id",
    "documents_comment": "t.document_id",
    "documents_outboxevent": "t.document_id",
}
_CLONED_TABLES = tuple(_FAMILY)


def _clone(scale: Scale, templates: Templates) -> None:
    from django.apps import apps
    from django.db import connection, models, transaction

    template_ids = [*templates.open_ids, *templates.finished_ids]
    clones = scale.documents - len(template_ids)
    if clones <= 0:
        return
    model_by_table = {
        m._meta.db_table: m for m in apps.get_models() if m._meta.db_table in _FAMILY
    }
    with connection.cursor() as cursor:
        # Per table: the template rows' id span, so a clone's id is
        # base + clone_index * span + (old id - template's first id): unique, no joins.
        cursor.execute("DROP TABLE IF EXISTS bench_seed_span")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_seed_span "
            "(tbl text, tmpl bigint, first_id bigint, PRIMARY KEY (tbl, tmpl))"
        )
        spans: dict[str, int] = {}
        bases: dict[str, int] = {}
        for table, owner in _FAMILY.items():
            cursor.execute(
                f"INSERT INTO bench_seed_span SELECT %s, {owner}, min(t.id) "  # noqa: S608
                f"FROM {table} t WHERE {owner} = ANY(%s) GROUP BY 1, 2",
                [table, template_ids],
            )
            cursor.execute(
                f"SELECT coalesce(max(s.span), 0), (SELECT coalesce(max(id), 0) "  # noqa: S608
                f"FROM {table}) FROM (SELECT max(t.id) - min(t.id) + 1 AS span "
                f"FROM {table} t WHERE {owner} = ANY(%s) GROUP BY {owner}) s",
                [template_ids],
            )
            spans[table], bases[table] = cursor.fetchone()
        log(f"id spans per template: {spans}")

        # Per template, the first id of its rows in each table (one column each).
        families = [table for table in _FAMILY if spans[table]]
        firsts = ", ".join(
            f"max(first_id) FILTER (WHERE tbl = '{table}') AS f_{_alias(table)}"
            for table in families
        )
        cursor.execute("DROP TABLE IF EXISTS bench_seed_first")
        cursor.execute(
            f"CREATE UNLOGGED TABLE bench_seed_first AS SELECT tmpl, {firsts} "  # noqa: S608
            "FROM bench_seed_span GROUP BY tmpl"
        )
        # One row per clone: its template, its date shift, its amount factor and per
        # table the offset that turns a template row's id into the clone's:
        # base + clone index * span - template's first id + 1 (unique, no joins later).
        offsets = ", ".join(
            f"{bases[table]} + g.i * {spans[table]} - f.f_{_alias(table)} + 1 "
            f"AS o_{_alias(table)}"
            for table in families
        )
        # Every fifth document (while open ones remain) is open, spread over the ids.
        stride = max(1, scale.documents // scale.open_documents)
        open_clones = scale.open_documents - len(templates.open_ids)
        cursor.execute("DROP TABLE IF EXISTS bench_seed_map")
        cursor.execute(
            f"""
            CREATE UNLOGGED TABLE bench_seed_map AS
            SELECT g.*, {offsets} FROM (
            SELECT i,
                   CASE WHEN is_open
                        THEN (%(open)s::bigint[])[1 + (i / %(stride)s) %% %(n_open)s]
                        ELSE (%(done)s::bigint[])[1 + i %% %(n_done)s] END AS tmpl,
                   CASE WHEN is_open
                        THEN make_interval(days => ((i / %(stride)s) %% 30)::int,
                                           mins => (i %% 1440)::int)
                        ELSE make_interval(days => (30 + i %% 700)::int,
                                           mins => (i %% 1440)::int) END AS shift,
                   CASE WHEN is_open THEN ((i / %(stride)s) %% 30)::int
                        ELSE (30 + i %% 700)::int END AS shift_days,
                   1 + i %% 7 AS factor
            FROM (SELECT i, (i %% %(stride)s = 0 AND i / %(stride)s < %(open_clones)s)
                            AS is_open
                  FROM generate_series(0, %(last)s) AS i) s
            ) g JOIN bench_seed_first f ON f.tmpl = g.tmpl
            """,  # noqa: S608
            {
                "open": templates.open_ids,
                "done": templates.finished_ids,
                "n_open": len(templates.open_ids),
                "n_done": len(templates.finished_ids),
                "stride": stride,
                "open_clones": open_clones,
                "last": clones - 1,
            },
        )
        cursor.execute("ALTER TABLE bench_seed_map ADD PRIMARY KEY (i)")
        cursor.execute("ANALYZE bench_seed_map")

    statements = []
    for table, owner in _FAMILY.items():
        if not spans[table]:
            continue
        model = model_by_table[table]
        columns, expressions = [], []
        for field in model._meta.concrete_fields:
            columns.append(connection.ops.quote_name(field.column))
            expressions.append(_expression(table, field, models))
        # `t.id <= base`: only template rows (a primary-key range, never the clones).
        statements.append(
            (
                table,
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                f"SELECT {', '.join(expressions)} FROM {table} t "
                f"JOIN bench_seed_map m ON m.tmpl = {owner} "
                f"WHERE t.id <= {bases[table]} AND m.i >= %s AND m.i < %s",
            )
        )

    tables = [table for table, _ in statements]
    with timed("drop secondary indexes"):
        _indexes_drop(tables)
    chunk = 50_000
    ranges = [(lo, min(lo + chunk, clones)) for lo in range(0, clones, chunk)]
    rows: dict[str, int] = dict.fromkeys(tables, 0)
    lock = threading.Lock()
    explain = os.environ.get("BENCH_SEED_EXPLAIN") == "1"

    def load(bounds: tuple[int, int]) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # Valid by construction: no per-row foreign-key triggers.
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL default_toast_compression = lz4")
                for table, sql in statements:
                    if explain and bounds[0] == 0:
                        # BENCH_SEED_EXPLAIN=1: the plans of the first chunk (executed).
                        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", bounds)
                        plan = "\n".join(row[0] for row in cursor.fetchall())
                        log(f"{table}:\n{plan}")
                        continue
                    cursor.execute(sql, list(bounds))
                    with lock:
                        rows[table] += cursor.rowcount
        finally:
            connection.close()

    with (
        timed(f"insert clones ({len(ranges)} chunks, {_jobs()} connections)"),
        ThreadPoolExecutor(max_workers=_jobs()) as pool,
    ):
        for done, _ in enumerate(pool.map(load, ranges), start=1):
            if done % 5 == 0 or done == len(ranges):
                log(f"  {done}/{len(ranges)} chunks")
    log(f"rows cloned: {rows}")
    with timed("rebuild indexes"):
        _indexes_rebuild()

    with connection.cursor() as cursor:
        for table in _FAMILY:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cursor.execute("DROP TABLE bench_seed_map")
        cursor.execute("DROP TABLE bench_seed_first")
        cursor.execute("DROP TABLE bench_seed_span")


def _jobs() -> int:
    """Parallel connections for the bulk load (BENCH_SEED_JOBS, default 3)."""
    return max(1, int(os.environ.get("BENCH_SEED_JOBS", "3")))


_REBUILD_TABLE = "bench_seed_rebuild"


def _indexes_drop(tables: list[str]) -> None:
    """Drop the secondary indexes of `tables`, remembering how to rebuild them.

    The statements are kept in a table first, in the same transaction: if the seed dies
    before the rebuild, the next run rebuilds them before anything else.
    """
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_REBUILD_TABLE} "
            "(id serial PRIMARY KEY, tbl text NOT NULL, statement text NOT NULL)"
        )
        for table in tables:
            for statement in _secondary_indexes_drop(cursor, table):
                cursor.execute(
                    f"INSERT INTO {_REBUILD_TABLE} (tbl, statement) "  # noqa: S608
                    "VALUES (%s, %s)",
                    [table, statement],
                )


def _indexes_rebuild() -> None:
    """Run the remembered index statements, one table per connection in parallel."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [_REBUILD_TABLE])
        if cursor.fetchone()[0] is None:
            return
        cursor.execute(f"SELECT tbl, statement FROM {_REBUILD_TABLE} ORDER BY id")  # noqa: S608
        by_table: dict[str, list[str]] = {}
        for table, statement in cursor.fetchall():
            by_table.setdefault(table, []).append(statement)

    def rebuild(statements: list[str]) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    # The biggest tables first, so they do not finish last alone.
    order = sorted(by_table.values(), key=len, reverse=True)
    with ThreadPoolExecutor(max_workers=_jobs()) as pool:
        list(pool.map(rebuild, order))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {_REBUILD_TABLE}")


def _secondary_indexes_drop(cursor: Any, table: str) -> list[str]:
    """Drop every index but the primary key; return the statements that rebuild them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x'))",
        [table, table],
    )
    indexes = cursor.fetchall()
    rebuild = []
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
        rebuild.append(definition)
    return rebuild


def _alias(table: str) -> str:
    return table.removeprefix("documents_")


def _expression(table: str, field: Any, models: Any) -> str:
    """The SELECT expression that copies one column of a template row into clone m.i."""
    column = field.column
    if field.primary_key:
        return f't."{column}" + m.o_{_alias(table)}'
    if field.is_relation and field.related_model._meta.db_table in _FAMILY:
        # NULL stays NULL; a reference moves with the row it points to.
        return f't."{column}" + m.o_{_alias(field.related_model._meta.db_table)}'
    special = _SPECIAL.get((table, column))
    if special is not None:
        return special
    if isinstance(field, models.DateTimeField):
        return f't."{column}" - m.shift'
    if isinstance(field, models.DateField):
        return f't."{column}" - m.shift_days'
    if isinstance(field, models.UUIDField):
        return "gen_random_uuid()"
    return f't."{column}"'


_REFERENCE = "'B' || lpad(m.i::text, 9, '0')"

_SPECIAL: dict[tuple[str, str], str] = {
    ("documents_document", "erp_reference"): _REFERENCE,
    ("documents_document", "description"): f"'Invoice ' || {_REFERENCE}",
    ("documents_document", "gross_amount"): "t.gross_amount * m.factor",
    ("documents_document", "net_amount"): "t.net_amount * m.factor",
    ("documents_document", "vat_amount"): "t.vat_amount * m.factor",
    ("documents_line", "amount"): "t.amount * m.factor",
    # Rows one action wrote share a group: derived from the template's group.
    ("documents_historyevent", "group"): 'md5(m.i::text || t."group"::text)::uuid',
}


# --- command line ------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--documents",
        type=int,
        default=1_000_000,
        help="documents in total (default 1000000; 20000 is a quick check)",
    )
    parser.add_argument("--lines", type=int, default=10, help="lines per document")
    parser.add_argument(
        "--tasks-per-approver",
        type=int,
        default=500,
        help="open tasks of each cost-centre owner (approver0000 is the bench's)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="empty the app's tables and rebuild"
    )


def main(argv: list[str] | None = None) -> None:
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "approval_site.settings.base")
    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_arguments(parser)
    options = parser.parse_args(argv)
    django.setup()
    seed(
        Scale(
            documents=options.documents,
            lines=options.lines,
            tasks_per_approver=options.tasks_per_approver,
        ),
        reset=options.reset,
    )


if __name__ == "__main__":
    main()
