"""What every page view shares: the service context, rendering with the anonymous CSRF
cookie, and the template helpers (region names, local times, menus)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, Response, current_app, render_template

from credit_service.clock import SHANGHAI
from credit_service.context import Context
from credit_service.web.pages import forms, navigation


def ctx() -> Context:
    return current_app.extensions["credit_service"]


def page(template: str, status: int = 200, **values: Any) -> Response:
    """A rendered page; a form shown before sign-in gets its CSRF cookie with it."""
    response = Response(render_template(template, **values), status=status)
    return forms.set_anonymous_csrf_cookie(response, secure=ctx().settings.session_cookie_secure)


def region_name(code: str | None) -> str:
    """A region's Chinese name (the code itself when unknown, '—' when empty)."""
    if not code:
        return "—"
    return ctx().catalogs.region_name(code) or code


def local_time(value: datetime | date | None) -> str:
    """An instant as Asia/Shanghai wall time (YYYY-MM-DD HH:MM); a date as YYYY-MM-DD."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def install(app: Flask) -> None:
    """Register the template helpers every page may use."""
    app.jinja_env.globals.update(
        region_name=region_name,
        menu=navigation.menu,
        signed_in_area=navigation.signed_in_area,
    )
    app.jinja_env.filters["local_time"] = local_time
