"""Domain errors: raised in the core, translated to problem+json once, in web/errors.py.

No HTTP status lives here; the web layer maps each class to a status in one table.
"""

from __future__ import annotations

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
        # TRANSITION (#16): a call still passing prose keeps working until converted.
        if code is not None and not _is_code(code):
            params["legacy_detail"] = code
            code = None
        code = params.pop("code", None) or code
        if code:
            self.code = code
        super().__init__(params.get("legacy_detail", self.code))
        self.errors = errors
        self.params = params

    @property
    def detail(self) -> str:
        """TRANSITION (#16): the prose a legacy call passed, else the code."""
        return self.params.get("legacy_detail", self.code)

    @property
    def extensions(self) -> dict[str, Any]:
        return {k: v for k, v in self.params.items() if k != "legacy_detail"}


def _is_code(text: str) -> bool:
    """A stable code: lower-case ASCII words joined by hyphens (``step-out-of-order``)."""
    return bool(text) and all(part.isascii() and part.isalnum() and part.islower()
                              for part in text.split("-"))


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
