"""Text from the ERP is shown as text: a supplier name holding markup runs nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Login
from tests.browser.scenario import Office, active_task, invoice

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_a_supplier_name_with_markup_renders_as_text(
    page: Page, dialogs: list[str], office: Office, login: Login
) -> None:
    document = invoice(
        office, reference="INV-6666", supplier=PAYLOAD, description=PAYLOAD
    )
    login(page, "anna")

    page.goto("/tasks/")
    row = page.get_by_role("row").filter(has_text="INV-6666")
    expect(row.get_by_role("link", name=PAYLOAD, exact=True)).to_be_visible()
    expect(row.get_by_text(PAYLOAD, exact=True)).to_have_count(2)  # link, description
    expect(page.locator("main img, main script")).to_have_count(0)

    row.get_by_role("link").click()
    task = active_task(document, office.anna)
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    expect(page.locator(".task-head .task-party")).to_have_text(PAYLOAD)
    expect(page.locator("main").get_by_text(PAYLOAD, exact=True).first).to_be_visible()
    expect(page.locator("main img, main script")).to_have_count(0)

    # An onerror would have fired while the page loaded; a script as it was parsed.
    page.wait_for_load_state("load")
    assert dialogs == []
