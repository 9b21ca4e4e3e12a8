"""Credit-report rules (D21): the canonical form that is signed, the report number, the
holder code, and what changed between a report and its content recomputed today. Pure.

The canonical form is the JSON text of the content with sorted keys, no spaces and UTF-8
characters as they are (no ``\\u`` escapes): the bytes that are hashed and signed, and the
text that is stored, so that a verifier re-reads exactly what was signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

NUMBER_PREFIX = "XCXY"
NUMBER_PATTERN = r"XCXY-\d{4}-\d{6}"
HOLDER_CODE_LENGTH = 8
# Letters and digits that cannot be mistaken for one another when typed from paper.
HOLDER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SCHEMA = "credit-report/1"
# What the comparison looks at: each section's rows by id, and the state that matters.
OPEN_OBJECTION_STATES = ("received", "accepted", "supplement_requested")


def canonical_json(content: Mapping[str, Any]) -> str:
    """The signed text of ``content`` (dates must already be ISO strings)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def report_number(year: int, sequence: int) -> str:
    """XCXY-2026-000123: the yearly sequence, six digits."""
    return f"{NUMBER_PREFIX}-{year}-{sequence:06d}"


def holder_code(mac: Callable[[bytes], str], number: str) -> str:
    """The short code printed on a report, derived from its number under the signing
    key's MAC secret: the service can print it again on every download of the report,
    and nobody without the secret can compute it from the number."""
    digest = bytes.fromhex(mac(b"credit-report holder code\x00" + number.encode("ascii")))
    value = int.from_bytes(digest[:8], "big")
    letters = []
    for _ in range(HOLDER_CODE_LENGTH):
        value, index = divmod(value, len(HOLDER_ALPHABET))
        letters.append(HOLDER_ALPHABET[index])
    return "".join(letters)


def normalise_code(typed: str) -> str:
    """A code as a person types it: case, spaces and dashes do not matter."""
    return "".join(c for c in typed.upper() if c not in " -\t")


def code_hash(mac: Callable[[bytes], str], code: str) -> str:
    """What the row keeps of the holder code (an HMAC: the code itself is never stored)."""
    return mac(b"credit-report holder code hash\x00" + normalise_code(code).encode("utf-8"))


def masked_requester(username: str) -> str:
    """An account name as the public verification shows it: two characters and stars."""
    return username[:2] + "*" * max(3, len(username) - 2)


def _by_id(rows: Iterable[Mapping[str, Any]]) -> dict[Any, Mapping[str, Any]]:
    return {row["id"]: row for row in rows}


def _ref(row: Mapping[str, Any], *keys: str) -> str:
    return next((str(row[k]) for k in keys if row.get(k)), str(row.get("id")))


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What changed between a report's content and the same report computed today: each
    change a kind (a word of the locale ``credit_reports.change.<kind>``) and a reference
    the holder can find on the report (a document number, an objection's number)."""
    out: list[dict[str, Any]] = []
    for section, added, ended in (
        ("records", "record_added", "record_ended"),
        ("trustworthy", "trustworthy_added", "trustworthy_ended"),
    ):
        before, after = _by_id(old.get(section, [])), _by_id(new.get(section, []))
        out += [
            {"kind": added, "ref": _ref(r, "source_ref"), "name": r.get("item_name")}
            for i, r in after.items()
            if i not in before
        ]
        out += [
            {"kind": ended, "ref": _ref(r, "source_ref"), "name": r.get("item_name")}
            for i, r in before.items()
            if i not in after
        ]
    out += _listing_changes(_by_id(old.get("listings", [])), _by_id(new.get("listings", [])))
    out += _objection_changes(_by_id(old.get("objections", [])), _by_id(new.get("objections", [])))
    out += _repair_changes(_by_id(old.get("repairs", [])), _by_id(new.get("repairs", [])))
    return out


def _listing_changes(
    before: Mapping[Any, Mapping[str, Any]], after: Mapping[Any, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for i, row in after.items():
        was = before.get(i)
        if row["status"] == "in_force" and (was is None or was["status"] != "in_force"):
            out.append({"kind": "listing_added", "ref": _ref(row, "decision_no"), "name": None})
        elif was is not None and was["status"] == "in_force" and row["status"] != "in_force":
            kind = "listing_removed" if row["status"] == "removed" else "listing_ended"
            out.append({"kind": kind, "ref": _ref(row, "decision_no"), "name": None})
    return out


def _objection_changes(
    before: Mapping[Any, Mapping[str, Any]], after: Mapping[Any, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for i, row in after.items():
        was = before.get(i)
        ref = f"#{i}"
        if was is None:
            out.append({"kind": "objection_opened", "ref": ref, "name": None})
        if row["state"] not in OPEN_OBJECTION_STATES and (
            was is None or was["state"] in OPEN_OBJECTION_STATES
        ):
            out.append({"kind": "objection_decided", "ref": ref, "name": row["state"]})
    return out


def _repair_changes(
    before: Mapping[Any, Mapping[str, Any]], after: Mapping[Any, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    out = []
    for i, row in after.items():
        was = before.get(i)
        if was is None:
            out.append({"kind": "repair_applied", "ref": f"#{i}", "name": None})
        elif was["state"] != row["state"] and row.get("decided_on"):
            out.append({"kind": "repair_decided", "ref": f"#{i}", "name": row["state"]})
    return out
