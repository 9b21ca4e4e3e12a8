"""The words of the list's notices (公告), filled from the facts ``list_notices`` gives:
one text for the page, the JSON feed and the Atom feed alike. The wording is the
locale's (``removals.notice.*`` in locales/zh/removals.yaml), never the code's: a notice
is an official text in Chinese, so the API gives it in Chinese too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from credit_service.web.i18n import translate


def subject(item: dict[str, Any]) -> str:
    """Who the notice is about: an organisation with its USCC, a natural person by the
    masked name alone (D12)."""
    if item["uscc"]:
        return translate(
            "removals.notice.subject.organisation", name=item["name"], uscc=item["uscc"]
        )
    return translate("removals.notice.subject.person", name=item["name"])


def notice_text(item: dict[str, Any]) -> str:
    """The notice's text: an addition (or a restoration after a revoked repair) names the
    grounds, the basis and the decision; a removal the listing decision and the reason."""
    if item["kind"] == "removed":
        key = "removals.notice.removed"
    else:
        key = "removals.notice.restored" if item["restored"] else "removals.notice.added"
    return translate(
        key,
        subject=subject(item),
        grounds=item["grounds"],
        basis=item["basis"],
        office=item["authority"],
        decision_no=item["decision_no"] or "",
        reason=item["reason_text"] or "",
    )


def with_text(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notices, each with its ``text``."""
    return [{**item, "text": notice_text(item)} for item in items]
