"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server.

Every test under tests/browser/ is marked `browser` automatically (the hook below), so it
skips with a reason when /usr/bin/chromium is missing and fails instead under
SIGNOFF_REQUIRE_SERVICES=1 (tests/conftest.py). The tests use the transactional test
database (pytest-django's `live_server` asks for it): what the test writes is committed,
so the server thread sees it, and the tables are emptied after each test.

How to write one (see tests/browser/test_tasks.py for complete examples)::

    from playwright.sync_api import expect

    from tests.browser.scenario import Office, invoice


    def test_something(page, office: Office, login, screenshot) -> None:
        document = invoice(office, reference="INV-7")   # routed: Anna has the task
        login(page, office.anna.user.username)          # the real login form
        page.goto("/tasks/")                            # base_url is the live server
        expect(page.get_by_role("link", name=document.supplier_name)).to_be_visible()
        screenshot(page, "my-tasks")   # my-tasks-desktop.png and my-tasks-phone.png

Fixtures:
- `page`: a fresh browser context (1280×800, en-US, base_url = the live server) and
  page per test. `new_page()` gives another one, e.g. for a second person logged in
  at the same time; all are closed after the test.
- `login(page, username, password=PASSWORD)`: logs in through the login form and waits
  until the app has left the login page. `PASSWORD` is the factories' password.
- `screenshot(page, name, *, full_page=False, reach=None)`: saves `<name>-desktop.png`
  (the page itself, 1280×800) and `<name>-phone.png` (a new 390×844 `is_mobile`
  context with the page's cookies that opens the page's URL) into SIGNOFF_SCREENSHOT_DIR,
  default var/screenshots/. A page reached by a POST (the simulator's trace) cannot be
  reopened by URL: pass `reach=callable(phone_page)` that repeats the steps.
- `dialogs`: a list of every JavaScript dialog (alert/confirm/prompt) `page` opened;
  they are dismissed. Request it before navigating.
- `office` (tests/browser/scenario.py): company "acme" with Anna (step 1), Bob (step 2),
  Carl (another invoice approver), and `admin`, an administrator; `invoice(office, ...)`
  receives a purchase invoice through `document_receive`, which routes it.
- Use Playwright's auto-waiting `expect(locator)...` assertions, never sleeps.

Celery: the tasks run eagerly (`task_always_eager`) in these tests. Approving commits,
then `transaction.on_commit` sends `advance_process` exactly as in production, and the
task body (`process_advance`) runs at once in the server thread, before the response
goes out. So when the approver's page has loaded, the next step's task exists and the
next approver sees it without polling: the browser tests assert what people see, on
SQLite and PostgreSQL alike, deterministically. What eager mode skips — the broker and
the worker process — is covered end to end by tests/documents/test_celery_worker.py
and tests/erp_sync/test_end_to_end.py (real worker, PostgreSQL, Redis).

Async safety: Playwright's sync API keeps an asyncio event loop running in the test's
thread, and Django refuses ORM calls under a running loop (SynchronousOnlyOperation).
The `browser` fixture sets DJANGO_ALLOW_ASYNC_UNSAFE=true for exactly as long as
Playwright runs (package scope: one Chromium for all browser tests, stopped after them,
so the rest of the suite keeps Django's check).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest
from django.conf import settings

from approval_site.celery import app as celery_app
from tests.browser.scenario import PASSWORD, Office, build_office
from tests.conftest import CHROMIUM

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Dialog, Page
    from pytest_django.live_server_helper import LiveServer

#: Chromium's flags on this machine: no sandbox (containers), and no background
#: connections, which the closed network refuses and which slow every launch down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: How long an expect() or an action waits (ms); the machine is small and shared.
TIMEOUT_MS = 15_000

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder `browser` (skip/fail rule in tests/conftest.py)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def screenshot_dir() -> Path:
    configured = os.environ.get("SIGNOFF_SCREENSHOT_DIR")
    return Path(configured) if configured else settings.BASE_DIR / "var" / "screenshots"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for all browser tests (never downloads a browser)."""
    from playwright.sync_api import expect, sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            expect.set_options(timeout=TIMEOUT_MS)
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield launched
            finally:
                launched.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _celery_eager() -> Iterator[None]:
    """Run Celery tasks in the sending thread (see the module docstring for why).

    The services send tasks with a robust on_commit, which logs a failing task and
    carries on; here such a failure fails the test, with the task's traceback, instead
    of surfacing later as a task that never appeared.
    """
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    failures = _Collect()
    on_commit_logger = logging.getLogger("django.db.backends.base")
    on_commit_logger.addHandler(failures)
    yield
    on_commit_logger.removeHandler(failures)
    conf.task_always_eager, conf.task_eager_propagates = saved
    if failures.records:
        formatter = logging.Formatter()
        pytest.fail(
            "a task sent on commit failed:\n"
            + "\n".join(formatter.format(record) for record in failures.records),
            pytrace=False,
        )


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator[Callable[[], Page]]:
    """A factory of fresh contexts+pages (separate cookies: a separate person)."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport=DESKTOP, locale="en-US"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every dialog `page` opens, as "type: message"; each is dismissed."""
    seen: list[str] = []

    def record(dialog: Dialog) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return seen


class Login(Protocol):
    def __call__(self, page: Page, username: str, password: str = ...) -> None: ...


@pytest.fixture
def login() -> Login:
    def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
        """Log in through the real form; returns once the app has let us in."""
        import re

        from playwright.sync_api import expect

        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    return log_in


class Screenshot(Protocol):
    def __call__(
        self,
        page: Page,
        name: str,
        *,
        full_page: bool = ...,
        reach: Callable[[Page], None] | None = ...,
    ) -> tuple[Path, Path]: ...


@pytest.fixture
def screenshot(browser: Browser, live_server: LiveServer) -> Screenshot:
    folder = screenshot_dir()

    def take(
        page: Page,
        name: str,
        *,
        full_page: bool = False,
        reach: Callable[[Page], None] | None = None,
    ) -> tuple[Path, Path]:
        """Save `<name>-desktop.png` and `<name>-phone.png`; return their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        desktop, phone = folder / f"{name}-desktop.png", folder / f"{name}-phone.png"
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=desktop, full_page=full_page, animations="disabled")

        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="en-US",
            storage_state=page.context.storage_state(),
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            mobile = context.new_page()
            mobile.goto(page.url)
            if reach is not None:
                reach(mobile)
            mobile.screenshot(path=phone, full_page=full_page, animations="disabled")
        finally:
            context.close()
        return desktop, phone

    return take


@pytest.fixture
def office(live_server: LiveServer) -> Office:
    """Company "acme": Anna approves step 1, Bob step 2; Carl; an administrator."""
    return build_office()
