"""The authorization matrix: every page URL × every role, and who gets through.

How to add the pages of an area
-------------------------------
1. Create `tests/authz/pages_<area>.py` exporting `PAGES: list[Page]` (the test collects
   every `pages_*.py` module of this package by itself; nothing else to register).
2. One `Page` per URL name::

       from tests.authz.matrix import ADMIN_ONLY, ALLOW, GET, POST, READ_ONLY, Page, expect

       PAGES = [
           Page(
               "workflows:limit_create",                    # the URL name, namespaced
               lambda w: {"company_code": w.company.code},  # kwargs from the World
               ADMIN_ONLY,                                  # or expect(...) / a preset
               methods=(GET, POST),                         # default: (GET,)
           ),
           Page(
               "documents:task_approve",
               lambda w: {"task_id": w.task.pk},
               expect(approver=ALLOW, viewer=READ_ONLY, admin=READ_ONLY),
               methods=(POST,),
           ),
       ]

   `expect()` starts from "signed-in people without a special right get 404, anonymous
   goes to the login page" and takes the roles that differ; presets below
   (`MEMBERS`, `CONFIG_READ`, `ADMIN_ONLY`, `SIGNED_IN`, `PUBLIC`) cover the usual cases.
3. The kwargs come from the `World` (tests/authz/conftest.py): two companies, the six
   roles, a routed document with a task for the approver, a blocked document, an
   attachment, a workflow, a limit, a substitution. A page that needs another row builds
   it in its kwargs function with the factories (`lambda w: {"pk":
   ErpClientFactory(company=w.company).pk}`): each test runs in its own savepoint, so
   it is gone afterwards. Build it in `w.company` (the approver's company): the other
   company's user must be refused because the row is not theirs. `get_data=` and
   `post_data=` (functions of the World) add a query string or a POST body when an empty
   one cannot reach the check (rarely needed).
4. Run your area only: `pytest tests/authz -k "your_namespace:"`; then the whole
   folder, whose coverage test must pass once every area has declared its pages.

The roles (`Role`, users from `World.user(role)`): APPROVER has the active task on
`w.document` (`w.task`); OTHER_APPROVER is an approver of the same company with no part
in it; OUTSIDER is an approver of `w.other_company` only; VIEWER and ADMIN are the
company's system viewer and system administrator (memberships without an employee);
ANONYMOUS is not signed in.

What the outcomes mean (checked for each method the page declares)
------------------------------------------------------------------
- ALLOW: GET 200 or a redirect elsewhere than the login page; POST 200, 302 (not to the
  login page) or 400 (an empty body is refused on the form — the request got through).
- READ_ONLY: GET as ALLOW; POST refused with 403 or 404 (viewers, overseers).
- DENY_404: 404 for every method (the page does not exist for them).
- DENY_403: 403 for every method.
- REFUSED: 403 or 404, whichever the view chooses (e.g. a form page: GET 404, POST 403).
- LOGIN: 302 to the login page (anonymous).

POSTs carry an empty body: the matrix tests who gets through, not what the action does
(each area's own tests do that). The coverage test in `test_matrix.py` fails naming every
URL of `approval_site.urls` that no `PAGES` list declares.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseBase
from django.shortcuts import resolve_url

if TYPE_CHECKING:
    from tests.authz.conftest import World

GET = "GET"
POST = "POST"


class Role(enum.StrEnum):
    APPROVER = "approver"  # has the active task on the world's document
    OTHER_APPROVER = "other_approver"  # same company and right, no part in the document
    OUTSIDER = "outsider"  # an approver of another company only
    VIEWER = "viewer"  # system viewer of the company
    ADMIN = "admin"  # system administrator of the company
    ANONYMOUS = "anonymous"


class Outcome(enum.StrEnum):
    ALLOW = "allow"
    READ_ONLY = "read_only"
    DENY_404 = "deny_404"
    DENY_403 = "deny_403"
    REFUSED = "refused"
    LOGIN = "login"

    def problem(self, method: str, response: HttpResponseBase) -> str | None:
        """Why the response does not fit this outcome, or None when it does."""
        status = response.status_code
        to_login = status == 302 and _is_login(response.get("Location", ""))
        if self == Outcome.LOGIN:
            ok = to_login
        elif self == Outcome.DENY_404:
            ok = status == 404
        elif self == Outcome.DENY_403:
            ok = status == 403
        elif self == Outcome.REFUSED or (self == Outcome.READ_ONLY and method != GET):
            ok = status in (403, 404)
        else:  # ALLOW, or READ_ONLY's GET
            passed = {GET: (200, 302), POST: (200, 302, 400)}[method]
            ok = status in passed and not to_login
        if ok:
            return None
        where = f" -> {response.get('Location')}" if status in (301, 302) else ""
        return f"expected {self.value} for {method}, got {status}{where}"


ALLOW = Outcome.ALLOW
READ_ONLY = Outcome.READ_ONLY
DENY_404 = Outcome.DENY_404
DENY_403 = Outcome.DENY_403
REFUSED = Outcome.REFUSED
LOGIN = Outcome.LOGIN


def _is_login(location: str) -> bool:
    return urlsplit(location).path == resolve_url(settings.LOGIN_URL)


Expectation = Mapping[Role, Outcome]


def expect(
    *,
    approver: Outcome = DENY_404,
    other_approver: Outcome = DENY_404,
    outsider: Outcome = DENY_404,
    viewer: Outcome = DENY_404,
    admin: Outcome = DENY_404,
    anonymous: Outcome = LOGIN,
) -> Expectation:
    """The outcome per role; unnamed signed-in roles get 404, anonymous the login page."""
    return {
        Role.APPROVER: approver,
        Role.OTHER_APPROVER: other_approver,
        Role.OUTSIDER: outsider,
        Role.VIEWER: viewer,
        Role.ADMIN: admin,
        Role.ANONYMOUS: anonymous,
    }


#: Every signed-in person (pages about oneself: My tasks, Settings...).
SIGNED_IN = expect(
    approver=ALLOW, other_approver=ALLOW, outsider=ALLOW, viewer=ALLOW, admin=ALLOW
)
#: Everyone, anonymous included (login, password reset...).
PUBLIC = {role: ALLOW for role in Role}
#: Any member of the world's company; the other company's user gets 404.
MEMBERS = expect(approver=ALLOW, other_approver=ALLOW, viewer=ALLOW, admin=ALLOW)
#: Configuration pages readable by administrators and system viewers.
CONFIG_READ = expect(viewer=ALLOW, admin=ALLOW)
#: Administrators only, GET included.
ADMIN_ONLY = expect(admin=ALLOW)


@dataclass(frozen=True)
class Page:
    """One URL of the site and who may use it."""

    url_name: str
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    expected: Expectation = field(default_factory=lambda: dict(SIGNED_IN))
    methods: tuple[str, ...] = (GET,)
    #: Query string or extra GET data; POST data (default empty).
    get_data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    post_data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    #: Tells apart two entries for one URL name (a detail page of a blocked and of a
    #: routed document, the approve and the reject action...); part of the test id.
    variant: str = ""

    @property
    def case_id(self) -> str:
        return f"{self.url_name}[{self.variant}]" if self.variant else self.url_name

    def __post_init__(self) -> None:
        missing = set(Role) - set(self.expected)
        if missing:
            raise ValueError(f"{self.url_name}: no outcome for {sorted(missing)}")
        unknown = set(self.methods) - {GET, POST}
        if unknown:
            raise ValueError(f"{self.url_name}: unknown methods {sorted(unknown)}")
