"""The web application: the only part of the service that imports Flask."""

from __future__ import annotations

import logging
import secrets
from functools import partial

from flask import Flask
from flask.sessions import SessionInterface
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

# Views on the console's and the public blueprints, by use case: importing one adds its routes.
import credit_service.web.pages.console_audit  # noqa: F401
import credit_service.web.pages.console_bindings  # noqa: F401
import credit_service.web.pages.console_cases  # noqa: F401
import credit_service.web.pages.console_checks  # noqa: F401
import credit_service.web.pages.console_entities  # noqa: F401
import credit_service.web.pages.console_imports  # noqa: F401
import credit_service.web.pages.console_objections  # noqa: F401
import credit_service.web.pages.console_records  # noqa: F401
import credit_service.web.pages.console_tiers  # noqa: F401
import credit_service.web.pages.console_users  # noqa: F401
import credit_service.web.pages.credit_reports  # noqa: F401
import credit_service.web.pages.enterprise_messages  # noqa: F401
import credit_service.web.pages.enterprise_objections  # noqa: F401
import credit_service.web.pages.public_inspections  # noqa: F401
import credit_service.web.pages.public_notices  # noqa: F401
import credit_service.web.pages.public_statistics  # noqa: F401
import credit_service.web.pages.public_trustworthy  # noqa: F401
from credit_service import health as readiness
from credit_service import json_logs
from credit_service.bootstrap import build_context
from credit_service.bounds import MAX_ID
from credit_service.calendar_refresh import refresh_calendar
from credit_service.catalogs import services as catalog_services
from credit_service.config import Settings
from credit_service.context import Context
from credit_service.web import (
    access,
    docs,
    errors,
    hardening,
    i18n,
    metrics,
    openapi,
    read_source,
    request_log,
)
from credit_service.web.api import (
    accounts,
    admin,
    catalogs,
    credit_reports,
    dishonesty,
    entities,
    health,
    inspections,
    objections,
    public_inspections,
    public_list,
    records,
    repair,
    signing_keys,
    sync_admin,
    tiers,
    trustworthy_list,
)
from credit_service.web.api.json_codec import JSONProvider
from credit_service.web.cli import register_cli
from credit_service.web.pages import auth as auth_pages
from credit_service.web.pages import common as page_common
from credit_service.web.pages import console as console_pages
from credit_service.web.pages import enterprise as enterprise_pages
from credit_service.web.pages import forms
from credit_service.web.pages import operations as operations_pages
from credit_service.web.pages import public as public_pages
from credit_service.web.pages import text_size as text_size_pages
from credit_service.web.ratelimit import init_rate_limits

BLUEPRINTS = (
    health.bp,
    catalogs.bp,
    public_list.bp,
    public_inspections.bp,
    trustworthy_list.bp,
    entities.bp,
    records.bp,
    tiers.bp,
    inspections.bp,
    dishonesty.bp,
    repair.bp,
    objections.bp,
    accounts.bp,
    admin.bp,
    sync_admin.bp,
    signing_keys.bp,
    credit_reports.bp,
)
PAGES = (
    auth_pages.bp,
    public_pages.bp,
    enterprise_pages.bp,
    console_pages.bp,
    operations_pages.bp,
    text_size_pages.bp,
)
logger = logging.getLogger(__name__)


class ProblemApi(Api):
    """flask-smorest with our problem+json handlers instead of its JSON error bodies."""

    ERROR_SCHEMA = errors.ProblemSchema

    def _register_error_handlers(self) -> None:
        errors.register_error_handlers(self._app)

    def _register_responses(self) -> None:
        """Document the error responses in the media type they are sent in; success
        responses keep DEFAULT_RESPONSE_CONTENT_TYPE (application/json)."""
        self.DEFAULT_RESPONSE_CONTENT_TYPE = errors.PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE


class NoFlaskSession(SessionInterface):
    """Flask's signed-cookie session stays unused: a sign-in session is the service's own,
    kept in the database (``cs_session``, credit_service/auth/sessions.py). Flask's default
    interface would still build a signing serializer for every request (20 µs of a 200 µs
    probe); with this one ``flask.session`` is Flask's null session, which refuses writes."""

    def open_session(self, app, request):  # type: ignore[no-untyped-def]
        return None

    def save_session(self, app, session, response):  # type: ignore[no-untyped-def]
        return None


class IdConverter(IntegerConverter):
    """``<int:…>`` in our routes: ids are 32-bit integer columns, so a larger number is
    no such resource (404) rather than a database error."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(settings: Settings | None = None, *, context: Context | None = None) -> Flask:
    """Build the app; a bad catalog file raises CatalogError here and stops start-up."""
    settings = settings or (context.settings if context else Settings.from_env())
    json_logs.configure(settings)
    app = read_source.ServiceFlask(__name__)
    app.before_request(request_log.note_endpoint)  # first: a request refused early has one too
    app.url_map.converters["int"] = IdConverter
    app.session_interface = NoFlaskSession()
    app.config.update(_flask_config(settings))
    app.json = JSONProvider(app)
    ctx = context or build_context(settings)
    app.extensions["credit_service"] = ctx
    if settings.catalogs_autoload:
        _autoload_catalogs(ctx)
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=settings.proxy_hops,  # type: ignore[method-assign]
            x_proto=settings.proxy_hops,
        )
    app.wsgi_app = request_log.RequestLog(app.wsgi_app)  # type: ignore[method-assign]
    documentation = openapi.AccessPlugin(app, ctx)
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [documentation]})
    api.ma_plugin.converter.add_attribute_function(documentation.catalog_values())
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    for page in PAGES:
        app.register_blueprint(page)
    docs.register(app)
    metrics.install(app, ctx)
    app.jinja_env.globals.update(t=i18n.translate, csrf_token=forms.csrf_token)
    page_common.install(app)
    app.extensions["limiter"] = init_rate_limits(app, settings)
    read_source.install(app)
    app.before_request(hardening.check_request_size)
    app.before_request(partial(refresh_calendar, ctx))
    app.before_request(hardening.check_content_type)
    app.before_request(hardening.check_input_text)
    app.before_request(access.enforce_access)
    app.before_request(hardening.check_upload_text)
    app.after_request(hardening.security_headers)
    register_cli(app)
    return app


def _flask_config(settings: Settings) -> dict[str, object]:
    return {
        "SECRET_KEY": settings.secret_key or secrets.token_hex(32),
        "MAX_CONTENT_LENGTH": settings.max_content_length,
        "API_TITLE": "IP credit-supervision service (知识产权信用监管服务)",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "REST API. Errors are RFC 9457 problem+json, their title, detail "
                "and field errors in Chinese, or in English when Accept-Language prefers it "
                "(Content-Language says which). No text (path, query, "
                "form or JSON body) may hold a NUL character (422 nul-character). Each "
                "operation names the roles that may call it (x-roles) and the token scopes "
                "it needs (x-token-scopes); public ones have no security requirement. Every "
                "answer carries X-Request-ID, the id under which the request is logged and "
                "audited: the client's own X-Request-ID when it is 8 to 64 characters of "
                "[A-Za-z0-9._-], else a new one. The liveness probe /healthz is the exception: no "
                "id, no access line, no metrics."
            },
        },
    }


def _autoload_catalogs(ctx: Context) -> None:
    """Register changed catalog files as versions, when the schema is at head."""
    checks = readiness.readiness(ctx)
    if checks["migrations"] != "ok":
        logger.warning("catalogs not registered: %s", checks["migrations"])
        return
    for result in catalog_services.register_catalogs(ctx):
        if result.outcome != "unchanged":
            logger.info("catalog %s: %s version %s", result.domain, result.outcome, result.label)


__all__ = ["create_app"]
