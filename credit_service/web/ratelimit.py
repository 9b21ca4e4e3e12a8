"""Rate limits (flask-limiter): sign-in and public endpoints, per client address.

Answered with 429 problem+json and Retry-After. The counts are shared by every worker
(credit_service/web/ratelimit_storage.py), so a limit holds as configured however many
workers serve.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from credit_service.auth import sessions
from credit_service.config import Settings
from credit_service.web import ratelimit_storage  # noqa: F401  # registers sqlite://, postgresql://
from credit_service.web.access import rule_for
from credit_service.web.probes import LIVENESS_ENDPOINT

SIGN_IN_PAGE = "auth_pages.sign_in"
UNLIMITED_ENDPOINTS = frozenset({LIVENESS_ENDPOINT})  # why: ``probes``
SIGN_IN_ENDPOINTS = (
    SIGN_IN_PAGE,
    "accounts.EnterpriseRegistration",
    "auth_pages.register_enterprise",
)


def _not_limited() -> bool:
    """Whether the public limit skips this request: a signed-in endpoint, or a probe."""
    if request.endpoint in UNLIMITED_ENDPOINTS:
        return True
    rule = rule_for(current_app, request.endpoint, request.method)
    return rule is None or not rule.is_public


class _Limiter(Limiter):
    """flask-limiter, its before-request check skipped outright for a request the filter
    exempts: its own filter runs only after it has identified the request, and it then
    still evaluates an empty list of limits (28 µs of a 210 µs liveness probe)."""

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and _not_limited():
            return
        super()._check_request_limit(callable_name, in_middleware)


def init_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Limit every public endpoint but the liveness probe, and sign-in more tightly (only
    its POSTs count)."""
    # Registered before the limiter's own after-request hook, so it runs after it (Flask
    # runs them last registered first) and sees the header the limiter added.
    app.after_request(_retry_after_only_when_refused)
    limiter = _Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=settings.ratelimit_storage,
        default_limits=[settings.ratelimit_public],
        headers_enabled=True,
        strategy="fixed-window",
    )
    # Skip the limiter outright for signed-in endpoints and probes (an exemption of the
    # default limits alone still resolves every limit first: a third of a small read's cost).
    limiter.request_filter(_not_limited)
    for endpoint in SIGN_IN_ENDPOINTS:
        view = app.view_functions[endpoint]
        on_breach = _audit_limited_sign_in if endpoint == SIGN_IN_PAGE else None
        app.view_functions[endpoint] = limiter.limit(
            settings.ratelimit_signin, methods=["POST"], on_breach=on_breach
        )(view)
    return limiter


RETRY_STATUSES = frozenset({429, 503})


def _retry_after_only_when_refused(response: Response) -> Response:
    """flask-limiter's headers include Retry-After on every answer of a limited endpoint,
    a 200 included; RFC 9110 gives it meaning on 503 and 3xx, RFC 6585 on 429. Keep the
    X-RateLimit-* headers, and Retry-After only where it tells a refused client when to
    come back."""
    if response.status_code not in RETRY_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def _audit_limited_sign_in(limit: RequestLimit) -> None:
    """A sign-in post refused by the limit is still an attempt (of a password guesser,
    likely): audit it with the user name it tried. Returning None keeps the 429."""
    sessions.record_refused_sign_in(
        current_app.extensions["credit_service"],
        request.form.get("username", "").strip(),
        source_ip=request.remote_addr,
        outcome="rate-limited",
    )
