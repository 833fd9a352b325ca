"""The workflow simulator in the browser: an administrator routes a hypothetical invoice."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Login, Screenshot
from tests.browser.scenario import WORKFLOW_NAME, Office


def simulate_an_invoice(page: Page) -> None:
    """Fill the simulator with a 48 000 NOK invoice of department 10 and run it."""
    document = page.get_by_role("group", name="The document")
    document.get_by_label("Gross amount").fill("48000")
    document.get_by_label("Currency").fill("NOK")
    document.get_by_label("Department").first.fill("10")  # the header's
    page.get_by_role("button", name="Simulate").first.click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()


def test_an_administrator_sees_who_would_approve_a_hypothetical_invoice(
    page: Page, office: Office, login: Login, screenshot: Screenshot
) -> None:
    login(page, "admin")
    page.goto(f"/c/{office.company.code}/workflows/")
    page.get_by_role("link", name=WORKFLOW_NAME).click()
    page.get_by_role("link", name="Simulate", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Simulate “{WORKFLOW_NAME}”"
    )

    simulate_an_invoice(page)

    expect(page.get_by_text("The workflow is established")).to_be_visible()
    steps = page.locator(".sim-steps > li")
    expect(steps).to_have_count(2)
    expect(steps.nth(0).get_by_role("heading")).to_contain_text("Manager")
    expect(steps.nth(0).get_by_role("cell", name="Anna Berg (E100)")).to_be_visible()
    expect(steps.nth(1).get_by_role("heading")).to_contain_text("Controller")
    expect(steps.nth(1).get_by_role("cell", name="Bob Dahl (E200)")).to_be_visible()
    expect(steps.nth(1)).not_to_contain_text("Anna Berg")
    screenshot(page, "simulator", reach=simulate_an_invoice)
