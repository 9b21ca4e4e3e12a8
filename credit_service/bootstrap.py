"""The composition root: building a Context, and checking the rules files it loads.

The entry points (web, CLI, scheduler, tests, benchmarks) call ``build_context``: it makes
the engines and session factories, loads the catalogs and every area's rules file and
hands them to the kernel's ``Context``. Loading needs each area's definitions, so this
module sits above the areas (the kernel imports none of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from credit_service import changes, notices, objection_marks, rules_files
from credit_service.calendar_refresh import holidays_dir
from credit_service.calendar_rules import CalendarRulesSchema, load_calendar_rules
from credit_service.catalogs.definitions import CatalogSet
from credit_service.catalogs.loader import load_catalog_set
from credit_service.catalogs.schema import PublicityFileSchema
from credit_service.clock import Clock, SystemClock
from credit_service.config import Settings
from credit_service.context import Context
from credit_service.db import make_engine, make_session_factory
from credit_service.dishonesty.definitions import ListRulesSchema, load_list_rules
from credit_service.effects import HANDLERS
from credit_service.objections import services as objection_services
from credit_service.objections.definitions import ObjectionRulesSchema, load_objection_rules
from credit_service.repair.definitions import RepairRulesSchema, load_repair_rules
from credit_service.replica import CONNECT_TIMEOUT_S, ReplicaRouter
from credit_service.tiers.definitions import RuleSetSchema, load_rule_set
from credit_service.workdays import WorkdayCalendar


def build_context(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session_factory: sessionmaker | None = None,
    read_session_factory: sessionmaker | None = None,
    catalogs: CatalogSet | None = None,
) -> Context:
    """Build engines and load the catalog files; tests may inject sessions and a clock.

    The handler table (``effects.HANDLERS``) is installed on the write session factory
    here, the one place every entry point builds its Context, so that the facts a service
    records are always handled before its transaction commits. The objections area's
    reader of the mark 异议处理中 is plugged into the port the areas below it read
    (``objection_marks``) here too, and the change notices follow the context's own
    commits from here, before any thread commits (``notices.follow_commits``).
    """
    replica = None
    if session_factory is None:
        engine = make_engine(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            parallel_workers=settings.db_parallel_workers,
        )
        session_factory = make_session_factory(engine)
        read_session_factory = make_session_factory(_read_engine(settings, engine))
        if settings.database_replica_url:
            replica = _replica_router(settings, read_session_factory)
    engine = session_factory.kw["bind"]
    read_session_factory = read_session_factory or session_factory
    catalogs = catalogs or load_catalog_set(settings.catalogs_dir)
    ctx = Context(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        read_session_factory=read_session_factory,
        replica=replica,
        clock=clock or SystemClock(),
        catalogs=catalogs,
        calendar=WorkdayCalendar(holidays_dir(settings)),
        **load_rules(settings.catalogs_dir, catalogs),
    )
    changes.install(ctx.session_factory, HANDLERS, ctx)
    objection_marks.install(ctx, objection_services.marks_of, objection_services.every_mark)
    notices.follow_commits(ctx)
    return ctx


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
        "objection_rules": load_objection_rules(directory / "objections.yaml"),
        "calendar_rules": load_calendar_rules(directory / "calendar.yaml"),
    }


# The rules files beside the catalogs, each with the schema that declares its keys and the
# code that reads each one (credit_service/rules_files.py).
RULES_FILES: dict[str, type[Schema]] = {
    "publicity.yaml": PublicityFileSchema,
    "dishonesty.yaml": ListRulesSchema,
    "repair.yaml": RepairRulesSchema,
    "objections.yaml": ObjectionRulesSchema,
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
            tuple(rules_files.unknown_keys(schema, raw)), tuple(rules_files.unused_keys(schema))
        )
    return reports


def _replica_router(settings: Settings, primary: sessionmaker) -> ReplicaRouter:
    """Public reads that may lag go to DATABASE_REPLICA_URL while it is within bounds."""
    replica = make_engine(
        settings.database_replica_url,
        connect_timeout_s=CONNECT_TIMEOUT_S,
        parallel_workers=settings.db_parallel_workers,
    )
    return ReplicaRouter(
        make_session_factory(replica),
        primary,
        max_lag_s=settings.replica_max_lag_seconds,
        check_every_s=settings.replica_check_seconds,
    )


def _read_engine(settings: Settings, writer: Engine) -> Engine:
    """Read-only transactions on SQLite begin without taking the write lock."""
    if settings.is_sqlite:
        return make_engine(
            settings.database_url, writer=False, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
    return writer
