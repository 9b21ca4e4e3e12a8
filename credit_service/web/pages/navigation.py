"""The menus of the three audiences, and where each role lands after signing in.

An entry shows only when its page exists and the caller's role may open it (the same
access declaration that guards the page), so a menu never offers a page that would
answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request, url_for

from credit_service.access import PUBLIC, Actor
from credit_service.web.access import rule_for

MENUS: dict[str, tuple[tuple[str, str], ...]] = {
    "public": (
        ("public_pages.home", "nav.home"),
        ("public_pages.list_page", "nav.list"),
        ("public_pages.notices_page", "nav.notices"),
        ("public_pages.inspections_page", "nav.inspections"),
        ("public_pages.trustworthy_page", "nav.trustworthy"),
        ("public_pages.catalogs_page", "nav.catalogs"),
        ("public_pages.statistics_page", "nav.statistics"),
    ),
    "enterprise": (
        ("enterprise_pages.overview", "nav.enterprise.overview"),
        ("enterprise_pages.applications", "nav.enterprise.applications"),
        ("enterprise_pages.objections_list", "nav.enterprise.objections"),
        ("enterprise_pages.credit_reports", "nav.enterprise.credit_reports"),
    ),
    "console": (
        ("console_pages.dashboard", "nav.console.dashboard"),
        ("console_pages.entities", "nav.console.entities"),
        ("console_pages.cases", "nav.console.cases"),
        ("operations_pages.repairs", "nav.console.repairs"),
        ("console_pages.objections_queue", "nav.console.objections"),
        ("operations_pages.inspections", "nav.console.inspections"),
        ("operations_pages.sync", "nav.console.sync"),
        ("console_pages.imports", "nav.console.imports"),
        ("console_pages.tier_rules", "nav.console.tiers"),
        ("console_pages.audit_trail", "nav.console.audit"),
        ("console_pages.bindings_queue", "nav.console.bindings"),
        ("console_pages.users", "nav.console.users"),
        ("console_pages.tokens_page", "nav.console.tokens"),
        # at the end for staff; the first entry, so the landing page, for a checker
        ("console_pages.credit_checks", "nav.console.credit_checks"),
        ("console_pages.credit_reports_console", "nav.console.credit_reports"),
    ),
}


@dataclass(frozen=True)
class MenuItem:
    url: str
    label: str
    current: bool


def menu(area: str) -> list[MenuItem]:
    """The entries of a menu that the current caller may open."""
    actor = caller()
    items = []
    for endpoint, label in MENUS[area]:
        rule = rule_for(current_app, endpoint, "GET")
        if rule is None or not (rule.is_public or actor.role in rule.roles):
            continue
        items.append(MenuItem(url_for(endpoint), label, request.endpoint == endpoint))
    return items


def caller() -> Actor:
    """The caller, or the public on an error page answered before the caller was known
    (a request refused by the hardening checks that run before access control)."""
    return g.get("actor") or PUBLIC


def signed_in_area() -> str | None:
    """Which signed-in menu the caller has: the enterprise portal or the console."""
    actor = caller()
    if actor.is_anonymous:
        return None
    return "enterprise" if actor.role == "enterprise" else "console"


def landing_url() -> str:
    """Where the caller starts: an enterprise in its portal, staff (and a checker, whose
    only console page is the credit check) on the console's first page they may open, any
    other role on its account page."""
    area = signed_in_area()
    allowed = menu(area) if area else []
    return allowed[0].url if allowed else url_for("auth_pages.account")
