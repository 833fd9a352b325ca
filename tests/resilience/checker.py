"""INV-1..INV-6 (RELIABILITY.md) asserted on a scenario's history, the database and
what the ERP stand-ins received. `check` raises AssertionError naming the first
broken invariant, and returns the numbers the README table reports.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from documents.choices import (
    OUTCOME_EVENT_TYPES,
    DocumentStatus,
    ProcessStatus,
    TaskStatus,
)
from documents.models import (
    Decision,
    Document,
    HistoryEvent,
    OutboxEvent,
    Process,
    Task,
)
from tests.resilience.driver import FINAL, History, Tenant
from tests.resilience.erp import ResilientErp

OUTCOME_TYPES = {str(t) for t in OUTCOME_EVENT_TYPES}
FINAL_PROCESS = {
    ProcessStatus.APPROVED,
    ProcessStatus.REJECTED,
    ProcessStatus.CANCELLED,
}
#: History actions that end a process: exactly one per finished process.
TERMINAL_ACTIONS = {
    ProcessStatus.APPROVED: "documents.document.approve",
    ProcessStatus.REJECTED: "documents.document.reject",
    ProcessStatus.CANCELLED: "documents.document.cancel",
}
STATUS_BY_TYPE = {
    "document.approved": "ApprovedInApproval",
    "document.rejected": "RejectedInApproval",
    "document.cancelled": "Canceled",
}


@dataclass
class Numbers:
    operations: int
    documents: int
    events: int
    delivered: int
    deliveries_received: int
    redeliveries_deduped: int
    duplicates_applied: int
    lost: int
    max_attempts: int

    def line(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.__dict__.items())


def wait_for_drain(
    tenants: list[Tenant], erps: dict[int, ResilientErp], timeout: float
) -> None:
    """Bounded wait until every document is final and every event sent and applied."""
    ids = [t.company_id for t in tenants]
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        try:
            documents = Document.objects.filter(company_id__in=ids)
            not_final = documents.exclude(status__in=FINAL).count()
            unsent = (
                OutboxEvent.objects.filter(company_id__in=ids)
                .exclude(status=OutboxEvent.Status.SENT)
                .count()
            )
            sent = OutboxEvent.objects.filter(
                company_id__in=ids, status=OutboxEvent.Status.SENT
            ).values_list("company_id", "event_id")
            unapplied = sum(1 for c, e in sent if str(e) not in erps[c].applied)
        except DatabaseError:
            connection.close()
            time.sleep(0.5)
            continue
        state = f"{not_final} documents not final, {unsent} events unsent, {unapplied} unapplied"
        if not_final == 0 and unsent == 0 and unapplied == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"INV-4 nothing stuck: after {timeout:.0f} s still {state}")


def check(
    *, tenants: list[Tenant], erps: dict[int, ResilientErp], history: History
) -> Numbers:
    ids = [t.company_id for t in tenants]
    by_company = {t.company_id: t for t in tenants}
    documents = list(Document.objects.filter(company_id__in=ids))
    processes = list(Process.objects.filter(company_id__in=ids))
    events = list(OutboxEvent.objects.filter(company_id__in=ids).order_by("pk"))

    # --- INV-1: one document per natural key; every acknowledged submit kept, once.
    keys = Counter(
        (d.company_id, d.erp_document_type, d.erp_reference) for d in documents
    )
    doubled = {k: n for k, n in keys.items() if n > 1}
    assert not doubled, f"INV-1 documents doubled: {doubled}"
    open_processes = Counter(
        p.document_id for p in processes if p.status not in FINAL_PROCESS
    )
    assert all(n <= 1 for n in open_processes.values()), "INV-1 two open processes"
    public_ids = {str(d.public_id): d for d in documents}
    submitted = {(op.target, op.document) for op in history.ops if op.kind == "submit"}
    failed = [op for op in history.ops if op.kind == "submit" and op.outcome != "202"]
    assert not failed, f"submits without a definitive 202: {failed[:5]}"
    lost_documents = [ref for ref, pid in submitted if pid not in public_ids]
    assert not lost_documents, f"INV-1 acknowledged but lost: {lost_documents[:10]}"
    assert len(documents) == len(submitted), (
        f"INV-1 {len(documents)} documents for {len(submitted)} submissions"
    )
    first_id = {ref: pid for ref, pid in submitted}
    for op in history.ops:
        if op.kind == "resubmit":
            assert op.document == first_id[op.target], (
                f"INV-1 the replay of {op.target} answered another document"
            )

    # --- INV-2: one outcome event per finished process, each applied exactly once.
    # Keyed by (document, process): a document cancelled before it was routed has
    # no process, and its one outcome is the cancellation.
    outcome_events: dict[tuple[int, int | None], list[OutboxEvent]] = defaultdict(list)
    for event in events:
        if event.event_type in OUTCOME_TYPES:
            outcome_events[(event.document_id, event.process_id)].append(event)
    finished: set[tuple[int, int | None]] = {
        (p.document_id, p.pk) for p in processes if p.status in FINAL_PROCESS
    }
    routed = {p.document_id for p in processes}
    finished |= {
        (d.pk, None)
        for d in documents
        if d.pk not in routed and d.status == DocumentStatus.CANCELLED
    }
    unexpected = set(outcome_events) - finished
    assert not unexpected, f"INV-2 outcome events of unfinished processes: {unexpected}"
    lost = sum(1 for key in finished if not outcome_events.get(key))
    duplicates = sum(max(0, len(v) - 1) for v in outcome_events.values())
    applied_total = 0
    received_total = 0
    max_attempts = 0
    for event in events:
        erp = erps[event.company_id]
        event_id = str(event.event_id)
        if erp.applied[event_id] != 1:
            lost += 1
        applied_total += erp.applied[event_id]
        max_attempts = max(max_attempts, event.attempts)
    # What the ERP applied, read from its side: per document, the final outcomes whose
    # webhook-id it applied. Two would be a duplicate even under distinct webhook-ids
    # (which the receiver's dedupe cannot catch); none for a final document is a loss.
    final_statuses = set(STATUS_BY_TYPE.values())
    applied_outcomes: Counter[str] = Counter()
    for erp in erps.values():
        received_total += len(erp.received)
        assert all(n <= 1 for n in erp.applied.values()), "INV-2 applied twice"
        payloads = {r.webhook_id: r.payload for r in erp.received if r.valid}
        for webhook_id in erp.applied:
            document = payloads[webhook_id]["document"]
            if document["approvalStatus"] in final_statuses:
                applied_outcomes[document["id"]] += 1
    duplicates += sum(n - 1 for n in applied_outcomes.values() if n > 1)
    lost += sum(
        1
        for d in documents
        if d.status in FINAL and applied_outcomes[str(d.public_id)] == 0
    )
    assert lost == 0, f"INV-2 {lost} outcomes lost (not in outbox or not applied)"
    assert duplicates == 0, f"INV-2 {duplicates} outcomes applied twice"

    # The pushed outcome says what happened; a document's events arrive in order.
    for (event,) in outcome_events.values():
        assert (
            event.payload["document"]["approvalStatus"]
            == STATUS_BY_TYPE[event.event_type]
        ), f"INV-2 event {event.event_id} says {event.payload['document']}"
    for company_id, erp in erps.items():
        first_applied: dict[str, int] = {}
        for index, received in enumerate(erp.received):
            first_applied.setdefault(received.webhook_id, index)
        per_document: dict[int, list[int]] = defaultdict(list)
        for event in events:
            if event.company_id == company_id:
                per_document[event.document_id].append(
                    first_applied.get(str(event.event_id), -1)
                )
        for document_id, order in per_document.items():
            assert order == sorted(order), (
                f"events of document {document_id} reached the ERP out of order"
            )

    # --- INV-3: one decision per task, one history row per state change.
    decisions = Counter(
        Decision.objects.filter(process__company_id__in=ids).values_list(
            "task_id", flat=True
        )
    )
    assert all(n == 1 for n in decisions.values()), "INV-3 a task decided twice"
    rows = Counter(
        HistoryEvent.objects.filter(document__company_id__in=ids).values_list(
            "process_id", "action"
        )
    )
    decision_counts = Counter(
        Decision.objects.filter(process__company_id__in=ids).values_list(
            "process_id", "action"
        )
    )
    for process in processes:
        if process.status in FINAL_PROCESS:
            terminal = TERMINAL_ACTIONS[process.status]
            assert rows[(process.pk, terminal)] == 1, (
                f"INV-3 process {process.pk} ({process.status}) has "
                f"{rows[(process.pk, terminal)]} '{terminal}' rows"
            )
            others = set(TERMINAL_ACTIONS.values()) - {terminal}
            assert not any(rows[(process.pk, a)] for a in others), (
                f"INV-3 process {process.pk} ended two ways"
            )
        for action in ("approve", "reject"):
            assert (
                rows[(process.pk, f"documents.task.{action}")]
                == decision_counts[(process.pk, action)]
            ), f"INV-3 process {process.pk}: {action} decisions and history differ"
    route_rows = Counter(
        HistoryEvent.objects.filter(
            document__company_id__in=ids, action="documents.document.route"
        ).values_list("document_id", flat=True)
    )
    process_count = Counter(p.document_id for p in processes)
    assert route_rows == process_count, "INV-3 a document routed twice or not at all"

    # --- INV-4: nothing stuck.
    now = timezone.now()
    not_final = [d.erp_reference for d in documents if d.status not in FINAL]
    assert not not_final, f"INV-4 documents stuck: {not_final[:10]}"
    stuck = [
        e.pk
        for e in events
        if e.status != OutboxEvent.Status.SENT
        or (e.leased_until is not None and e.leased_until > now)
    ]
    assert not stuck, f"INV-4 events unsent or still leased: {stuck[:10]}"
    open_tasks = Task.objects.filter(
        company_id__in=ids,
        status__in=[TaskStatus.ACTIVE, TaskStatus.PLANNED, TaskStatus.BLOCKED],
    ).count()
    assert open_tasks == 0, f"INV-4 {open_tasks} open tasks on finished documents"

    # --- INV-5: history is append-only in the database.
    row = HistoryEvent.objects.filter(document__company_id__in=ids).first()
    assert row is not None
    for statement in (
        "UPDATE documents_historyevent SET action = 'tampered' WHERE id = %s",
        "DELETE FROM documents_historyevent WHERE id = %s",
    ):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [row.pk])
        except DatabaseError:
            continue
        raise AssertionError(f"INV-5 the database allowed: {statement}")

    # --- INV-6: each ERP got only its own company's documents, correctly signed.
    for company_id, erp in erps.items():
        own = set(by_company[company_id].documents.values())
        for received in erp.received:
            assert received.valid, "INV-6 a push signed with another secret"
            assert received.payload["document"]["id"] in own, (
                "INV-6 a push of another company's document"
            )

    return Numbers(
        operations=len(history.ops),
        documents=len(documents),
        events=len(events),
        delivered=applied_total,
        deliveries_received=received_total,
        redeliveries_deduped=sum(
            n - 1 for erp in erps.values() for n in erp.raw_applies.values()
        ),
        duplicates_applied=duplicates,
        lost=lost,
        max_attempts=max_attempts,
    )


REPORT = Path(__file__).resolve().parents[2] / "var" / "resilience" / "report.json"
#: One line per scenario for the terminal summary (conftest.py prints them).
SUMMARY: list[str] = []


def _fault_count(faults: dict[str, Any]) -> int:
    """Faults injected: the counters of injected events (not the observations such as
    API answers, outage length or messages lost with a flush)."""
    observations = {
        "api_answers",
        "approver_db_errors",
        "outage_seconds",
        "simulated_outage_minutes",
        "messages_flushed",
        "redis_queued_before_restart",
    }
    return sum(
        v for k, v in faults.items() if k not in observations and isinstance(v, int)
    )


def report(name: str, numbers: Numbers, faults: dict[str, Any], seconds: float) -> None:
    """One line per scenario on stdout (shown with -s / in the captured output), and
    the same numbers in var/resilience/report.json, one entry per scenario (the
    latest run of each)."""
    injected = ", ".join(f"{k}={v}" for k, v in faults.items())
    print(
        f"\nRESILIENCE {name}: {numbers.line()}; faults: {injected}; "
        f"runtime={seconds:.0f}s"
    )
    SUMMARY.append(
        f"{name}: operations={numbers.operations} faults={_fault_count(faults)} "
        f"delivered={numbers.delivered} duplicates_applied={numbers.duplicates_applied} "
        f"lost={numbers.lost} ({seconds:.0f} s)"
    )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    try:
        entries = json.loads(REPORT.read_text())
    except (OSError, ValueError):
        entries = {}
    entries[name] = {
        **asdict(numbers),
        "faults": faults,
        "runtime_seconds": round(seconds, 1),
        "finished_at": timezone.now().isoformat(timespec="seconds"),
    }
    REPORT.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
