"""Keyboard use and layout on desktop and phone widths."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Login
from tests.browser.scenario import Office, active_task, invoice

#: More Tab presses than My tasks has controls before its first task link.
MAX_TABS = 40


def test_an_approver_tabs_to_a_task_and_opens_it_with_enter(
    page: Page, office: Office, login: Login
) -> None:
    document = invoice(office, reference="INV-7001")
    task = active_task(document, office.anna)
    login(page, "anna")
    page.goto("/tasks/")
    link = page.get_by_role("row").filter(has_text="INV-7001").get_by_role("link")
    expect(link).to_be_visible()

    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError(f"the task link was not reached in {MAX_TABS} Tabs")

    expect(link).to_be_focused()
    style, width = link.evaluate(
        "element => { const s = getComputedStyle(element);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    # A visible focus ring of the app's own, not the browser's thin default.
    assert style not in ("none", "hidden"), style
    assert width >= 2, width

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-7001")


def test_line_amounts_are_in_view_on_desktop_and_phone(
    page: Page, office: Office, login: Login
) -> None:
    document = invoice(office, reference="INV-7002")
    login(page, "anna")
    page.goto(f"/tasks/{active_task(document, office.anna).pk}/")
    amounts = page.locator("table.lines td[data-label='Amount']")
    expect(amounts).to_have_text(
        [re.compile(r"^6,000\.00\sNOK$"), re.compile(r"^4,000\.00\sNOK$")]
    )

    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        for index in range(2):
            # Inside the box that clips the table (its scroller), not scrolled to.
            inside = amounts.nth(index).evaluate(
                """cell => {
                    const box = (cell.closest('.table-scroll') || cell.closest('table'))
                        .getBoundingClientRect();
                    const own = cell.getBoundingClientRect();
                    return own.left >= box.left - 1 && own.right <= box.right + 1;
                }"""
            )
            assert inside, f"line {index + 1}'s amount is cut off at {size['width']} px"
