"""The demo company's documents: every type in every status, with a real history.

Registered with `orgunits.demo.register_demo_loader` from `DocumentsConfig.ready()`.
Loaders run in INSTALLED_APPS order, so the demo workflows (`workflows.demo`) exist
when this one runs. Every document goes through the real services — received,
routed, approved, rejected, cancelled, resubmitted, reassigned, decided directly by
an administrator — so its history, tasks, decisions and outbox rows are exactly what
production would write.

Idempotent: a document is keyed on its ERP reference and left alone once it exists,
whatever happened to it since (someone may have approved it in the demo). The demo
company's holidays, which the task due dates count with, are upserted the same way.

What the demo workflows cannot show is left out rather than faked: every type has an
active workflow, so there is no "no active workflow" block, and every workflow has a
first step without a condition, so "all steps skipped" cannot happen either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from documents.models import Document, Task
from documents.services import (
    LineInput,
    comment_add,
    document_approve_directly,
    document_cancel,
    document_receive,
    document_route,
    process_advance,
    task_approve,
    task_reject,
    tasks_reassign,
)
from documents.services.common import user_label
from orgunits.demo import DemoSummary
from orgunits.models import CompanyHoliday, DocumentType, Employee

INVOICE = DocumentType.PURCHASE_INVOICE
TIME_SHEET = DocumentType.TIME_SHEET
EXPENSE = DocumentType.EXPENSE_CLAIM
ERP_TYPE = {INVOICE: "Invoice", TIME_SHEET: "TimeCard", EXPENSE: "ExpenseClaim"}
ADMIN_LOGIN = "admin"
ERP_LABEL = "Visma.net ERP (demo)"


# --- what happens to a document ---------------------------------------------------------


@dataclass(frozen=True)
class Approve:
    """`by` (a demo login) approves their task, or `for_login`'s as their substitute."""

    by: str
    for_login: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Reject:
    by: str
    comment: str


@dataclass(frozen=True)
class Say:
    """A public comment by a demo login."""

    by: str
    text: str


@dataclass(frozen=True)
class CancelFromErp:
    pass


@dataclass(frozen=True)
class CancelDirectly:
    """The administrator's "Cancel directly"."""


@dataclass(frozen=True)
class ApproveDirectly:
    comment: str


@dataclass(frozen=True)
class Reassign:
    """The administrator hands `from_login`'s active task to `to_login`."""

    from_login: str
    to_login: str
    comment: str


@dataclass(frozen=True)
class Resubmit:
    """The ERP sends the document again, with a new description."""

    description: str


Action = (
    Approve
    | Reject
    | Say
    | CancelFromErp
    | CancelDirectly
    | ApproveDirectly
    | Reassign
    | Resubmit
)


@dataclass(frozen=True)
class DemoLine:
    amount: str
    description: str
    segments: tuple[str, str] | None = None  # (department, cost centre) of the demo
    project: str = ""
    task: str = ""
    account: str = ""


@dataclass(frozen=True)
class DemoDocument:
    reference: str
    document_type: str
    description: str
    lines: Sequence[DemoLine]
    currency: str = "NOK"
    supplier: tuple[str, str] = ("", "")
    requester: str = ""  # employee number
    initial_approver: str = ""  # employee number, may name nobody on purpose
    department: str = ""
    branch: str = ""
    due_in_days: int | None = None
    # Routed as if on that many days ago: its tasks are due (and overdue) by now.
    routed_days_ago: int = 0
    actions: Sequence[Action] = field(default_factory=tuple)


NORDIC_OFFICE = ("50010", "Nordic Office Supply AS")
FJORD_IT = ("50020", "Fjord IT Consulting AS")
BERGEN_FREIGHT = ("50030", "Bergen Freight AS")
US_CLOUD = ("50040", "Cumulus Cloud Inc.")


def _rd(amount: str, cost_centre: str = "B", what: str = "Lab equipment") -> DemoLine:
    return DemoLine(amount, what, ("20", cost_centre), account="6540")


def _line(department: str, cost_centre: str, amount: str, what: str) -> DemoLine:
    return DemoLine(amount, what, (department, cost_centre), account="6800")


def _hours(amount: str, project: str, task: str, what: str) -> DemoLine:
    return DemoLine(amount, what, project=project, task=task)


def _expense(amount: str, what: str) -> DemoLine:
    return DemoLine(amount, what, ("20", "A"), account="7140")


DOCUMENTS: Sequence[DemoDocument] = (
    # --- purchase invoices --------------------------------------------------------------
    DemoDocument(
        "DEMO-INV-1001",
        INVOICE,
        "Office chairs and lab stools",
        lines=(_rd("3200.00"), _line("10", "A", "1800.00", "Office chairs")),
        supplier=NORDIC_OFFICE,
        due_in_days=30,
    ),
    DemoDocument(
        "DEMO-INV-1002",
        INVOICE,
        "Soldering stations",
        lines=(_rd("4500.00"),),
        supplier=NORDIC_OFFICE,
        due_in_days=30,
        actions=(Approve("alice", comment="Received and checked."),),
    ),
    DemoDocument(
        "DEMO-INV-1003",
        INVOICE,
        "Prototype housings, first batch",
        lines=(_rd("45000.00"),),
        supplier=FJORD_IT,
        department="20",
        due_in_days=30,
        actions=(Approve("alice"),),
    ),
    DemoDocument(
        "DEMO-INV-1004",
        INVOICE,
        "Warehouse shelving",
        lines=(_line("40", "A", "7800.00", "Shelving"),),
        supplier=BERGEN_FREIGHT,
        due_in_days=14,
        routed_days_ago=12,
    ),
    DemoDocument(
        "DEMO-INV-1005",
        INVOICE,
        "Printer toner and paper",
        lines=(_rd("1400.00"), _line("10", "A", "1000.00", "Paper")),
        supplier=NORDIC_OFFICE,
        due_in_days=30,
        actions=(
            Approve("alice"),
            Approve("olav", for_login="susan", comment="Approved while Susan is away."),
            Say("carina", "Booked against the office budget."),
            Approve("carina"),
        ),
    ),
    DemoDocument(
        "DEMO-INV-1006",
        INVOICE,
        "Annual audit fee",
        lines=(_line("30", "A", "15000.00", "Audit 2025"),),
        supplier=FJORD_IT,
        department="30",
        # Due in two days: no time for the controller, so the CFO alone approves and
        # the 4-eyes step asks the head of operations.
        due_in_days=2,
        actions=(Approve("cfo"), Approve("cfo"), Approve("olav")),
    ),
    DemoDocument(
        "DEMO-INV-1007",
        INVOICE,
        "Trade fair stand",
        lines=(_line("10", "C", "6200.00", "Stand rental"),),
        supplier=BERGEN_FREIGHT,
        due_in_days=30,
        actions=(Reject("susan", "Wrong cost centre; please post it to Operations."),),
    ),
    DemoDocument(
        "DEMO-INV-1008",
        INVOICE,
        "Courier services, October",
        lines=(_rd("900.00", "A", "Courier"),),
        supplier=BERGEN_FREIGHT,
        due_in_days=30,
        actions=(CancelFromErp(),),
    ),
    DemoDocument(
        "DEMO-INV-1009",
        INVOICE,
        "Sales brochures",
        lines=(_line("10", "B", "3900.00", "Brochures"),),
        supplier=NORDIC_OFFICE,
        due_in_days=30,
        actions=(
            Reject("susan", "The purchase order number is missing."),
            Resubmit("Sales brochures (PO 4711)"),
        ),
    ),
    DemoDocument(
        "DEMO-INV-1010",
        INVOICE,
        "Cloud hosting, November",
        lines=(_rd("5000.00", "A", "Hosting"),),
        currency="USD",
        supplier=US_CLOUD,
        due_in_days=30,
    ),
    DemoDocument(
        "DEMO-INV-1011",
        INVOICE,
        "Consulting, integration project",
        lines=(_rd("25000.00", "A", "Consulting hours"),),
        supplier=FJORD_IT,
        initial_approver="1099",  # a former employee, no longer in the company
        due_in_days=30,
    ),
    DemoDocument(
        "DEMO-INV-1012",
        INVOICE,
        "Forklift service",
        lines=(_line("40", "B", "8400.00", "Forklift service"),),
        supplier=BERGEN_FREIGHT,
        due_in_days=30,
        actions=(
            Reassign("olav", "cfo", "Olav is travelling this week; the CFO takes it."),
        ),
    ),
    DemoDocument(
        "DEMO-INV-1013",
        INVOICE,
        "Office cleaning, November",
        lines=(_line("40", "A", "12500.00", "Cleaning"),),
        supplier=NORDIC_OFFICE,
        initial_approver="1098",  # a former employee, no longer in the company
        due_in_days=30,
        actions=(ApproveDirectly("Recurring contract; approved by the CFO by phone."),),
    ),
    DemoDocument(
        "DEMO-INV-1014",
        INVOICE,
        "Software licence (sent twice)",
        lines=(_rd("1200.00", "A", "Licence"),),
        currency="USD",
        supplier=US_CLOUD,
        due_in_days=30,
        actions=(CancelDirectly(),),
    ),
    # --- time sheets --------------------------------------------------------------------
    DemoDocument(
        "DEMO-TS-2001",
        TIME_SHEET,
        "Week 47, Per Hansen",
        lines=(_hours("37.50", "P100", "01", "Design reviews"),),
        requester="1010",
    ),
    DemoDocument(
        "DEMO-TS-2002",
        TIME_SHEET,
        "Week 47, Kari Johansen",
        lines=(_hours("30.00", "P100", "02", "Development"),),
        requester="1011",
        actions=(Approve("alice"),),
    ),
    DemoDocument(
        "DEMO-TS-2003",
        TIME_SHEET,
        "Week 47, Lars Eriksen",
        lines=(_hours("35.00", "P300", "01", "Move planning"),),
        requester="1012",
        actions=(Approve("olav"), Approve("olav")),
    ),
    DemoDocument(
        # Susan manages the project but has no time-sheet right: her task is blocked.
        "DEMO-TS-2004",
        TIME_SHEET,
        "Week 47, Ole Kristiansen",
        lines=(_hours("20.00", "P200", "01", "Rollout planning"),),
        requester="1020",
    ),
    DemoDocument(
        "DEMO-TS-2005",
        TIME_SHEET,
        "Week 46, Lars Eriksen",
        lines=(_hours("37.50", "P300", "02", "Relocation"),),
        requester="1012",
        actions=(Approve("olav"), Approve("olav"), Approve("henry")),
    ),
    DemoDocument(
        "DEMO-TS-2006",
        TIME_SHEET,
        "Week 46, Nina Pedersen",
        lines=(_hours("45.00", "P100", "01", "Design"),),
        requester="1013",
        actions=(
            Reject("alice", "45 hours on Design is over the estimate; split it."),
        ),
    ),
    DemoDocument(
        "DEMO-TS-2007",
        TIME_SHEET,
        "Week 46, Per Hansen",
        lines=(_hours("12.00", "P100", "01", "Design"),),
        requester="1010",
        actions=(CancelFromErp(),),
    ),
    DemoDocument(
        # No project on the line: nobody manages it, and the first step is mandatory.
        "DEMO-TS-2008",
        TIME_SHEET,
        "Week 47, Marte Jensen",
        lines=(DemoLine("16.00", "Internal meetings"),),
        requester="1021",
    ),
    # --- expense claims -----------------------------------------------------------------
    DemoDocument(
        "DEMO-EXP-3001",
        EXPENSE,
        "Train tickets Oslo-Trondheim",
        lines=(_expense("2400.00", "Train tickets"),),
        requester="1012",
        department="20",
        branch="TRD",
        actions=(Approve("henry"),),
    ),
    DemoDocument(
        "DEMO-EXP-3002",
        EXPENSE,
        "Conference in Berlin",
        lines=(
            _expense("14500.00", "Flights and hotel"),
            _expense("9500.00", "Conference fee"),
        ),
        requester="1010",
        department="20",
        branch="TRD",
        actions=(Approve("henry"), Approve("olav")),
    ),
    DemoDocument(
        # The controller has no expense-claim right: that task is blocked.
        "DEMO-EXP-3003",
        EXPENSE,
        "Customer event",
        lines=(_expense("120000.00", "Venue and catering"),),
        requester="1011",
        department="20",
        branch="TRD",
        actions=(Approve("henry"), Approve("olav")),
    ),
    DemoDocument(
        "DEMO-EXP-3004",
        EXPENSE,
        "Taxi to the airport",
        lines=(_expense("650.00", "Taxi"),),
        requester="1012",
        department="20",
        branch="TRD",
        actions=(Approve("henry"), Approve("olav", comment="OK.")),
    ),
    DemoDocument(
        "DEMO-EXP-3005",
        EXPENSE,
        "Team dinner",
        lines=(_expense("8600.00", "Dinner"),),
        requester="1011",
        department="20",
        branch="TRD",
        actions=(Reject("olav", "Team dinners go through the events budget."),),
    ),
    DemoDocument(
        "DEMO-EXP-3006",
        EXPENSE,
        "Parking, October",
        lines=(_expense("300.00", "Parking"),),
        requester="1010",
        department="20",
        branch="TRD",
        actions=(CancelFromErp(),),
    ),
    DemoDocument(
        # Neither department nor branch: the first (mandatory) step finds nobody.
        "DEMO-EXP-3007",
        EXPENSE,
        "Mobile phone",
        lines=(DemoLine("4990.00", "Mobile phone"),),
        requester="1021",
    ),
)


# --- the company calendar ---------------------------------------------------------------


def norwegian_holidays(year: int) -> list[tuple[date, str]]:
    """Norway's public holidays of a year (the demo company is Norwegian).

    Two holidays on one day (Whit Monday on 17 May in 2027) make one row.
    """
    easter = _easter_sunday(year)
    names: dict[date, list[str]] = {}
    for day, name in (
        (date(year, 1, 1), "New Year's Day"),
        (easter - timedelta(days=3), "Maundy Thursday"),
        (easter - timedelta(days=2), "Good Friday"),
        (easter + timedelta(days=1), "Easter Monday"),
        (date(year, 5, 1), "Labour Day"),
        (date(year, 5, 17), "Constitution Day"),
        (easter + timedelta(days=39), "Ascension Day"),
        (easter + timedelta(days=50), "Whit Monday"),
        (date(year, 12, 25), "Christmas Day"),
        (date(year, 12, 26), "Boxing Day"),
    ):
        names.setdefault(day, []).append(name)
    return sorted((day, " / ".join(names[day])) for day in names)


def _easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * el) // 433
    month = (h + el - 7 * m + 90) // 25
    day = (h + el - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


# --- the loader -------------------------------------------------------------------------


@dataclass
class _Context:
    summary: DemoSummary
    today: date

    def employee(self, login: str) -> Employee:
        user = self.summary.users[login]
        return Employee.objects.get(company=self.summary.company, user=user)

    @property
    def admin(self) -> AbstractUser:
        return self.summary.users[ADMIN_LOGIN]


def load_demo_documents(summary: DemoSummary) -> None:
    """Ensure the demo holidays and documents; a second run writes nothing."""
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        for day, name in norwegian_holidays(year):
            summary.ensure(
                CompanyHoliday,
                company=summary.company,
                date=day,
                defaults={"name": name},
            )
    context = _Context(summary=summary, today=today)
    for spec in DOCUMENTS:
        exists = Document.objects.filter(
            company=summary.company,
            document_type=spec.document_type,
            erp_document_type=ERP_TYPE[spec.document_type],
            erp_reference=spec.reference,
        ).exists()
        if exists:
            continue
        _load(spec, context)
        summary.created += 1


def _load(spec: DemoDocument, context: _Context) -> None:
    document = _receive(spec, context, description=spec.description)
    document_route(
        document_id=document.pk,
        today=context.today - timedelta(days=spec.routed_days_ago),
    )
    for action in spec.actions:
        _run(action, spec=spec, document_id=document.pk, context=context)


def _receive(spec: DemoDocument, context: _Context, *, description: str) -> Document:
    gross = sum((Decimal(line.amount) for line in spec.lines), Decimal(0))
    lines = [
        LineInput(
            line_number=number,
            amount=Decimal(line.amount),
            description=line.description,
            account=line.account,
            subaccount_number="-".join(line.segments) if line.segments else "",
            segment_values=(
                {"1": line.segments[0], "2": line.segments[1]} if line.segments else {}
            ),
            project_code=line.project,
            task_code=line.task,
        )
        for number, line in enumerate(spec.lines, start=1)
    ]
    supplier_number, supplier_name = spec.supplier
    return document_receive(
        company=context.summary.company,
        document_type=spec.document_type,
        erp_document_type=ERP_TYPE[spec.document_type],
        erp_reference=spec.reference,
        gross_amount=gross,
        net_amount=(gross * Decimal("0.8")).quantize(Decimal("0.01")),
        vat_amount=(gross * Decimal("0.2")).quantize(Decimal("0.01")),
        currency=spec.currency,
        lines=lines,
        requester_number=spec.requester,
        initial_approver_number=spec.initial_approver,
        supplier_number=supplier_number,
        supplier_name=supplier_name,
        description=description,
        document_date=context.today,
        due_date=(
            None
            if spec.due_in_days is None
            else context.today + timedelta(days=spec.due_in_days)
        ),
        branch_code=spec.branch,
        department_code=spec.department,
        raw_payload={"referenceNumber": spec.reference, "demo": True},
        actor_label=ERP_LABEL,
    )


def _run(
    action: Action, *, spec: DemoDocument, document_id: int, context: _Context
) -> None:
    """Do one thing to the document, through the service a person or the ERP uses."""
    admin = context.admin
    if isinstance(action, Approve | Reject):
        actor = context.employee(action.by)
        assignee = context.employee(
            action.for_login
            if isinstance(action, Approve) and action.for_login
            else action.by
        )
        task = Task.objects.get(
            document_id=document_id,
            assignee=assignee,
            status=Task.Status.ACTIVE,
            kind=Task.Kind.APPROVAL,
        )
        version = Document.objects.values_list("version", flat=True).get(pk=document_id)
        if isinstance(action, Approve):
            task_approve(
                task_id=task.pk,
                employee=actor,
                user=actor.user,
                expected_version=version,
                comment=action.comment,
            )
        else:
            task_reject(
                task_id=task.pk,
                employee=actor,
                user=actor.user,
                expected_version=version,
                comment=action.comment,
            )
        # What the worker's `advance_process` does once the decision commits.
        process_advance(process_id=task.process_id, today=context.today)
    elif isinstance(action, Say):
        author = context.employee(action.by)
        comment_add(
            document_id=document_id,
            author_employee=author,
            user=author.user,
            text=action.text,
        )
    elif isinstance(action, CancelFromErp):
        document_cancel(document_id=document_id, actor_label=ERP_LABEL)
    elif isinstance(action, CancelDirectly):
        document_cancel(
            document_id=document_id, actor_label=user_label(admin), by_admin_user=admin
        )
    elif isinstance(action, ApproveDirectly):
        document_approve_directly(
            document_id=document_id, admin_user=admin, comment=action.comment
        )
    elif isinstance(action, Reassign):
        task = Task.objects.get(
            document_id=document_id,
            assignee=context.employee(action.from_login),
            status=Task.Status.ACTIVE,
        )
        tasks_reassign(
            task_ids=[task.pk],
            to_employee=context.employee(action.to_login),
            admin_user=admin,
            comment=action.comment,
            today=context.today,
        )
    else:
        resubmitted = _receive(spec, context, description=action.description)
        document_route(document_id=resubmitted.pk, today=context.today)
