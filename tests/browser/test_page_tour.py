"""Every page of the approver and the administrator, at desktop and phone width.

Each page must load, fit the screen (no sideways scrolling of the whole page: wide
tables scroll inside their own box or become cards) and is saved as a screenshot,
so the set under SIGNOFF_SCREENSHOT_DIR shows the whole site. The data gives My tasks
every marker (overdue, soon overdue, on behalf of, forwarded, reassigned) and the
task page an image attachment, so the screenshots show them too.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from documents.models import Document, Task
from documents.services import attachment_add, task_forward, tasks_reassign
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    Login,
    screenshot_dir,
)
from tests.browser.scenario import Office, active_task, invoice
from tests.factories.orgunits import (
    CompanyFactory,
    MembershipFactory,
    SubstitutionFactory,
)


def receipt_png(width: int = 360, height: int = 220) -> bytes:
    """A real PNG (a pale receipt with grey text bars), built without an image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = []
    for y in range(height):
        bar = y % 28 in range(10, 18) and 20 <= y < height - 20
        row = bytearray([0])  # filter: none
        for x in range(width):
            ink = bar and 24 <= x < width - 24 - (y * 7) % 120
            row += bytes((90, 98, 110) if ink else (250, 248, 240))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def marked_tasks(office: Office) -> Document:
    """Anna's list with every marker; returns the document whose page shows a receipt."""
    today = timezone.localdate()
    shown = invoice(office, reference="INV-3001", supplier="Nordic Office Supply AS")
    attachment_add(
        document_id=shown.pk,
        employee_or_none=office.anna,
        user=office.anna.user,
        file=ContentFile(receipt_png()),
        filename="receipt.png",
        content_type="image/png",
    )
    late = invoice(
        office,
        reference="INV-3002",
        supplier="Fjord Catering AS",
        description="Lunch for the board meeting",
        net="2400.00",
    )
    Task.objects.filter(pk=active_task(late, office.anna).pk).update(
        due_date=today - timedelta(days=3)
    )
    soon = invoice(
        office,
        reference="INV-3003",
        supplier="Bergen Cleaning Services",
        description="Office cleaning, March",
        net="18000.00",
    )
    Task.objects.filter(pk=active_task(soon, office.anna).pk).update(due_date=today)
    # Carl's tasks reach Anna as his substitute: one forwarded to him, one reassigned.
    SubstitutionFactory(
        company=office.company, principal=office.carl, substitute=office.anna
    )
    forwarded = invoice(
        office, reference="INV-3004", supplier="Tromsø Taxi", net="640.00"
    )
    task = active_task(forwarded, office.anna)
    task_forward(
        task_id=task.pk,
        employee=office.anna,
        user=office.anna.user,
        expected_version=Document.objects.get(pk=forwarded.pk).version,
        to_employee=office.carl,
        comment="Carl took this taxi.",
    )
    reassigned = invoice(
        office, reference="INV-3005", supplier="Lofoten Print AS", net="5200.00"
    )
    tasks_reassign(
        task_ids=[active_task(reassigned, office.anna).pk],
        to_employee=office.carl,
        admin_user=office.admin,
        comment="Carl runs the print budget.",
    )
    return shown


def fits(page: Page) -> int:
    """How far the page scrolls sideways (0 when it fits its viewport)."""
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth"
        )
    )


def visit_all(
    browser: Browser,
    live_server: LiveServer,
    page: Page,
    pages: list[tuple[str, str]],
) -> None:
    """Open each (name, url) at desktop width in `page` and at phone width in a phone
    context with the same login; check it fits; save both screenshots."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    phone_context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        storage_state=page.context.storage_state(),
    )
    phone_context.set_default_timeout(TIMEOUT_MS)
    phone = phone_context.new_page()
    problems = []
    try:
        for name, url in pages:
            for width, viewer in (("desktop", page), ("phone", phone)):
                if viewer is page:
                    page.set_viewport_size(DESKTOP)
                response = viewer.goto(url)
                assert response is not None, (url, width)
                assert response.ok, (url, width, response.status)
                expect(viewer.get_by_role("heading", level=1)).to_be_visible()
                overflow = fits(viewer)
                if overflow > 1:
                    problems.append(f"{url} scrolls {overflow}px sideways ({width})")
                viewer.screenshot(
                    path=folder / f"{name}-{width}.png",
                    full_page=True,
                    animations="disabled",
                )
    finally:
        phone_context.close()
    assert not problems, "\n".join(problems)


def test_every_approver_page_fits_desktop_and_phone(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    office: Office,
    login: Login,
) -> None:
    shown = marked_tasks(office)
    login(page, "anna")
    page.goto("/tasks/")
    rows = page.locator("table.task-list tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text="INV-3002").get_by_text("Overdue")).to_be_visible()
    expect(rows.filter(has_text="INV-3003").get_by_text("Soon overdue")).to_be_visible()
    carls = rows.filter(has_text="INV-3004")
    expect(carls.get_by_text("On behalf of Carl Eide")).to_be_visible()
    expect(carls.get_by_text("Forwarded")).to_be_visible()
    expect(rows.filter(has_text="INV-3005").get_by_text("Reassigned")).to_be_visible()

    task_url = f"/tasks/{active_task(shown, office.anna).pk}/"
    page.goto(task_url)
    receipt = page.get_by_role("img", name="receipt.png")
    receipt.scroll_into_view_if_needed()
    # Served and decoded as an image (lazy loading: wait for it, not a fixed time).
    width = receipt.evaluate("image => image.decode().then(() => image.naturalWidth)")
    assert width == 360

    visit_all(
        browser,
        live_server,
        page,
        [
            ("tour-my-tasks", "/tasks/"),
            ("tour-task-page", task_url),
            ("tour-my-history", "/history/"),
            ("tour-settings", "/settings/"),
        ],
    )


def _company_pages(code: str, document: Document) -> list[tuple[str, str]]:
    def url(name: str, **kwargs: int) -> str:
        return reverse(name, kwargs={"company_code": code, **kwargs})

    workflow_id = document.processes.get().workflow_version.workflow_id
    return [
        ("tour-admin-documents", url("documents_admin:document_list")),
        (
            "tour-admin-document",
            url("documents_admin:document_detail", document_id=document.pk),
        ),
        ("tour-admin-tasks", url("documents_admin:task_list")),
        ("tour-admin-processes", url("documents_admin:process_list")),
        ("tour-workflows", url("workflows:list")),
        ("tour-workflow", url("workflows:detail", pk=workflow_id)),
        ("tour-workflow-limits", url("workflows:limits")),
        ("tour-workflow-changes", url("workflows:changes")),
        ("tour-simulate-documents", url("documents_simulator:pick")),
        ("tour-setup", url("orgunits:home")),
        ("tour-setup-roles", url("orgunits:role_list")),
        ("tour-setup-cost-unit-types", url("orgunits:cost_unit_types")),
        ("tour-setup-combinations", url("orgunits:combination_list")),
        ("tour-setup-exceptions", url("orgunits:exception_list")),
        ("tour-setup-departments", url("orgunits:department_list")),
        ("tour-setup-projects", url("orgunits:project_list")),
        ("tour-setup-branches", url("orgunits:branch_list")),
        ("tour-setup-substitutes", url("orgunits:substitution_list")),
        ("tour-setup-due-dates", url("orgunits:due_dates")),
        ("tour-erp-clients", url("erp_sync:client_list")),
        ("tour-erp-deliveries", url("erp_sync:delivery_list")),
    ]


def test_every_administrator_page_fits_desktop_and_phone(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    office: Office,
    login: Login,
) -> None:
    document = marked_tasks(office)
    login(page, "admin")
    visit_all(browser, live_server, page, _company_pages(office.company.code, document))


def test_an_administrator_of_two_companies_switches_to_the_same_page(
    page: Page, office: Office, login: Login
) -> None:
    other = CompanyFactory(code="nordlys", name="Nordlys AS")
    MembershipFactory(company=other, user=office.admin, admin=True)
    document = invoice(office, reference="INV-3101")
    login(page, "admin")
    page.goto(f"/c/{office.company.code}/admin/tasks/")
    bar = page.get_by_role("navigation", name="Administration of Acme AS")
    expect(bar.get_by_role("link", name="Tasks")).to_have_attribute(
        "aria-current", "true"
    )

    bar.get_by_text("Switch company").click()
    bar.get_by_role("link", name="Nordlys AS").click()
    expect(page).to_have_url(re.compile(r"/c/nordlys/admin/tasks/$"))
    expect(
        page.get_by_role("navigation", name="Administration of Nordlys AS")
    ).to_be_visible()

    # A page about one row of the first company goes to the section's first page.
    page.goto(f"/c/{office.company.code}/admin/documents/{document.pk}/")
    page.get_by_text("Switch company").click()
    page.get_by_role("link", name="Nordlys AS").click()
    expect(page).to_have_url(re.compile(r"/c/nordlys/admin/documents/$"))
