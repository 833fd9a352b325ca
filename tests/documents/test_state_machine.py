"""A Hypothesis state machine over the document lifecycle (RELIABILITY 15).

Random sequences of what the ERP, approvers and administrators do — submit, route,
resubmit, approve (also as a substitute), reject, forward, edit, cancel, set or end a
substitute, reassign, approve directly, resend — run against the real services and a
small model of the expected outcome. After every step the invariants are checked:

- INV-1: one document per natural key; at most one open process per document.
- INV-2: every finished process has exactly one outcome event; open ones none.
- INV-3: at most one decision per task; every status change is in the transitions map
  and has a history row about that row.
- INV-5: history rows are only ever added: none changes, none disappears.

Not modelled here (covered by their own tests): the ERP sync and the outbox relay, and
ERP up/down, which belong to the erp_sync app; routing-relevant edits (the edit rule
changes the description only, so the model stays small).

Each example runs inside its own savepoint, rolled back at the end, so examples do
not see each other. Runs on SQLite and on PostgreSQL (where the history trigger also
refuses UPDATE and DELETE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.exceptions import ApplicationError, InvalidTransition
from documents.choices import OUTCOME_EVENT_TYPES, DocumentStatus
from documents.models import (
    Decision,
    Document,
    HistoryEvent,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)
from documents.services import (
    LineInput,
    document_approve_directly,
    document_cancel,
    document_edit,
    document_receive,
    document_resend,
    document_route,
    process_advance,
    task_approve,
    task_forward,
    task_reject,
    tasks_reassign,
)
from documents.transitions import acting_relation, can_transition
from orgunits.models import Company, DocumentType, Employee, Substitution
from orgunits.services import substitution_end, substitution_set
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import CompanyFactory, EmployeeFactory, MembershipFactory
from tests.factories.workflows import named, step

pytestmark = pytest.mark.django_db

INVOICE = DocumentType.PURCHASE_INVOICE
# No workflow is active for expense claims: they are blocked at routing, which gives
# the administrator's direct decisions and resend something to act on.
EXPENSE = DocumentType.EXPENSE_CLAIM
ALL_TYPES = [INVOICE, DocumentType.TIME_SHEET, EXPENSE]
MAX_DOCUMENTS = 4
OPEN = {DocumentStatus.RECEIVED, DocumentStatus.IN_PROGRESS, DocumentStatus.BLOCKED}
RESUBMITTABLE = {DocumentStatus.REJECTED, DocumentStatus.CANCELLED}


@dataclass
class Expected:
    """What the model says about one document."""

    document_type: str
    status: str = DocumentStatus.RECEIVED
    processes: int = 0
    step: int | None = None  # the active step of an invoice in progress


@dataclass
class World:
    """One example's company: five approvers, a substitute, an administrator."""

    company: Company
    people: dict[str, Employee]
    admin: AbstractUser

    @classmethod
    def create(cls) -> World:
        company = CompanyFactory()
        people = {
            name: EmployeeFactory(company=company, name=name, rights=ALL_TYPES)
            for name in ("Anna", "Bob", "Carl", "Dora", "Eve")
        }
        admin = MembershipFactory(company=company, admin=True, approver=True).user
        # Step 1: Anna or Bob (editing allowed); step 2: Carl.
        publish_workflow(
            company,
            step(name="Manager", rules=(named(people["Anna"], people["Bob"]),)),
            step(name="Controller", rules=(named(people["Carl"]),)),
        )
        return cls(company=company, people=people, admin=admin)


def _snapshot() -> dict[tuple[str, int], str]:
    rows: dict[tuple[str, int], str] = {}
    for kind, model in (
        ("document", Document),
        ("process", Process),
        ("step", StepRun),
        ("task", Task),
    ):
        for pk, status in model.objects.values_list("pk", "status"):
            rows[(kind, pk)] = status
    return rows


def _history() -> dict[int, tuple[Any, ...]]:
    return {
        row[0]: row[1:]
        for row in HistoryEvent.objects.values_list(
            "pk",
            "action",
            "data",
            "at",
            "actor_label",
            "actor_user_id",
            "on_behalf_of_label",
            "document_id",
            "process_id",
            "group",
        )
    }


@dataclass
class Seen:
    statuses: dict[tuple[str, int], str] = field(default_factory=dict)
    history: dict[int, tuple[Any, ...]] = field(default_factory=dict)


class DocumentLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # A savepoint per example, rolled back in teardown: examples stay independent.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.world = World.create()
        self.expected: dict[str, Expected] = {}
        self.seen = Seen(statuses=_snapshot(), history=_history())
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -------------------------------------------------------------------------

    def _document(self, reference: str) -> Document:
        return Document.objects.get(company=self.world.company, erp_reference=reference)

    def _references(self, statuses: set[str] | None = None) -> list[str]:
        return sorted(
            ref
            for ref, exp in self.expected.items()
            if statuses is None or exp.status in statuses
        )

    def _receive(self, reference: str, document_type: str) -> Document:
        erp_type = "Invoice" if document_type == INVOICE else "ExpenseClaim"
        return document_receive(
            company=self.world.company,
            document_type=document_type,
            erp_document_type=erp_type,
            erp_reference=reference,
            gross_amount=Decimal("1250.00"),
            currency="EUR",
            lines=[LineInput(line_number=1, amount=Decimal("1250.00"))],
        )

    def _open_approval_tasks(self) -> list[Task]:
        return list(
            Task.objects.filter(
                company=self.world.company,
                kind=Task.Kind.APPROVAL,
                status=Task.Status.ACTIVE,
                document__status=DocumentStatus.IN_PROGRESS,
            )
            .select_related("document", "assignee", "step_run")
            .order_by("pk")
        )

    def _actors_for(self, task: Task) -> list[Employee]:
        return [
            person
            for person in self.world.people.values()
            if acting_relation(task=task, employee=person) is not None
        ]

    def _version(self, task: Task) -> int:
        return Document.objects.values_list("version", flat=True).get(
            pk=task.document_id
        )

    # --- the ERP ------------------------------------------------------------------------

    @precondition(lambda self: len(self.expected) < MAX_DOCUMENTS)
    @rule(document_type=st.sampled_from([INVOICE, INVOICE, EXPENSE]))
    def submit(self, document_type: str) -> None:
        self.counter += 1
        reference = f"R{self.counter}"
        self._receive(reference, document_type)
        self.expected[reference] = Expected(document_type=document_type)

    @precondition(lambda self: bool(self._references({DocumentStatus.RECEIVED})))
    @rule()
    def route(self) -> None:
        """The worker drains its queue: every received document is routed."""
        for reference in self._references({DocumentStatus.RECEIVED}):
            document_route(document_id=self._document(reference).pk)
            expected = self.expected[reference]
            expected.processes += 1
            if expected.document_type == INVOICE:
                expected.status, expected.step = DocumentStatus.IN_PROGRESS, 1
            else:
                expected.status = DocumentStatus.BLOCKED

    @precondition(lambda self: bool(self.expected))
    @rule(data=st.data())
    def resubmit(self, data: st.DataObject) -> None:
        reference = data.draw(st.sampled_from(self._references()))
        expected = self.expected[reference]
        if expected.status in RESUBMITTABLE:
            self._receive(reference, expected.document_type)
            expected.status, expected.step = DocumentStatus.RECEIVED, None
            return
        code = (
            "finished" if expected.status == DocumentStatus.APPROVED else "open_process"
        )
        with pytest.raises(ApplicationError) as refused:
            self._receive(reference, expected.document_type)
        assert refused.value.extra["code"] == code

    @precondition(lambda self: bool(self.expected))
    @rule(data=st.data())
    def cancel_from_erp(self, data: st.DataObject) -> None:
        reference = data.draw(st.sampled_from(self._references()))
        expected = self.expected[reference]
        document_id = self._document(reference).pk
        if expected.status in (DocumentStatus.APPROVED, DocumentStatus.REJECTED):
            with pytest.raises(ApplicationError, match="can no longer be cancelled"):
                document_cancel(document_id=document_id, actor_label="ERP")
            return
        document_cancel(document_id=document_id, actor_label="ERP")
        expected.status, expected.step = DocumentStatus.CANCELLED, None

    # --- approvers ----------------------------------------------------------------------

    @precondition(lambda self: bool(self._open_approval_tasks()))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        task = data.draw(st.sampled_from(self._open_approval_tasks()))
        actor = data.draw(st.sampled_from(self._actors_for(task)))
        expected = self.expected[task.document.erp_reference]
        assert task.step_run.position == expected.step
        assert actor.user is not None
        task_approve(
            task_id=task.pk,
            employee=actor,
            user=actor.user,
            expected_version=self._version(task),
        )
        # A second click on the same task is refused (RELIABILITY 11).
        with pytest.raises(InvalidTransition):
            task_approve(
                task_id=task.pk,
                employee=actor,
                user=actor.user,
                expected_version=self._version(task),
            )
        process_advance(process_id=task.process_id)
        if expected.step == 1:
            expected.step = 2
        else:
            expected.status, expected.step = DocumentStatus.APPROVED, None

    @precondition(lambda self: bool(self._open_approval_tasks()))
    @rule(data=st.data())
    def approve_as_a_stranger(self, data: st.DataObject) -> None:
        task = data.draw(st.sampled_from(self._open_approval_tasks()))
        strangers = [
            p for p in self.world.people.values() if p not in self._actors_for(task)
        ]
        if not strangers:
            return
        stranger = data.draw(st.sampled_from(strangers))
        assert stranger.user is not None
        with pytest.raises(InvalidTransition, match="You cannot approve this task"):
            task_approve(
                task_id=task.pk,
                employee=stranger,
                user=stranger.user,
                expected_version=self._version(task),
            )

    @precondition(lambda self: bool(self._open_approval_tasks()))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        task = data.draw(st.sampled_from(self._open_approval_tasks()))
        actor = data.draw(st.sampled_from(self._actors_for(task)))
        assert actor.user is not None
        task_reject(
            task_id=task.pk,
            employee=actor,
            user=actor.user,
            expected_version=self._version(task),
            comment="Not ours.",
        )
        expected = self.expected[task.document.erp_reference]
        expected.status, expected.step = DocumentStatus.REJECTED, None

    @precondition(lambda self: bool(self._open_approval_tasks()))
    @rule(data=st.data(), to=st.sampled_from(["Dora", "Eve", "Carl"]))
    def forward(self, data: st.DataObject, to: str) -> None:
        task = data.draw(st.sampled_from(self._open_approval_tasks()))
        actor = data.draw(st.sampled_from(self._actors_for(task)))
        recipient = self.world.people[to]
        taken = (
            Task.objects.filter(
                step_run=task.step_run, assignee=recipient, round=task.round
            )
            .exclude(status=Task.Status.CANCELLED)
            .exists()
        )
        assert actor.user is not None
        call = {
            "task_id": task.pk,
            "employee": actor,
            "user": actor.user,
            "expected_version": self._version(task),
            "to_employee": recipient,
        }
        if taken:
            with pytest.raises(ValidationError, match="already has a task"):
                task_forward(**call)
        else:
            task_forward(**call)

    @precondition(lambda self: bool(self._open_approval_tasks()))
    @rule(data=st.data())
    def edit_the_description(self, data: st.DataObject) -> None:
        """An approver edits a non-routing field: a new version, same step."""
        task = data.draw(st.sampled_from(self._open_approval_tasks()))
        actor = data.draw(st.sampled_from(self._actors_for(task)))
        assert actor.user is not None
        before = self._version(task)
        if not task.step_run.editing_allowed:
            with pytest.raises(InvalidTransition, match="cannot edit"):
                document_edit(
                    document_id=task.document_id,
                    employee=actor,
                    user=actor.user,
                    expected_version=before,
                    header={"description": f"Edited {before}"},
                    lines=None,
                )
            return
        document_edit(
            document_id=task.document_id,
            employee=actor,
            user=actor.user,
            expected_version=before,
            header={"description": f"Edited {before}"},
            lines=None,
        )
        assert self._version(task) == before + 1

    # --- substitutes and administrators -------------------------------------------------

    @rule(principal=st.sampled_from(["Anna", "Bob", "Carl"]))
    def toggle_substitute(self, principal: str) -> None:
        """Dora stands in for the principal, or stops doing so."""
        person = self.world.people[principal]
        current = Substitution.objects.active_at(timezone.now()).filter(
            principal=person
        )
        row = current.first()
        if row is not None:
            substitution_end(substitution=row, actor=self.world.admin)
            return
        # Allowed by every substitute rule (DOMAIN §5): Dora has no substitute of her
        # own and nobody stands in for her.
        substitution_set(
            company=self.world.company,
            principal=person,
            substitute=self.world.people["Dora"],
            actor=self.world.admin,
        )

    @precondition(lambda self: bool(self._open_approval_tasks()))
    @rule(data=st.data(), to=st.sampled_from(["Dora", "Eve"]))
    def reassign(self, data: st.DataObject, to: str) -> None:
        task = data.draw(st.sampled_from(self._open_approval_tasks()))
        recipient = self.world.people[to]
        busy = (
            Task.objects.filter(
                step_run=task.step_run,
                assignee=recipient,
                kind=Task.Kind.APPROVAL,
                round=task.round,
            )
            .exclude(status=Task.Status.CANCELLED)
            .exists()
        )
        call = {
            "task_ids": [task.pk],
            "to_employee": recipient,
            "admin_user": self.world.admin,
            "comment": "Covering.",
        }
        if busy:
            with pytest.raises(ValidationError):
                tasks_reassign(**call)
        else:
            (new,) = tasks_reassign(**call)
            assert new.step_run_id == task.step_run_id

    @precondition(lambda self: bool(self.expected))
    @rule(data=st.data())
    def approve_directly(self, data: st.DataObject) -> None:
        reference = data.draw(st.sampled_from(self._references()))
        expected = self.expected[reference]
        document_id = self._document(reference).pk
        if expected.status != DocumentStatus.BLOCKED:
            with pytest.raises(InvalidTransition, match="Only a blocked document"):
                document_approve_directly(
                    document_id=document_id, admin_user=self.world.admin, comment="OK"
                )
            return
        document_approve_directly(
            document_id=document_id, admin_user=self.world.admin, comment="OK"
        )
        expected.status = DocumentStatus.APPROVED

    @precondition(lambda self: bool(self._references({DocumentStatus.BLOCKED})))
    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        reference = data.draw(
            st.sampled_from(self._references({DocumentStatus.BLOCKED}))
        )
        # Still no expense workflow: it stays blocked, with the reasons recorded again.
        document_resend(
            document_id=self._document(reference).pk, admin_user=self.world.admin
        )

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def the_model_matches(self) -> None:
        for reference, expected in self.expected.items():
            document = self._document(reference)
            assert document.status == expected.status, reference
            assert document.processes.count() == expected.processes, reference
            if expected.step is not None:
                active = StepRun.objects.get(
                    process__document=document,
                    process__status=Process.Status.RUNNING,
                    status=StepRun.Status.ACTIVE,
                )
                assert active.position == expected.step, reference

    @invariant()
    def inv_1_one_document_per_key_and_one_open_process(self) -> None:
        keys = (
            Document.objects.values(
                "company", "document_type", "erp_document_type", "erp_reference"
            )
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not keys.exists()
        open_per_document = (
            Process.objects.filter(status__in=Process.OPEN_STATUSES)
            .values("document")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not open_per_document.exists()

    @invariant()
    def inv_2_one_outcome_per_finished_process(self) -> None:
        outcomes = dict(
            OutboxEvent.objects.filter(
                event_type__in=[t.value for t in OUTCOME_EVENT_TYPES],
                process__isnull=False,
            )
            .values("process")
            .annotate(n=Count("pk"))
            .values_list("process", "n")
        )
        for pk, status in Process.objects.values_list("pk", "status"):
            wanted = 0 if status in Process.OPEN_STATUSES else 1
            assert outcomes.get(pk, 0) == wanted, (pk, status)

    @invariant()
    def inv_3_and_5_transitions_decisions_and_history(self) -> None:
        assert not (
            Decision.objects.filter(task__isnull=False)
            .values("task")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .exists()
        )
        statuses, history = _snapshot(), _history()
        # INV-5: nothing written before changed or vanished.
        for pk, row in self.seen.history.items():
            assert history.get(pk) == row, pk
        added = [
            (pk, row) for pk, row in history.items() if pk not in self.seen.history
        ]
        for key, status in statuses.items():
            before = self.seen.statuses.get(key)
            if before == status:
                continue
            kind, pk = key
            if before is not None:
                assert can_transition(kind, before, status), (key, before, status)
            if before is None and status in ("planned", "received"):
                # Created in its first state (a planned task or step, a received
                # document): recorded with its creation, not as a change.
                continue
            assert any(_about(kind, pk, row) for _, row in added), (key, status)
        self.seen = Seen(statuses=statuses, history=history)


def _about(kind: str, pk: int, row: tuple[Any, ...]) -> bool:
    """Whether a new history row records a change of this row."""
    action, data, _at, _label, _user, _behalf, document_id, process_id, _group = row
    if kind == "document":
        return action.startswith("documents.document.") and document_id == pk
    if kind == "process":
        return process_id == pk
    if kind == "task":
        return action.startswith("documents.task.") and data.get("task") == pk
    step_run = StepRun.objects.get(pk=pk)
    return (
        action.startswith("documents.step.")
        and process_id == step_run.process_id
        and data.get("step") == step_run.position
    )


def test_the_document_lifecycle_keeps_its_invariants() -> None:
    run_state_machine_as_test(
        DocumentLifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
