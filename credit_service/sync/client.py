"""The HTTP client of the exchange protocol: the only module that imports ``requests``.

It signs every request, applies a timeout to every call and turns transport failures and
bad statuses into ``TransientError`` (retry later, maybe after ``retry_after`` seconds)
or ``PermanentError`` (the platform refuses this content for good). It returns plain data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from credit_service.errors import UpstreamError
from credit_service.sync import signing
from credit_service.sync.platforms import Platform

EVENTS_PATH = "/exchange/v1/events"
CHANGES_PATH = "/exchange/v1/changes"
RECONCILIATION_PATH = "/exchange/v1/reconciliation"
RETRYABLE_4XX = frozenset({408, 429})
AUTH_STATUSES = frozenset({401, 403})


class TransientError(UpstreamError):
    """Try again later: timeouts, dropped connections, 5xx, 408, 429, authentication."""

    def __init__(
        self,
        code: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        **params: Any,
    ) -> None:
        if status is not None:
            params["upstream_status"] = status  # not "status": that is the problem's own
        super().__init__(code, **params)
        self.retry_after, self.status = retry_after, status


class PermanentError(UpstreamError):
    """The platform refuses the request's content (4xx other than 408/429/401/403)."""

    def __init__(self, code: str, *, status: int, **params: Any) -> None:
        super().__init__(code, upstream_status=status, **params)
        self.status = status


@dataclass(frozen=True)
class PullPage:
    changes: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool


class PlatformClient:
    """Talks to one platform over one configured ``requests.Session``."""

    def __init__(self, platform: Platform, session: requests.Session | None = None) -> None:
        self.platform = platform
        self.http = session or requests.Session()

    def push(
        self,
        batch_key: str,
        events: list[dict[str, Any]],
        audit_checkpoint: dict[str, str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Send a batch; the platform's answer per event id (accepted/duplicate/rejected).

        The newest signed audit checkpoint travels with it: the platform keeps a copy of
        the service's log head where the service's own administrators cannot change it.
        """
        content: dict[str, Any] = {"batch_id": batch_key, "events": events}
        if audit_checkpoint is not None:
            content["audit_checkpoint"] = audit_checkpoint
        body = json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")
        answer = self._call("POST", EVENTS_PATH, {}, body)
        return {r["event_id"]: r for r in answer.get("results", [])}

    def pull(self, cursor: str | None, limit: int) -> PullPage:
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        answer = self._call("GET", CHANGES_PATH, query, b"")
        return PullPage(
            list(answer.get("changes", [])), answer.get("next_cursor"), bool(answer.get("has_more"))
        )

    def reconciliation(self, day: date) -> dict[str, Any]:
        return self._call("GET", RECONCILIATION_PATH, {"date": day.isoformat()}, b"")

    def _call(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict:
        headers = signing.sign(
            self.platform.app_key, self.platform.secret, method, path, query, body
        )
        headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(
                method,
                self.platform.base_url + path,
                params=query,
                data=body or None,
                headers=headers,
                timeout=self.platform.timeout_seconds,
            )
        except requests.RequestException as exc:
            raise TransientError(
                "upstream-unreachable", platform=self.platform.id, failure=type(exc).__name__
            ) from exc
        return _answer(response)


def _answer(response: requests.Response) -> dict:
    status = response.status_code
    if status >= 500 or status in RETRYABLE_4XX or status in AUTH_STATUSES:
        raise TransientError(
            "upstream-http-error",
            status=status,
            retry_after=_retry_after(response),
            body=response.text[:200],
        )
    if status >= 400:
        raise PermanentError("upstream-refused", status=status, body=response.text[:500])
    try:
        return response.json()
    except ValueError as exc:
        raise TransientError("upstream-not-json", status=status) from exc


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds, or as an HTTP date (RFC 9110 §10.2.3) turned into the
    seconds left until it; None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class SimulatorControl:
    """The simulator's unsigned control endpoints (demo and tests only, on loopback)."""

    def __init__(self, base_url: str, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = session or requests.Session()

    def add_changes(self, changes: list[dict[str, Any]]) -> int:
        response = self.http.post(f"{self.base_url}/sim/changes", json=changes, timeout=10)
        response.raise_for_status()
        return int(response.json()["total"])

    def forward_objections(self, items: list[dict[str, Any]]) -> list[str]:
        """Queue objections for the platform to forward; their change ids."""
        response = self.http.post(f"{self.base_url}/sim/objections", json=items, timeout=10)
        response.raise_for_status()
        return list(response.json()["change_ids"])

    def objections(self, today: date | None = None) -> list[dict[str, Any]]:
        """The forwarded objections with the city's answers and their lateness."""
        query = {"today": today.isoformat()} if today else {}
        response = self.http.get(f"{self.base_url}/sim/objections", params=query, timeout=10)
        response.raise_for_status()
        return list(response.json())

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.base_url}/sim/faults", json=faults, timeout=10)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        response = self.http.get(f"{self.base_url}/sim/stats", timeout=10)
        response.raise_for_status()
        return response.json()
