"""The console's tier rules (administrators): edit a candidate rules file as YAML text
(it starts as ``catalogs/tiers.yaml``), see who would move by district and industry and
under which rule, then apply it with the reason.

Views on the console blueprint (``console.bp``); the app imports this module before
registering it. They call the preview and apply the API's ``/admin/tiers`` endpoints
call, for the same role: the preview writes nothing; applying makes the candidate the
rules in force and recomputes every entity, audited with the reason. The candidate
travels in the form from the preview to the apply, with its content hash: the rules
applied are the rules previewed.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, redirect, request, url_for

from credit_service.errors import CatalogError, CreditServiceError
from credit_service.tiers import services as tier_services
from credit_service.tiers.current import current_rule_set
from credit_service.tiers.definitions import RuleSet, rule_set_from_text
from credit_service.web.access import allow
from credit_service.web.api.common import accepts
from credit_service.web.i18n import translate
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, form_values, message, page
from credit_service.web.pages.console import bp

RULE_ADMINS = ("admin",)  # as /api/v1/admin/tiers/preview and /apply
REASON_LENGTH = (4, 500)
RULES_LENGTH = 200_000
NOTICE = "admin_data.tiers.notice.applied"


@bp.get("/tiers")
@allow(*RULE_ADMINS)
def tier_rules() -> Response:
    """The candidate's text, starting from the rules file, and the rules in force."""
    path = ctx().settings.catalogs_dir / "tiers.yaml"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    notice = NOTICE if request.args.get("notice") == NOTICE else None
    return _page(rules=text, notice=notice)


@bp.post("/tiers/preview")
@allow(*RULE_ADMINS)
@accepts(*FORM_TYPES)
def preview_tier_rules() -> Response:
    """Who would move, from which tier to which, by district and industry, and why (the
    rule that would decide): nothing is written."""
    form = form_values(("rules",))
    candidate, errors = _candidate(form["rules"])
    if candidate is None:
        return _page(422, rules=form["rules"], errors=errors)
    preview = tier_services.preview_rule_set(ctx(), candidate=candidate, by_rule=True)
    return _page(rules=form["rules"], candidate=candidate, preview=preview)


@bp.post("/tiers/apply")
@allow(*RULE_ADMINS)
@accepts(*FORM_TYPES)
def apply_tier_rules() -> Response:
    """Apply the previewed candidate with the reason; every entity is recomputed."""
    form = form_values(("rules", "reason", "content_hash"))
    candidate, errors = _candidate(form["rules"])
    shortest, longest = REASON_LENGTH
    if not shortest <= len(form["reason"]) <= longest:
        errors["reason"] = translate("admin_data.tiers.invalid.reason")
    if candidate is not None and candidate.content_hash != form["content_hash"]:
        errors["rules"] = translate("admin_data.tiers.invalid.changed")
    if errors or candidate is None:
        preview = (
            tier_services.preview_rule_set(ctx(), candidate=candidate, by_rule=True)
            if candidate is not None
            else None
        )
        return _page(
            422,
            rules=form["rules"],
            candidate=candidate,
            preview=preview,
            errors=errors,
            reason=form["reason"],
        )
    try:
        tier_services.apply_rule_set(ctx(), g.actor, candidate=candidate, reason=form["reason"])
    except CreditServiceError as exc:
        return _page(409, rules=form["rules"], alert=message(exc))
    return redirect(url_for(".tier_rules", notice=NOTICE), code=303)


def _candidate(text: str) -> tuple[RuleSet | None, dict[str, str]]:
    """The candidate rules from the form's text, or the error under the text box (the
    page adds the problem as the schema words it, by the file's own keys)."""
    if not text.strip() or len(text) > RULES_LENGTH:
        return None, {"rules": translate("admin_data.tiers.invalid.empty")}
    try:
        return rule_set_from_text(text), {}
    except CatalogError as exc:
        return None, {
            "rules": translate("admin_data.tiers.invalid.rules"),
            "detail": str(exc.params["problem"]),
        }


def _page(status: int = 200, **values: Any) -> Response:
    service = ctx()
    with service.read_session_factory() as session:
        current = current_rule_set(session, service)
    return page(
        "console/tiers.html",
        status,
        in_force=current[1] if current else None,
        industries=service.catalogs.industries,
        **{
            "candidate": None,
            "preview": None,
            "errors": {},
            "alert": None,
            "notice": None,
            "reason": "",
            **values,
        },
    )
