"""The site navigation: the approver pages, per-company administration, the switcher.

An inclusion tag rather than a context processor so only pages that draw the default
navigation read the memberships, and they share the read with the page itself
(`memberships_of` caches it on the request).
"""

from __future__ import annotations

from typing import Any

from django import template

from documents.views.common import memberships_of

register = template.Library()


@register.inclusion_tag("documents/_nav.html", takes_context=True)
def signoff_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"show": False}
    memberships = memberships_of(request)
    match = getattr(request, "resolver_match", None)
    return {
        "show": True,
        "user": request.user,
        "current": match.view_name if match is not None else "",
        "overseen": [m for m in memberships if m.is_system_admin or m.is_system_viewer],
        "companies": [m.company for m in memberships],
        "selected_company": request.GET.get("company", ""),
    }
