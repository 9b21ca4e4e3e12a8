"""What every page view shares: the service context, rendering with the anonymous CSRF
cookie, the words of a refused form, and the template helpers (region names, local
times, menus)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask import Flask, Response, current_app, render_template, request

from credit_service.calendar_refresh import holidays_dir
from credit_service.calendar_rules import missing_holiday_years
from credit_service.clock import SHANGHAI
from credit_service.config import PROJECT_ROOT
from credit_service.context import Context
from credit_service.errors import CreditServiceError
from credit_service.procedures.documents import chinese_date
from credit_service.web.error_text import error_text, field_error
from credit_service.web.errors import status_of
from credit_service.web.i18n import DEFAULT_LANGUAGE, translate
from credit_service.web.pages import forms, navigation, wording


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


def holiday_files_missing() -> list[dict[str, Any]]:
    """The holiday year files the deadlines need and nobody has added (D14), each with the
    path to add it at (relative to the project when it is inside it)."""
    service = ctx()
    years = missing_holiday_years(service.calendar, service.calendar_rules, service.today())
    folder = holidays_dir(service.settings).resolve()
    if folder.is_relative_to(PROJECT_ROOT):
        folder = folder.relative_to(PROJECT_ROOT)
    return [{"year": year, "path": (folder / f"{year}.yaml").as_posix()} for year in years]


def local_time(value: datetime | date | None) -> str:
    """An instant as Asia/Shanghai wall time (YYYY-MM-DD HH:MM); a date as YYYY-MM-DD."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def form_values(names: Iterable[str]) -> dict[str, str]:
    """The named fields of the posted form, trimmed ('' when absent): to check, and to
    show again when the form comes back with an error."""
    return {name: request.form.get(name, "").strip() for name in names}


def schema_errors(area: str, messages: Mapping[str, Any]) -> dict[str, str]:
    """A schema's field errors as the page's Chinese message for each field (the API's
    schemas speak English): key ``<area>.invalid.<field>``."""
    return {field: translate(f"{area}.invalid.{field}") for field in messages}


def message(exc: CreditServiceError) -> str:
    """What a refused step or form says: the error's words (``error.<code>``) in Chinese."""
    return error_text(exc, DEFAULT_LANGUAGE, status_of(exc))


def messages_of(entries: Sequence[Any]) -> list[str]:
    """Field errors of the service (codes or ``{"code": ...}`` entries) in Chinese."""
    return [field_error(entry, DEFAULT_LANGUAGE) for entry in entries]


def install(app: Flask) -> None:
    """Register the template helpers every page may use."""
    app.jinja_env.globals.update(
        region_name=region_name,
        menu=navigation.menu,
        signed_in_area=navigation.signed_in_area,
        **wording.TEMPLATE_GLOBALS,
    )
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["chinese_date"] = chinese_date
