"""The service context: settings, sessions, clock, catalogs and calendar in one object.

Entry points (web, CLI, scheduler, tests) build one Context and pass it to services,
as Cosmic Python's bootstrap injects its dependencies.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from marshmallow import Schema
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from credit_service import changes
from credit_service.calendar_rules import CalendarRules, CalendarRulesSchema, load_calendar_rules
from credit_service.catalogs import keys
from credit_service.catalogs.definitions import CatalogItem, CatalogSet
from credit_service.catalogs.loader import load_catalog_set
from credit_service.catalogs.schema import PublicityFileSchema
from credit_service.clock import Clock, SystemClock
from credit_service.config import Settings
from credit_service.db import dispose, make_engine, make_session_factory
from credit_service.dishonesty.definitions import ListRules, ListRulesSchema, load_list_rules
from credit_service.errors import CatalogError
from credit_service.repair.definitions import RepairRules, RepairRulesSchema, load_repair_rules
from credit_service.tiers.definitions import RuleSet, RuleSetSchema, load_rule_set
from credit_service.workdays import WorkdayCalendar, holiday_files

logger = logging.getLogger(__name__)


@dataclass
class Context:
    """Everything a service needs besides its arguments.

    ``session_factory`` writes; ``read_session_factory`` reads the primary without taking
    SQLite's write lock; ``replica_session_factory`` may lag (a PostgreSQL replica) and
    serves only public reads where a second of staleness is acceptable.
    """

    settings: Settings
    engine: Engine
    session_factory: sessionmaker
    read_session_factory: sessionmaker
    replica_session_factory: sessionmaker
    clock: Clock
    catalogs: CatalogSet
    calendar: WorkdayCalendar
    tier_rules: RuleSet
    list_rules: ListRules
    repair_rules: RepairRules
    calendar_rules: CalendarRules
    item_cache: dict[int, CatalogItem] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """Today in the office's time zone: every deadline counts in local days."""
        return self.clock.now().astimezone(self.tz).date()

    def close(self) -> None:
        """Close every database connection the context opened: its engines' pools, the
        connections their threads keep, and the change-notice listener."""
        notices = self.extras.get("change_notices")
        if notices:
            notices.close()
        factories = (self.session_factory, self.read_session_factory, self.replica_session_factory)
        for engine in {f.kw["bind"] for f in factories} | {self.engine}:
            if isinstance(engine, Engine):
                dispose(engine)


def build_context(
    settings: Settings,
    *,
    effects: changes.HandlerTable,
    clock: Clock | None = None,
    session_factory: sessionmaker | None = None,
    read_session_factory: sessionmaker | None = None,
    catalogs: CatalogSet | None = None,
) -> Context:
    """Build engines and load the catalog files; tests may inject sessions and a clock.

    ``effects`` is the handler table (credit_service/effects.py, given by the caller: it
    sits above the areas), installed on the write session factory so that the facts a
    service records are handled before its transaction commits.
    """
    replica_session_factory = None
    if session_factory is None:
        engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        session_factory = make_session_factory(engine)
        read_session_factory = make_session_factory(_read_engine(settings, engine))
        if settings.database_replica_url:
            replica_session_factory = make_session_factory(
                make_engine(settings.database_replica_url)
            )
    engine = session_factory.kw["bind"]
    read_session_factory = read_session_factory or session_factory
    catalogs = catalogs or load_catalog_set(settings.catalogs_dir)
    ctx = Context(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        read_session_factory=read_session_factory,
        replica_session_factory=replica_session_factory or read_session_factory,
        clock=clock or SystemClock(),
        catalogs=catalogs,
        calendar=WorkdayCalendar(holidays_dir(settings)),
        **load_rules(settings.catalogs_dir, catalogs),
    )
    changes.install(ctx.session_factory, effects, ctx)
    return ctx


CALENDAR_CHECK_S = 60.0


def holidays_dir(settings: Settings) -> Path:
    """Where the State Council holiday notices are transcribed, one YYYY.yaml a year."""
    return settings.catalogs_dir / "holidays"


def reload_calendar(ctx: Context) -> bool:
    """Read the holiday folder again if its files changed since ``ctx.calendar`` was
    built (a year added after the process started); True when the calendar was replaced.

    :raises CatalogError: a new or changed file is invalid (the old calendar stays).
    """
    directory = holidays_dir(ctx.settings)
    if ctx.calendar.source is not None and ctx.calendar.source == holiday_files(directory):
        return False
    ctx.calendar = WorkdayCalendar(directory)
    return True


def refresh_calendar(ctx: Context) -> None:
    """For long-running web workers: look at the holiday folder at most every
    ``CALENDAR_CHECK_S`` and read it again when a year file was added or changed, so that
    the State Council's notice for a new year reaches the deadlines they compute within a
    minute of its file being added, without a restart. An invalid file is logged once (per
    state of the folder) and the calendar read before stays."""
    now = time.monotonic()
    if now - ctx.extras.get("calendar_checked_at", -CALENDAR_CHECK_S) < CALENDAR_CHECK_S:
        return
    ctx.extras["calendar_checked_at"] = now
    try:
        reload_calendar(ctx)
    except CatalogError as exc:
        folder = holiday_files(holidays_dir(ctx.settings))
        if ctx.extras.get("calendar_refused") != folder:
            ctx.extras["calendar_refused"] = folder
            logger.error("holiday calendar not reloaded, the one read before stays: %s", exc)


def load_rules(directory: Path, catalogs: CatalogSet) -> dict[str, Any]:
    """The rule files beside the catalogs (tiers, the list, repair, the calendar), validated.

    :raises CatalogError: naming the file and the key at fault.
    """
    return {
        "tier_rules": load_rule_set(directory / "tiers.yaml"),
        "list_rules": load_list_rules(
            directory / "dishonesty.yaml", known_measures=frozenset(catalogs.measures)
        ),
        "repair_rules": load_repair_rules(directory / "repair.yaml"),
        "calendar_rules": load_calendar_rules(directory / "calendar.yaml"),
    }


# The rules files beside the catalogs, each with the schema that declares its keys and the
# code that reads each one (credit_service/catalogs/keys.py).
RULES_FILES: dict[str, type[Schema]] = {
    "publicity.yaml": PublicityFileSchema,
    "dishonesty.yaml": ListRulesSchema,
    "repair.yaml": RepairRulesSchema,
    "tiers.yaml": RuleSetSchema,
    "calendar.yaml": CalendarRulesSchema,
}


@dataclass(frozen=True)
class KeyReport:
    """What is wrong with one rules file's keys: in the file but unknown to the service,
    or known but read by no code (a setting that changes nothing)."""

    unknown: tuple[str, ...]
    unused: tuple[str, ...]


def rules_key_reports(directory: Path) -> dict[str, KeyReport]:
    """The key report of every rules file in ``directory`` (a file that cannot be read as
    YAML has no unknown keys here: loading it says what is wrong)."""
    reports = {}
    for name, schema_class in RULES_FILES.items():
        schema = schema_class()
        try:
            raw = yaml.safe_load((Path(directory) / name).read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError):
            raw = None
        reports[name] = KeyReport(
            tuple(keys.unknown_keys(schema, raw)), tuple(keys.unused_keys(schema))
        )
    return reports


def _read_engine(settings: Settings, writer: Engine) -> Engine:
    """Read-only transactions on SQLite begin without taking the write lock."""
    if settings.is_sqlite:
        return make_engine(
            settings.database_url, writer=False, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
    return writer
