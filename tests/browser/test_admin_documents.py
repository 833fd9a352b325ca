"""An administrator resolves a blocked document in the browser.

The invoice's first step takes the approver of its department, and the Sales
department has none, so routing blocks it. The administrator finds it in the document
overview (the Blocked tab says why and what to fix), sets the missing department
approver in the setup pages, opens the document, sends it again after checking the
resolved workflow in the preview, and the department's approver gets the task.
"""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import Page, expect

from documents.models import Document
from documents.services import LineInput
from tests.browser.conftest import Login, Screenshot
from tests.browser.scenario import Office, active_task, invoice
from tests.factories.documents import publish_workflow
from tests.factories.orgunits import ApproverRoleFactory, DepartmentFactory
from tests.factories.workflows import named, rule, step
from workflows.models import StepRuleKind


def test_an_administrator_resolves_a_blocked_document(
    page: Page, office: Office, login: Login, screenshot: Screenshot
) -> None:
    role = ApproverRoleFactory(company=office.company, name="Department manager")
    sales = DepartmentFactory(company=office.company, code="SALES", name="Sales")
    publish_workflow(
        office.company,
        step(
            position=1,
            name="Department",
            rules=(rule(StepRuleKind.DEPARTMENT, role),),
        ),
        step(position=2, name="Controller", rules=(named(office.bob),)),
    )
    blocked = invoice(
        office,
        reference="INV-2001",
        supplier="Sales Fair AS",
        department_code="SALES",
        lines=(
            LineInput(
                line_number=1,
                amount=Decimal("10000.00"),
                description="Stand at the fair",
                department_code="SALES",
            ),
        ),
    )
    invoice(office, reference="INV-2002", supplier="Other Supplier AS")
    blocked.refresh_from_db()
    assert blocked.status == Document.Status.BLOCKED
    reason = blocked.blocked_reason
    assert reason

    login(page, "admin")
    page.goto("/c/acme/admin/documents/")
    page.get_by_role("link", name="Blocked 2").click()
    row = page.get_by_role("row").filter(has_text="INV-2001")
    expect(row).to_contain_text(reason.splitlines()[0])
    expect(row).to_contain_text("To fix:")
    screenshot(page, "admin-document-overview", full_page=True)

    # The fix: Sales gets its department manager (the setup pages).
    page.goto("/c/acme/setup/departments/new/")
    page.get_by_label("Department", exact=True).select_option(str(sales.pk))
    page.get_by_label("Role", exact=True).select_option(str(role.pk))
    page.get_by_label("Approver", exact=True).select_option(str(office.carl.pk))
    page.get_by_role("button", name="Save").click()

    page.goto("/c/acme/admin/documents/?status=blocked")
    page.get_by_role("row").filter(has_text="INV-2001").get_by_role(
        "link", name="Resolve…"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-2001")
    screenshot(page, "admin-document-blocked", full_page=True)
    page.get_by_role("link", name="Send for approval again…").click()

    panel = page.get_by_role("region", name="Workflow")
    expect(panel).to_contain_text("Department")
    expect(panel).to_contain_text("Carl Eide")
    expect(panel).to_contain_text("Controller")
    expect(page.get_by_text("It would still be blocked")).to_have_count(0)
    screenshot(page, "admin-resend-preview", full_page=True)
    page.get_by_role("button", name="Send for approval").click()

    expect(page.get_by_role("status")).to_contain_text("Sent for approval")
    expect(page.locator(".badge-status-in_progress").first).to_be_visible()
    task = active_task(blocked, office.carl)
    assert task.step_run.name == "Department"
    blocked.refresh_from_db()
    assert (blocked.status, blocked.blocked_reason) == (Document.Status.IN_PROGRESS, "")
