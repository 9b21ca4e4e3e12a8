"""Domain errors: raised in the core, translated to problem+json once, in web/errors.py.

No HTTP status lives here; the web layer maps each class to a status in one table.
"""

from __future__ import annotations

import json
from typing import Any


class CreditServiceError(Exception):
    """Base of every error the service raises on purpose.

    An error carries a stable ``code`` and the ``params`` its message needs, never prose:
    the words live in ``web/locales/<language>/errors.yaml`` under ``error.<code>`` and
    the web layer chooses the language (Accept-Language for the API, Chinese on pages).
    ``errors`` maps a field to its errors, each a code or ``{"code": ..., **params}``.
    The params also become the problem's extension members (RFC 9457 section 3.2).
    """

    code = "error"
    title = "Error"

    def __init__(
        self,
        code: str | None = None,
        /,
        *,
        errors: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        if code:
            self.code = code
        super().__init__(self.code)
        self.errors = errors
        self.params = params

    @property
    def extensions(self) -> dict[str, Any]:
        """The params, as the problem's extension members."""
        return dict(self.params)

    def __str__(self) -> str:
        """For logs and tracebacks (the words are the web layer's): the code and params."""
        shown = ", ".join(f"{k}={v}" for k, v in self.extensions.items())
        return f"{self.code} ({shown})" if shown else self.code

    def as_record(self) -> dict[str, Any]:
        """The error as kept for later (a quarantined row, a refused batch, a failed job):
        its code, params and field errors, ready for ``stored_text``."""
        record: dict[str, Any] = {"code": self.code, **self.extensions}
        if self.errors:
            record["errors"] = self.errors
        return record


def stored_text(record: dict[str, Any], limit: int) -> str:
    """A kept error (``{"code": ..., **params}``) as JSON for a text column of ``limit``
    characters; when it would not fit, field errors go first, then the params, so what is
    stored is always whole JSON with its code."""
    for candidate in (record, {k: v for k, v in record.items() if k != "errors"}):
        text = json.dumps(candidate, ensure_ascii=False, default=str, sort_keys=True)
        if len(text) <= limit:
            return text
    return json.dumps({"code": record["code"]})


def read_stored(text: str | None) -> dict[str, Any] | None:
    """A kept error read back from its column. A row written before errors had codes holds
    prose: it comes back as ``{"code": "stored-text", "text": ...}``."""
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    if isinstance(record, dict) and isinstance(record.get("code"), str):
        return record
    return {"code": "stored-text", "text": text}


class NotFound(CreditServiceError):
    code = "not-found"
    title = "Not found"


class Gone(CreditServiceError):
    """What was published here once and is no longer (a removed listing after the period
    its address still said so, D22): not the same answer as "never existed"."""

    code = "gone"
    title = "Gone"


class Conflict(CreditServiceError):
    code = "conflict"
    title = "Conflict"


class InvalidInput(CreditServiceError):
    """Input that is well formed but breaks a rule; ``errors`` maps fields to messages."""

    code = "invalid-input"
    title = "Invalid input"


class Unauthenticated(CreditServiceError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(CreditServiceError):
    code = "forbidden"
    title = "Forbidden"


class LimitExceeded(CreditServiceError):
    """A per-user quota used up for the day (e.g. natural-person lookups); try again later."""

    code = "limit-exceeded"
    title = "Too many requests"


class CatalogError(CreditServiceError):
    """A catalog or rules file that cannot be loaded; names the file, item and field."""

    code = "catalog-invalid"
    title = "Catalog error"

    @classmethod
    def in_file(cls, path: object, problem: str) -> CatalogError:
        """The error for one file. ``problem`` says where in the file and what is wrong,
        in the words of the file's schema (marshmallow's, mostly): it is for the operator
        who edits the file (shown in the command line's output, or to the administrator
        who applies tier rules), never for the public."""
        return cls(file=str(path), problem=problem)


class UpstreamError(CreditServiceError):
    """A provincial platform or another remote party failed."""

    code = "upstream-error"
    title = "Upstream error"
