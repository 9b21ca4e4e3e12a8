"""Who may call each operation, and what its identifiers and catalog values are, in the
OpenAPI document.

Drawn from the same ``@allow``/``@public`` declarations that access control enforces
(``credit_service/web/access.py``), so the document cannot say otherwise than the
service: a public operation has ``security: []``; every other one names the bearer token
and the session cookie as ways to authenticate, the roles that may call it
(``x-roles``), the token scopes it needs (``x-token-scopes``), and its 401 and 403
answers (problem+json).

Fields and path parameters that take an identifier say so with a format
(``credit-identifier``, ``uscc``: ``credit_service/web/api/common.py``); fields whose
values come from the catalogs (``values_from`` in their metadata) get them as an enum,
from the catalogs the service runs with.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask

from credit_service.context import Context
from credit_service.web import access
from credit_service.web.api.common import IDENTIFIER

BEARER, COOKIE = "bearerAuth", "sessionCookie"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`cst_…`), for scripts and machine clients.",
    },
    COOKIE: {
        "type": "apiKey",
        "in": "cookie",
        "name": access.SESSION_COOKIE,
        "description": "The session of a user signed in on the pages; unsafe methods "
        f"also send the session's CSRF token in `{access.CSRF_HEADER}`.",
    },
}
# flask-smorest's own response components for these statuses (problem+json, ProblemApi)
REFUSALS = {"401": "UNAUTHORIZED", "403": "FORBIDDEN"}


CATALOG_VALUES = {"purposes": lambda ctx: sorted(ctx.catalogs.purposes)}
PATH_FORMATS = {"identifier": IDENTIFIER}  # path parameters by name


class AccessPlugin(BasePlugin):
    """apispec plugin: each operation's security from its access declaration, the format
    of its identifier path parameters, the catalog values of its fields."""

    def __init__(self, app: Flask, ctx: Context) -> None:
        self.app, self.ctx = app, ctx

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        for name, scheme in SECURITY_SCHEMES.items():
            spec.components.security_scheme(name, scheme)

    def catalog_values(self) -> Any:
        """A marshmallow attribute function (apispec binds it to its converter): the enum of
        a field drawn from the catalogs."""
        ctx = self.ctx

        def values(converter: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
            source = field.metadata.get("values_from")
            return {"enum": CATALOG_VALUES[source](ctx)} if source else {}

        return values

    def path_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for parameter in kwargs.get("parameters") or ():
            described = parameter.get("in") == "path" and PATH_FORMATS.get(parameter.get("name"))
            if described:
                parameter.setdefault("schema", {}).update({"format": described["format"]})
                parameter.setdefault("description", described["description"])

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")
        for method, operation in (operations or {}).items():
            declared = access.rule_for(self.app, getattr(rule, "endpoint", None), method.upper())
            describe(operation, method.upper(), declared)


def describe(operation: dict[str, Any], method: str, declared: access.AccessRule | None) -> None:
    """Write who may call the operation into it (no declaration: nobody, as enforced)."""
    if declared is not None and declared.is_public:
        operation["security"] = []
        operation["x-public"] = declared.public_reason
        _add_to_description(operation, f"Public: {declared.public_reason}.")
        return
    roles = sorted(declared.roles) if declared else []
    scopes = list(declared.token_scopes(method)) if declared else []
    operation["security"] = [{BEARER: []}, {COOKIE: []}]
    operation["x-roles"] = roles
    operation["x-token-scopes"] = scopes
    responses = operation.setdefault("responses", {})
    responses.update(REFUSALS)
    _add_to_description(
        operation,
        f"Roles: {', '.join(roles) or 'none'}. A token needs the scope "
        f"{' or '.join(scopes) or 'none'}.",
    )


def _add_to_description(operation: dict[str, Any], text: str) -> None:
    existing = operation.get("description")
    operation["description"] = f"{existing}\n\n{text}" if existing else text
