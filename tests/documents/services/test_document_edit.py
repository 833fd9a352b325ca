"""document_edit: header and line edits, recalculation and re-approval (§1.5, §2 r5–r6)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.exceptions import InvalidTransition, StaleVersion
from documents.choices import (
    DocumentStatus,
    ProcessStatus,
    StepRunStatus,
    TaskStatus,
)
from documents.models import (
    Document,
    HistoryEvent,
    Line,
    OutboxEvent,
    Process,
    StepRun,
    Task,
)
from documents.services import LineInput, document_edit
from orgunits.models import ApproverRole, Company, Employee
from tests.documents.conftest import (
    active_tasks,
    approve_and_advance,
    current,
    person,
    received_and_routed,
    task_of,
)
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import (
    ApproverRoleFactory,
    EmployeeFactory,
    MembershipFactory,
    SubstitutionFactory,
    combination,
    routing_types,
)
from tests.factories.workflows import named, rule, step
from workflows.models import CompletionPolicy, StepCondition, StepRuleKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel("2026-03-11 10:00 +01:00", tick=False):
        yield


def edit(
    document: Document,
    editor: Employee,
    *,
    header: Mapping[str, Any] | None = None,
    lines: Mapping[int, Mapping[str, Any]] | None = None,
    as_admin: bool = False,
    version: int | None = None,
) -> Document:
    return document_edit(
        document_id=document.pk,
        employee=editor,
        user=editor.user,
        expected_version=current(document).version if version is None else version,
        header=header,
        lines=lines,
        as_admin=as_admin,
    )


def step_status(document: Document, position: int) -> str:
    return StepRun.objects.get(process__document=document, position=position).status


def open_assignees(document: Document, position: int) -> list[str]:
    return sorted(
        Task.objects.filter(
            document=document,
            step_run__position=position,
            status__in=Task.OPEN_STATUSES,
        ).values_list("assignee__name", flat=True)
    )


def history(document: Document, action: str) -> list[HistoryEvent]:
    return list(
        HistoryEvent.objects.filter(document=document, action=action).order_by("pk")
    )


# --- plain edits -----------------------------------------------------------------------


@pytest.fixture
def plain(company):
    henry, dave = person(company, "Henry"), person(company, "Dave")
    publish_workflow(
        company,
        step(name="Check", rules=(named(henry),), editing_allowed=True),
        step(name="CFO", rules=(named(dave),)),
    )
    document = received_and_routed(
        company,
        description="Office chairs",
        lines=[
            LineInput(line_number=1, amount=Decimal(100), description="Chair"),
            LineInput(line_number=2, amount=Decimal(50), description="Desk"),
        ],
    )
    return document, henry, dave


def test_an_edit_saves_each_field_with_before_and_after_and_a_new_version(
    plain,
) -> None:
    document, henry, _dave = plain
    version = current(document).version

    edit(
        document,
        henry,
        header={"description": " Office chairs, blue ", "document_date": "2026-03-02"},
        lines={1: {"description": "Chair, blue", "account": "6540"}},
    )

    document = current(document)
    assert document.description == "Office chairs, blue"
    assert document.document_date == date(2026, 3, 2)
    assert document.version == version + 1
    line = Line.objects.get(document=document, line_number=1)
    assert (line.description, line.account, line.edited) == (
        "Chair, blue",
        "6540",
        True,
    )
    assert Line.objects.get(document=document, line_number=2).edited is False
    assert [
        (e.data["field"], e.data["before"], e.data["after"])
        for e in history(document, "documents.document.edit")
    ] == [
        ("description", "Office chairs", "Office chairs, blue"),
        ("document_date", None, "2026-03-02"),
    ]
    line_rows = history(document, "documents.line.edit")
    assert [
        (e.data["line"], e.data["field"], e.data["before"], e.data["after"])
        for e in line_rows
    ] == [(1, "description", "Chair", "Chair, blue"), (1, "account", "", "6540")]
    assert {e.data["step"] for e in line_rows} == {1}
    assert {e.actor_label for e in line_rows} == {f"Henry ({henry.number})"}
    # Nothing routing-relevant changed: no recalculation.
    assert history(document, "documents.process.recalculate") == []


def test_the_outcome_tells_the_erp_which_line_fields_changed(plain) -> None:
    document, henry, dave = plain
    edit(document, henry, lines={1: {"description": "Chair, red"}})
    edit(document, henry, lines={1: {"description": "Chair, blue", "amount": "90"}})
    approve_and_advance(task_of(document, henry))
    approve_and_advance(task_of(document, dave))

    payload = OutboxEvent.objects.get(document=document).payload
    assert [
        (line["lineNumber"], line["edited"], line["changes"])
        for line in payload["lines"]
    ] == [
        (1, True, {"description": "Chair, blue", "amount": "90.00"}),
        (2, False, {}),
    ]


def test_an_edit_without_a_change_writes_nothing(plain) -> None:
    document, henry, _dave = plain
    before = (current(document).version, HistoryEvent.objects.count())

    edit(document, henry, header={"description": "Office chairs"}, lines={2: {}})

    assert (current(document).version, HistoryEvent.objects.count()) == before


def test_editing_needs_a_step_that_allows_it(company) -> None:
    henry = person(company, "Henry")
    publish_workflow(company, step(rules=(named(henry),)))
    document = received_and_routed(company, description="Chairs")

    with pytest.raises(InvalidTransition, match="You cannot edit this document now"):
        edit(document, henry, header={"description": "Tables"})

    assert current(document).description == "Chairs"


def test_only_the_people_of_the_active_step_may_edit(plain) -> None:
    document, _henry, dave = plain
    with pytest.raises(InvalidTransition, match="You cannot edit this document now"):
        edit(document, dave, header={"description": "Tables"})
    assert current(document).description == "Office chairs"


def test_a_substitute_edits_on_behalf_of_the_approver(plain, company) -> None:
    document, henry, _dave = plain
    sara = person(company, "Sara")
    SubstitutionFactory(principal=henry, substitute=sara)

    edit(document, sara, header={"description": "Tables"})

    event = history(document, "documents.document.edit")[0]
    assert event.actor_label == f"Sara ({sara.number})"
    assert event.on_behalf_of_label == f"Henry ({henry.number})"


@pytest.mark.parametrize(
    ("header", "lines", "message"),
    [
        ({"gross_amount": "1"}, None, "These fields cannot be edited: gross_amount"),
        (None, {1: {"line_number": 7}}, "these fields cannot be edited: line_number"),
        ({"due_date": "next week"}, None, "invalid date format"),
        (None, {1: {"amount": "a lot"}}, "must be a decimal number"),
        (None, {9: {"description": "x"}}, "There is no line 9"),
        (None, {1: {"segment_values": {"x": "10"}}}, "'x' is not a segment id"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    plain, header, lines, message: str
) -> None:
    document, henry, _dave = plain
    before = (current(document).version, HistoryEvent.objects.count())

    with pytest.raises(ValidationError, match=message):
        edit(document, henry, header=header, lines=lines)

    assert (current(document).version, HistoryEvent.objects.count()) == before


def test_an_edit_from_a_stale_page_is_refused(plain) -> None:
    document, henry, _dave = plain
    with pytest.raises(StaleVersion, match="The document changed since you opened it"):
        edit(
            document,
            henry,
            header={"description": "Tables"},
            version=current(document).version - 1,
        )
    assert current(document).description == "Office chairs"


# --- whose lines ------------------------------------------------------------------------


@pytest.fixture
def owners(company):
    """A line-approval step with editing: Anna owns lines 1-2, Bob line 3."""
    anna, bob, carl = (person(company, n) for n in ("Anna", "Bob", "Carl"))
    role = ApproverRoleFactory(company=company, name="Owner")
    routing_types(company, "Department")
    combination(company, role, anna, {"Department": "10"})
    combination(company, role, bob, {"Department": "20"})
    publish_workflow(
        company,
        step(
            name="Owners",
            line_approval=True,
            editing_allowed=True,
            rules=(rule(StepRuleKind.COST_UNIT, role),),
        ),
        step(name="Final", rules=(named(carl),)),
    )
    document = received_and_routed(
        company,
        lines=[
            LineInput(line_number=n, amount=Decimal(10), segment_values={"1": d})
            for n, d in ((1, "10"), (2, "10"), (3, "20"))
        ],
    )
    return document, anna, bob


def test_an_approver_edits_only_the_lines_routed_to_them(owners) -> None:
    document, anna, _bob = owners
    with pytest.raises(
        ValidationError, match="You can only edit your own lines, not line 3"
    ):
        edit(document, anna, lines={2: {"description": "ok"}, 3: {"description": "x"}})
    assert not Line.objects.filter(edited=True).exists()

    edit(document, anna, lines={2: {"description": "ok"}})

    assert list(
        Line.objects.filter(edited=True).values_list("line_number", flat=True)
    ) == [2]


def test_an_administrator_edits_every_line_whatever_the_step_allows(
    company,
) -> None:
    henry = person(company, "Henry")
    publish_workflow(company, step(rules=(named(henry),)))
    document = received_and_routed(
        company, lines=[LineInput(line_number=1, amount=Decimal(10))]
    )
    ada = EmployeeFactory(company=company, name="Ada", with_login=True)
    MembershipFactory(company=company, user=ada.user, admin=True)

    edit(document, ada, lines={1: {"description": "Fixed"}}, as_admin=True)

    assert Line.objects.get().description == "Fixed"
    with pytest.raises(InvalidTransition, match="You cannot edit this document now"):
        edit(document, henry, lines={1: {"description": "Mine"}}, as_admin=True)


# --- recalculation of later steps (FAQ: Henry changes Business unit Alpha→Charlie) -----


@dataclass
class Faq:
    company: Company
    role: ApproverRole
    henry: Employee
    susan: Employee
    carina: Employee


@pytest.fixture
def faq(company) -> Faq:
    henry, susan, carina = (person(company, n) for n in ("Henry", "Susan", "Carina"))
    role = ApproverRoleFactory(company=company, name="Unit manager")
    routing_types(company, "Business unit")
    combination(company, role, susan, {"Business unit": "Alpha"})
    combination(company, role, carina, {"Business unit": "Charlie"})
    return Faq(company, role, henry, susan, carina)


def unit_line(unit: str) -> list[LineInput]:
    return [LineInput(line_number=1, amount=Decimal(100), segment_values={"1": unit})]


def test_faq_changing_the_business_unit_replaces_susan_by_carina_in_step_2(
    faq,
) -> None:
    publish_workflow(
        faq.company,
        step(name="Henry", rules=(named(faq.henry),), editing_allowed=True),
        step(name="Unit", rules=(rule(StepRuleKind.COST_UNIT, faq.role),)),
    )
    document = received_and_routed(faq.company, lines=unit_line("Alpha"))
    susan_task = Task.objects.get(document=document, assignee=faq.susan)
    assert susan_task.status == TaskStatus.PLANNED

    edit(document, faq.henry, lines={1: {"segment_values": {"1": "Charlie"}}})

    susan_task.refresh_from_db()
    assert susan_task.status == TaskStatus.CANCELLED
    assert susan_task.closed_reason == "no longer an approver after the edit by Henry"
    assert open_assignees(document, 2) == ["Carina"]
    assert Task.objects.get(document=document, assignee=faq.carina).status == "planned"
    # No re-approval: Henry is still deciding step 1.
    assert [t.assignee for t in active_tasks(document)] == [faq.henry]
    summary = history(document, "documents.process.recalculate")[0].data
    assert summary == {
        "edited_step": 1,
        "reapproval_steps": [],
        "steps": [
            {"step": 2, "outcome": "route", "added": ["Carina"], "removed": ["Susan"]}
        ],
    }
    assert Line.objects.get().segment_values == {"1": "Charlie"}

    approve_and_advance(task_of(document, faq.henry))

    assert [t.assignee for t in active_tasks(document)] == [faq.carina]


def test_an_edit_that_changes_no_approver_keeps_the_planned_tasks(faq) -> None:
    publish_workflow(
        faq.company,
        step(name="Henry", rules=(named(faq.henry),), editing_allowed=True),
        step(name="Unit", rules=(rule(StepRuleKind.COST_UNIT, faq.role),)),
    )
    document = received_and_routed(faq.company, lines=unit_line("Alpha"))
    susan_task = Task.objects.get(document=document, assignee=faq.susan)

    edit(document, faq.henry, lines={1: {"amount": "120.00"}})

    assert Task.objects.get(pk=susan_task.pk).status == TaskStatus.PLANNED
    assert open_assignees(document, 2) == ["Susan"]


def test_a_due_date_edit_can_make_a_skipped_step_apply(company) -> None:
    henry, ursula = person(company, "Henry"), person(company, "Ursula")
    publish_workflow(
        company,
        step(name="Henry", rules=(named(henry),), editing_allowed=True),
        step(
            name="Urgent",
            rules=(named(ursula),),
            condition_kind=StepCondition.DUE_IN_DAYS_BELOW,
            days=3,
        ),
    )
    document = received_and_routed(company, due_date=date(2026, 4, 30))
    assert step_status(document, 2) == StepRunStatus.SKIPPED

    edit(document, henry, header={"due_date": date(2026, 3, 12)})

    assert step_status(document, 2) == StepRunStatus.PLANNED
    assert open_assignees(document, 2) == ["Ursula"]
    assert len(history(document, "documents.step.plan")) == 1
    approve_and_advance(task_of(document, henry))
    assert [t.assignee for t in active_tasks(document)] == [ursula]


def test_an_unresolvable_mandatory_step_blocks_the_document(faq) -> None:
    publish_workflow(
        faq.company,
        step(name="Henry", rules=(named(faq.henry),), editing_allowed=True),
        step(name="Unit", rules=(rule(StepRuleKind.COST_UNIT, faq.role),)),
    )
    document = received_and_routed(faq.company, lines=unit_line("Alpha"))
    version = current(document).version

    edit(document, faq.henry, lines={1: {"segment_values": {"1": "Delta"}}})

    document = current(document)
    assert document.status == DocumentStatus.BLOCKED
    assert document.blocked_reason == (
        'After the edit by Henry, Step 2 "Unit": no approver found for a mandatory step'
    )
    process = Process.objects.get(document=document)
    assert process.status == ProcessStatus.BLOCKED
    assert process.blocked_reason == document.blocked_reason
    # The edit stands; nothing was re-planned.
    assert Line.objects.get().segment_values == {"1": "Delta"}
    assert open_assignees(document, 2) == ["Susan"]
    assert document.version == version + 1
    assert len(history(document, "documents.process.block")) == 1
    assert history(document, "documents.process.recalculate") == []


# --- re-approval --------------------------------------------------------------------------


def test_an_edit_in_the_first_step_never_causes_re_approval(company) -> None:
    henry, dave = person(company, "Henry"), person(company, "Dave")
    publish_workflow(
        company,
        step(
            name="Henry",
            rules=(named(henry),),
            editing_allowed=True,
            reapprove_changes=True,
        ),
        step(name="Dave", rules=(named(dave),)),
    )
    document = received_and_routed(company, department_code="D1")

    edit(document, henry, header={"department_code": "D2"})

    assert step_status(document, 1) == StepRunStatus.ACTIVE
    assert [t.assignee for t in active_tasks(document)] == [henry]
    assert history(document, "documents.step.reapprove") == []
    assert history(document, "documents.step.send_back") == []


def test_a_non_routing_edit_in_a_later_step_needs_no_re_approval(company) -> None:
    alma, erik = person(company, "Alma"), person(company, "Erik")
    publish_workflow(
        company,
        step(name="One", rules=(named(alma),), reapprove_changes=True),
        step(name="Two", rules=(named(erik),), editing_allowed=True),
    )
    document = received_and_routed(company, description="Chairs")
    approve_and_advance(task_of(document, alma))

    edit(document, erik, header={"description": "Tables"})

    assert [t.assignee for t in active_tasks(document)] == [erik]
    assert step_status(document, 1) == StepRunStatus.COMPLETED


@pytest.fixture
def four_steps(company):
    """One (re-approve), Two (no option), Three (re-approve), Four (edits)."""
    alma, bert, cleo, erik = (
        person(company, n) for n in ("Alma", "Bert", "Cleo", "Erik")
    )
    publish_workflow(
        company,
        step(name="One", rules=(named(alma),), reapprove_changes=True),
        step(name="Two", rules=(named(bert),)),
        step(name="Three", rules=(named(cleo),), reapprove_changes=True),
        step(name="Four", rules=(named(erik),), editing_allowed=True),
    )
    document = received_and_routed(company, department_code="D1")
    for approver in (alma, bert, cleo):
        approve_and_advance(task_of(document, approver))
    return document, alma, bert, cleo, erik


def test_re_approval_goes_back_to_the_earliest_step_with_the_option_only(
    four_steps,
) -> None:
    document, alma, bert, cleo, erik = four_steps
    erik_task = task_of(document, erik)
    version = current(document).version

    edit(document, erik, header={"department_code": "D2"})

    assert [step_status(document, n) for n in (1, 2, 3, 4)] == [
        "active",
        "completed",
        "planned",
        "planned",
    ]
    first = StepRun.objects.get(process__document=document, position=1)
    assert first.round == 2
    alma_again = task_of(document, alma)
    assert alma_again.reapproval_reason == "Document changed by Erik in step 4"
    assert alma_again.round == 2
    assert open_assignees(document, 2) == []
    assert open_assignees(document, 3) == ["Cleo"]
    assert open_assignees(document, 4) == ["Erik"]
    erik_task.refresh_from_db()
    assert erik_task.status == TaskStatus.CANCELLED
    assert erik_task.closed_reason == (
        "Document changed by Erik in step 4; step 1 approves it again first"
    )
    assert [e.data["step"] for e in history(document, "documents.step.reapprove")] == [
        1,
        3,
    ]
    assert current(document).version == version + 1

    # The earlier round's decision no longer counts; the new one does, and the flow
    # goes on to the next step that re-approves, then back to the edited step.
    approve_and_advance(alma_again)
    assert [t.assignee for t in active_tasks(document)] == [cleo]
    approve_and_advance(task_of(document, cleo))
    assert [t.assignee for t in active_tasks(document)] == [erik]
    assert (
        not Task.objects.filter(document=document, assignee=bert)
        .exclude(status=TaskStatus.COMPLETED)
        .exists()
    )
    approve_and_advance(task_of(document, erik))
    assert current(document).status == DocumentStatus.APPROVED


def test_re_approval_asks_the_step_s_current_approvers(faq) -> None:
    """The re-approving step is re-planned too: the new unit's manager approves."""
    publish_workflow(
        faq.company,
        step(
            name="Unit",
            rules=(rule(StepRuleKind.COST_UNIT, faq.role),),
            reapprove_changes=True,
        ),
        step(name="Henry", rules=(named(faq.henry),), editing_allowed=True),
    )
    document = received_and_routed(faq.company, lines=unit_line("Alpha"))
    approve_and_advance(task_of(document, faq.susan))

    edit(document, faq.henry, lines={1: {"segment_values": {"1": "Charlie"}}})

    assert [t.assignee for t in active_tasks(document)] == [faq.carina]
    assert task_of(document, faq.carina).reapproval_reason == (
        "Document changed by Henry in step 2"
    )
    assert open_assignees(document, 2) == ["Henry"]


def test_a_decided_approval_in_the_edited_step_is_not_asked_again(company) -> None:
    """An "all" step: Ann approved before Erik's edit sent the step back."""
    alma, ann, erik = (person(company, n) for n in ("Alma", "Ann", "Erik"))
    publish_workflow(
        company,
        step(name="One", rules=(named(alma),), reapprove_changes=True),
        step(
            name="Two",
            rules=(named(ann, erik),),
            editing_allowed=True,
            completion_policy=CompletionPolicy.ALL,
        ),
    )
    document = received_and_routed(company, department_code="D1")
    approve_and_advance(task_of(document, alma))
    approve_and_advance(task_of(document, ann))

    edit(document, erik, header={"department_code": "D2"})
    approve_and_advance(task_of(document, alma))

    # Ann's approval of step 2 still counts; only Erik is asked.
    assert [t.assignee for t in active_tasks(document)] == [erik]
    approve_and_advance(task_of(document, erik))
    assert current(document).status == DocumentStatus.APPROVED


def test_re_approval_is_asked_even_when_approvers_of_earlier_steps_are_skipped(
    company,
) -> None:
    """The workflow option skips a step whose people approved an EARLIER step; a
    step's own earlier round is not earlier, so the re-approval is still asked."""
    alma, erik = person(company, "Alma"), person(company, "Erik")
    publish_workflow(
        company,
        step(name="One", rules=(named(alma),), reapprove_changes=True),
        step(name="Two", rules=(named(erik),), editing_allowed=True),
        skip_when_already_approved=True,
    )
    document = received_and_routed(company, department_code="D1")
    approve_and_advance(task_of(document, alma))

    edit(document, erik, header={"department_code": "D2"})

    assert step_status(document, 1) == StepRunStatus.ACTIVE
    assert [t.assignee for t in active_tasks(document)] == [alma]
