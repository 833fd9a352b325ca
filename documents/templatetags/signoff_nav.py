"""The site navigation: the approver pages, per-company administration, the switcher.

An inclusion tag rather than a context processor so only pages that draw the default
navigation read the memberships, and they share the read with the page itself
(`memberships_of` caches it on the request).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import ResolverMatch, reverse
from django.utils.translation import gettext_lazy

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
        # On a company's own pages the company bar switches companies instead.
        "companies": (
            []
            if match is not None and "company_code" in match.kwargs
            else [m.company for m in memberships]
        ),
        "selected_company": request.GET.get("company", ""),
    }


#: Where a company's pages start, per URL namespace: the switcher's target when the
#: current page is about one row (a document, a workflow) that the other company lacks.
_SECTION_HOMES = {
    "workflows": "workflows:list",
    "documents_simulator": "documents_simulator:pick",
    "documents_admin": "documents_admin:document_list",
    "orgunits": "orgunits:home",
    "erp_sync": "erp_sync:client_list",
}


def _url_kwargs(match: ResolverMatch) -> dict[str, Any]:
    """The values the URL itself carries, without a pattern's fixed extras (`kind`).

    `captured_kwargs` would say this, but stays empty under `include()`.
    """
    return {k: v for k, v in match.kwargs.items() if k not in match.extra_kwargs}


def _same_page_in(match: ResolverMatch, company_code: str) -> str:
    """This page for another company, or its section's first page when it names a row."""
    if set(_url_kwargs(match)) == {"company_code"}:
        return reverse(match.view_name, kwargs={"company_code": company_code})
    home = _SECTION_HOMES.get(match.namespace, "workflows:list")
    return reverse(home, kwargs={"company_code": company_code})


#: The company's administration sections: (label, first page, namespaces it covers).
_SECTIONS = (
    (gettext_lazy("Documents"), "documents_admin:document_list", ("document",)),
    (gettext_lazy("Tasks"), "documents_admin:task_list", ("task",)),
    (gettext_lazy("Processes"), "documents_admin:process_list", ("process",)),
    (gettext_lazy("Workflows"), "workflows:list", ("workflows", "documents_simulator")),
    (gettext_lazy("Approver setup"), "orgunits:home", ("orgunits",)),
    (gettext_lazy("ERP"), "erp_sync:client_list", ("erp_sync",)),
)


def _section_of(match: ResolverMatch) -> str:
    """The key `_SECTIONS` knows this page by: its namespace, or for the admin pages
    the first word of its URL name (document_list, task_reassign, process_list)."""
    if match.namespace == "documents_admin":
        return match.url_name.split("_", 1)[0] if match.url_name else ""
    return match.namespace


def _sections(match: ResolverMatch, company_code: str) -> list[dict[str, Any]]:
    here = _section_of(match)
    return [
        {
            "label": label,
            "url": reverse(name, kwargs={"company_code": company_code}),
            "current": here in keys,
        }
        for label, name, keys in _SECTIONS
    ]


@register.inclusion_tag("documents/_company_bar.html", takes_context=True)
def company_bar(context: template.Context) -> dict[str, Any]:
    """On a `/c/<code>/` page: the company it is about and the way to the others.

    People who oversee several companies (administrators, system viewers) switch to
    the same page of another company; the approver pages have the My tasks filter.
    """
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if (
        request is None
        or match is None
        or not request.user.is_authenticated
        or "company_code" not in match.kwargs
    ):
        return {"show": False}
    code = match.kwargs["company_code"]
    overseen = [
        m.company
        for m in memberships_of(request)
        if m.is_system_admin or m.is_system_viewer
    ]
    current = next((c for c in overseen if c.code == code), None)
    if current is None:
        return {"show": False}
    return {
        "show": True,
        "current": current,
        "sections": _sections(match, code),
        "others": [
            {"company": company, "url": _same_page_in(match, company.code)}
            for company in overseen
            if company.code != code
        ],
    }
