"""How values the core keeps read on a page: kept errors, tier rules and the causes of
tier changes, in Chinese words rather than the codes and phrases stored with them.

The core stores some of these as English phrases for its own logs (a tier change's
cause: ``record 12 filed``, ``records imported``); the page says them through
``console.cause.*`` until the core records them as codes. A phrase the table does not
know shows as it is stored, and the page-language test names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from credit_service.errors import read_stored
from credit_service.tiers.definitions import RuleSet
from credit_service.tiers.rules import OVERRIDE_RULE
from credit_service.web.error_text import field_error, legacy_text
from credit_service.web.i18n import DEFAULT_LANGUAGE, translate

CAUSES = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"record (?P<id>\d+) filed", "record_filed"),
        (r"record (?P<id>\d+) corrected", "record_corrected"),
        (r"record (?P<id>\d+) revoked", "record_revoked"),
        (r"record (?P<id>\d+) repaired", "record_repaired"),
        (r"record (?P<id>\d+) repaired elsewhere", "record_repaired_elsewhere"),
        (r"record (?P<id>\d+) revoked elsewhere", "record_revoked_elsewhere"),
        (r"record (?P<id>\d+) published again( elsewhere)?", "record_published_again"),
        (r"record (?P<id>\d+) purged", "record_purged"),
        (r"listing (?P<id>\d+) added", "listing_added"),
        (r"listing (?P<id>\d+) removed", "listing_removed"),
        (r"repair (?P<id>\d+) revoked", "repair_revoked"),
        (r"override (?P<id>\d+)", "override"),
        (r"override (?P<id>\d+) revoked", "override_revoked"),
        (r"rule set (?P<label>.+) applied", "rule_set_applied"),
        (r"publicity ended", "publicity_ended"),
        (r"records imported", "records_imported"),
        (r"entities imported", "entities_imported"),
        (r"entity registered", "entity_registered"),
        (r"(nightly: )?time passed", "time_passed"),
        (r"demo stories", "demo"),
    )
)


def tier_cause(cause: str | None) -> str:
    """Why a tier was computed again, in words (``record 12 filed``: 登记信用信息（第12号）);
    the facts of one transaction, kept joined by "; ", each in words."""
    if not cause:
        return "—"
    return translate("public.separator").join(_fact(fact) for fact in cause.split("; "))


def _fact(fact: str) -> str:
    for pattern, key in CAUSES:
        found = pattern.fullmatch(fact)
        if found:
            return translate(f"console.cause.{key}", **found.groupdict())
    return fact


def tier_rule(rule_id: str | None, rules: RuleSet) -> str:
    """The rule that decided a tier, by its description in the rules in force (an
    administrator's override, or a rule no longer in force, by its kind)."""
    if rule_id == OVERRIDE_RULE:
        return translate("console.tier.override_rule")
    rule = rules.rule(rule_id or "")
    return rule.description if rule else translate("console.tier.former_rule")


def stored_words(text: str | None, platforms: Mapping[str, str] | None = None) -> str | None:
    """A kept error (a quarantined row's reason, a job's failure, a platform's refusal)
    in Chinese: kept as ``{"code": ..., **params}``, it reads as ``error.<code>``, a
    platform it names by the platform's name (``platforms``: id to name); a reason kept
    as text before errors had codes reads as its Chinese half. None when the text is
    neither (a remote platform's or a job's own output, shown as it came)."""
    record = read_stored(text)
    if record is None:
        return None
    if record["code"] == "stored-text":
        return legacy_text(record["text"], DEFAULT_LANGUAGE)
    platform = record.get("platform")
    if platforms and platform in platforms:
        record = {**record, "platform": platforms[platform]}
    return field_error(record, DEFAULT_LANGUAGE)


def error_words(entry: Any) -> str:
    """A per-item error of a service's answer (a code, or ``{"code": ...}``) in Chinese."""
    return field_error(entry, DEFAULT_LANGUAGE)


TEMPLATE_GLOBALS = {
    "error_words": error_words,
    "stored_words": stored_words,
    "tier_cause": tier_cause,
    "tier_rule": tier_rule,
}
