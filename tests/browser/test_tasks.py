"""An approver's day in the browser: approve, reject, forward, bulk approve.

Each test drives the real pages through Chromium as the people would, and checks what
the next person sees (in a context of their own) as well as the state left behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from documents.models import Document, Task
from orgunits.models import UserPreference
from tests.browser.conftest import Login, Screenshot
from tests.browser.scenario import Office, active_task, invoice


def task_row(page: Page, reference: str) -> Locator:
    """The My tasks row of the document with this ERP reference."""
    return page.get_by_role("row").filter(has_text=reference)


def messages(page: Page) -> Locator:
    """The messages the last action left (Django's messages framework)."""
    return page.locator("main .messages")


def action_form(page: Page, action: str) -> Locator:
    """The form of one task action ("approve", "reject", "forward"...)."""
    return page.locator(f"form[action$='/{action}/']")


def open_task(page: Page, reference: str) -> None:
    page.goto("/tasks/")
    task_row(page, reference).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def test_an_approval_moves_the_document_to_the_next_steps_approver(
    page: Page,
    new_page: Callable[[], Page],
    office: Office,
    login: Login,
    screenshot: Screenshot,
) -> None:
    first = invoice(office, reference="INV-1001")
    second = invoice(
        office,
        reference="INV-1002",
        supplier="Fjord Catering AS",
        description="Lunch for the board meeting",
    )
    login(page, "anna")
    open_task(page, "INV-1001")
    screenshot(page, "task-page", full_page=True)

    approve = action_form(page, "approve")
    approve.get_by_label("Comment (optional)").fill("Checked against the order.")
    approve.get_by_role("button", name="Approve").click()

    # Anna's preference is the default, "open the next task": INV-1002's page.
    expect(messages(page)).to_contain_text("Approved.")
    expect(page).to_have_url(
        re.compile(rf"/tasks/{active_task(second, office.anna).pk}/$")
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-1002")

    bob = new_page()
    login(bob, "bob")
    bob.goto("/tasks/")
    expect(task_row(bob, "INV-1001")).to_be_visible()
    expect(task_row(bob, "INV-1001")).to_contain_text("Nordic Office Supply AS")
    expect(task_row(bob, "INV-1002")).to_have_count(0)  # still at Anna's step
    task_row(bob, "INV-1001").get_by_role("link").click()
    expect(bob.get_by_role("region", name="Comments")).to_contain_text(
        "Checked against the order."
    )
    decision = bob.get_by_role("region", name="Your decision")
    expect(decision.get_by_role("button", name="Approve")).to_be_enabled()
    assert active_task(first, office.bob).step_run.name == "Controller"


def test_rejecting_needs_a_comment_and_the_comment_stays_in_the_history(
    page: Page, office: Office, login: Login
) -> None:
    document = invoice(office, reference="INV-1003")
    UserPreference.objects.create(
        user=office.anna.user, after_action=UserPreference.AfterAction.LIST
    )
    login(page, "anna")
    open_task(page, "INV-1003")
    task_url = page.url
    page.locator("summary", has_text="Reject").click()  # opens the <details>
    reason = page.get_by_label("Reason for rejecting")
    reject = page.get_by_role("button", name="Reject the document")

    # Empty: the browser itself refuses (the field is `required`) and nothing is sent.
    reject.click()
    assert reason.evaluate("field => field.validity.valueMissing") is True
    expect(page).to_have_url(task_url)

    # Blank but not empty gets past the browser: the server says what is missing.
    reason.fill("   ")
    reject.click()
    expect(page.get_by_text("A comment is required to reject.")).to_be_visible()
    assert Document.objects.get(pk=document.pk).status == Document.Status.IN_PROGRESS
    assert active_task(document, office.anna).status == Task.Status.ACTIVE

    reason = page.get_by_label("Reason for rejecting")
    reason.fill("Wrong department: this belongs to 20, please send it again.")
    page.get_by_role("button", name="Reject the document").click()

    # Anna's preference is "return to my tasks"; the document left her list.
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(messages(page)).to_contain_text(
        "Rejected. The document goes back to the ERP."
    )
    expect(task_row(page, "INV-1003")).to_have_count(0)
    assert Document.objects.get(pk=document.pk).status == Document.Status.REJECTED

    page.get_by_role("link", name="My history").click()
    row = page.get_by_role("row").filter(has_text="INV-1003")
    expect(row).to_contain_text("Rejected")
    row.get_by_role("link").click()
    expect(page.get_by_role("region", name="Comments")).to_contain_text(
        "Wrong department: this belongs to 20, please send it again."
    )
    rejected = (
        page.get_by_role("region", name="History")
        .get_by_role("row")
        .filter(has_text="Rejected")
    )
    expect(rejected.first).to_contain_text("Anna Berg")


def test_a_forwarded_task_reaches_the_other_person_marked_forwarded(
    page: Page, new_page: Callable[[], Page], office: Office, login: Login
) -> None:
    document = invoice(office, reference="INV-1004")
    login(page, "anna")
    open_task(page, "INV-1004")
    page.locator("summary", has_text="Forward").click()  # opens the <details>
    form = action_form(page, "forward")
    form.get_by_label("Forward to").select_option(label="Carl Eide (e300@example.com)")
    form.get_by_label("Comment (optional)").fill("Carl ordered this; over to you.")
    form.get_by_role("button", name="Forward").click()

    expect(messages(page)).to_contain_text("Forwarded.")
    page.goto("/tasks/")
    expect(task_row(page, "INV-1004")).to_have_count(0)

    carl = new_page()
    login(carl, "carl")
    carl.goto("/tasks/")
    row = task_row(carl, "INV-1004")
    expect(row.get_by_text("Forwarded", exact=True)).to_be_visible()
    row.get_by_role("link").click()
    expect(carl.locator(".task-head").get_by_text("Forwarded")).to_be_visible()
    expect(carl.get_by_role("region", name="Comments")).to_contain_text(
        "Carl ordered this; over to you."
    )
    assert active_task(document, office.carl).origin == "forward"


def test_bulk_approval_asks_for_confirmation_first(
    page: Page,
    new_page: Callable[[], Page],
    office: Office,
    login: Login,
    screenshot: Screenshot,
) -> None:
    invoice(office, reference="INV-2001", supplier="Nordic Office Supply AS")
    invoice(
        office,
        reference="INV-2002",
        supplier="Fjord Catering AS",
        description="Lunch for the board meeting",
        net="2400.00",
    )
    kept = invoice(
        office,
        reference="INV-2003",
        supplier="Bergen Cleaning Services",
        description="Office cleaning, March",
        net="18000.00",
    )
    login(page, "anna")
    page.goto("/tasks/")
    expect(page.get_by_role("row")).to_have_count(4)  # the header and three tasks
    screenshot(page, "my-tasks")

    page.get_by_label("Select INV-2001").check()
    page.get_by_label("Select INV-2002").check()
    page.get_by_role("button", name="Approve selected…").click()

    expect(page.get_by_role("heading", name="Approve these tasks?")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="INV-2001")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="INV-2002")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="INV-2003")).to_have_count(0)
    # Nothing is approved before the confirmation.
    assert (
        Task.objects.filter(assignee=office.anna, status=Task.Status.ACTIVE).count()
        == 3
    )

    page.get_by_role("button", name="Approve 2 tasks").click()

    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(messages(page)).to_contain_text("Approved 2 tasks.")
    expect(task_row(page, "INV-2003")).to_be_visible()
    expect(task_row(page, "INV-2001")).to_have_count(0)
    expect(task_row(page, "INV-2002")).to_have_count(0)
    assert active_task(kept, office.anna).status == Task.Status.ACTIVE

    bob = new_page()
    login(bob, "bob")
    bob.goto("/tasks/")
    expect(task_row(bob, "INV-2001")).to_be_visible()
    expect(task_row(bob, "INV-2002")).to_be_visible()
    expect(task_row(bob, "INV-2003")).to_have_count(0)
