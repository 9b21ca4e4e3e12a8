"""Domain errors: raised in the core, translated to problem+json once, in web/errors.py.

No HTTP status lives here; the web layer maps each class to a status in one table.
"""

from __future__ import annotations

from typing import Any


class CreditServiceError(Exception):
    """Base of every error the service raises on purpose."""

    code = "error"
    title = "Error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: dict[str, Any] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors
        self.extensions = extensions


class NotFound(CreditServiceError):
    code = "not-found"
    title = "Not found"


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


class UpstreamError(CreditServiceError):
    """A provincial platform or another remote party failed."""

    code = "upstream-error"
    title = "Upstream error"
