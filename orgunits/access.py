"""Who may see and change what in a company's pages: one place, one condition per line.

Company pages live under `/c/<company code>/...`; `company_view` resolves the company and the
caller's membership once and refuses everyone else with a 404, so another company's users
cannot even learn that a page exists (RELIABILITY INV-6).
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from orgunits.models import Company, Membership


class Access(StrEnum):
    MEMBER = "member"  # any role in the company
    CONFIGURATION_READ = "configuration_read"  # administrators and system viewers
    CONFIGURATION_WRITE = "configuration_write"  # administrators only


def membership_allows(membership: Membership | None, access: Access) -> bool:
    if membership is None:
        return False
    if access == Access.MEMBER:
        return True
    if access == Access.CONFIGURATION_READ:
        return membership.is_system_admin or membership.is_system_viewer
    return membership.is_system_admin


class CompanyRequest(HttpRequest):
    company: Company
    membership: Membership


def company_view(
    access: Access,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view taking `company_code`: sets `request.company` and `.membership`.

    Anonymous users go to the login page; members without the access get 404 (not 403) so
    the page does not reveal what exists.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(
            request: HttpRequest, company_code: str, *args, **kwargs
        ) -> HttpResponse:  # type: ignore[no-untyped-def]  # view signatures vary
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = (
                Membership.objects.select_related("company")
                .filter(
                    user=request.user,
                    company__code=company_code,
                    company__is_active=True,
                )
                .first()
            )
            if not membership_allows(membership, access):
                raise Http404("No such page.")
            assert membership is not None  # membership_allows() refused None above
            request.company = membership.company  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
