"""The tier rule set in force: the applied version, parsed once per process.

Apart from ``recompute.py`` so that the tier queries and the recompute handler share it
without the services importing the handler (only the handler table does).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.tiers import repository
from credit_service.tiers.definitions import RuleSet, rule_set_from_document


def current_rule_set(session: Session, ctx: Context) -> tuple[int, RuleSet] | None:
    """The applied rule set (cached by version id: versions never change)."""
    version = repository.find_current_version(session=session)
    if version is None:
        return None
    cache = ctx.extras.setdefault("tier_rule_sets", {})
    if version.id not in cache:
        cache[version.id] = rule_set_from_document(version.document)
    return version.id, cache[version.id]
