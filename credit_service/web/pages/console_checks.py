"""The console's credit checks, for other departments (checkers) and staff: a purpose and
up to 1,000 identifiers, one answer per line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import marshmallow as ma
from flask import Response, g, request

from credit_service.dishonesty import checks
from credit_service.errors import InvalidInput, LimitExceeded
from credit_service.identifiers import InvalidIdentifier
from credit_service.web.access import allow
from credit_service.web.api import dishonesty as dishonesty_api
from credit_service.web.api.common import accepts
from credit_service.web.i18n import translate
from credit_service.web.pages import check_csv
from credit_service.web.pages.auth import FORM_TYPES
from credit_service.web.pages.common import ctx, page, schema_errors, status_of
from credit_service.web.pages.console import bp

INVALID = InvalidIdentifier.code  # a line whose number breaks its standard (not "not found")
CHECKERS = dishonesty_api.CHECKERS  # credit checks: other departments and staff
CHECK_SCOPES = ("credit-check", "read")  # the API's: a checker's token has only the first
CHECK_OUTCOMES = ("not_eligible", "strict_review", "no_restriction", "unknown", "invalid")


@bp.get("/credit-checks")
@allow(*CHECKERS, scopes=CHECK_SCOPES)
def credit_checks() -> Response:
    """The credit-check form for other departments: a purpose and up to 1,000 identifiers."""
    return _checks_page()


@bp.post("/credit-checks")
@allow(*CHECKERS, scopes=CHECK_SCOPES)
@accepts(*FORM_TYPES)
def run_credit_checks() -> Response:
    """Check the pasted identifiers for one purpose (``checks.credit_check_batch``, which
    audits each one) and show a result per line.

    A refused form comes back with the message beside its field and what was typed; the
    results show identities as the API does for the caller (a natural person masked, D12),
    so the box is emptied once they are shown rather than echo the typed numbers back.
    """
    form = {
        "purpose": request.form.get("purpose", "").strip(),
        "identifiers": request.form.get("identifiers", ""),
    }
    numbered = [(n, line.strip()) for n, line in enumerate(form["identifiers"].splitlines(), 1)]
    numbered = [(n, line) for n, line in numbered if line]  # blank lines are skipped
    numbers = [n for n, _ in numbered]
    try:
        fields = {"purpose": form["purpose"], "identifiers": [line for _, line in numbered]}
        data = dishonesty_api.BatchCheckSchema().load({k: v for k, v in fields.items() if v})
    except ma.ValidationError as exc:
        return _checks_page(422, form=form, field_errors=_check_errors(exc.messages, numbers))
    try:
        answer = checks.credit_check_answer(ctx(), g.actor, data["identifiers"], data["purpose"])
    except InvalidInput as exc:  # a purpose not in the catalog
        return _checks_page(422, form=form, field_errors=_check_errors(exc.errors or {}, numbers))
    except LimitExceeded as exc:  # more resident IDs than the caller's lookups left today
        limited = {"identifiers": translate("console.checks.lookup_limit")}
        return _checks_page(status_of(exc), form=form, field_errors=limited)
    form = {"purpose": data["purpose"], "identifiers": ""}
    items = list(zip(numbers, answer["items"], strict=True))
    download = {"href": check_csv.href(answer, items), "filename": check_csv.filename(answer)}
    return _checks_page(form=form, items=items, answer=answer, download=download)


def _check_errors(messages: Mapping[str, Any], numbers: Sequence[int]) -> dict[str, str]:
    """The Chinese message beside each field; for identifiers, also the lines at fault
    (the schema reports a too-long identifier by its index among the non-empty lines)."""
    errors = schema_errors("console", messages)
    bad = messages.get("identifiers")
    if isinstance(bad, Mapping):
        lines = "、".join(str(numbers[int(index)]) for index in sorted(bad, key=int))
        errors["identifiers"] = translate("console.checks.bad_lines", lines=lines)
    return errors


def _checks_page(status: int = 200, **values: Any) -> Response:
    service = ctx()
    items = values.pop("items", None)
    return page(
        "console/checks.html",
        status,
        purposes=service.catalogs.purposes,
        limit=checks.BATCH_LIMIT,
        form=values.pop("form", {"purpose": "", "identifiers": ""}),
        field_errors=values.pop("field_errors", {}),
        items=items,
        summary=_check_summary(items) if items is not None else None,
        shown=checks.shown,
        items_of=service.catalogs.item,
        grounds=service.list_rules.grounds,
        **values,
    )


def _check_summary(items: Sequence[tuple[int, Mapping[str, Any]]]) -> dict[str, int]:
    """How many lines came out each way, for the line above the table."""
    counts = dict.fromkeys(CHECK_OUTCOMES, 0)
    for _, item in items:
        counts[item["conclusion"] if item["found"] else "unknown"] += 1
        counts["invalid"] += item.get("error") == INVALID
    return counts
