"""The service context: settings, sessions, clock, catalogs, calendar and rules in one object.

Entry points (web, CLI, scheduler, tests) build one Context with
``credit_service.bootstrap.build_context`` and pass it to services, as Cosmic Python's
bootstrap injects its dependencies. This module only declares what a Context holds: it is
in the kernel, which imports no area, so the areas' rule types are named here for the type
checker alone and the composition module that loads them sits above the areas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from credit_service.calendar_rules import CalendarRules
from credit_service.clock import Clock
from credit_service.config import Settings
from credit_service.held_connections import dispose
from credit_service.replica import ReplicaRouter
from credit_service.signing_keys import KeyRing, load_key_ring
from credit_service.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from credit_service.catalogs.definitions import CatalogItem, CatalogSet
    from credit_service.dishonesty.definitions import ListRules
    from credit_service.objections.definitions import ObjectionRules
    from credit_service.repair.definitions import RepairRules
    from credit_service.tiers.definitions import RuleSet


@dataclass
class Context:
    """Everything a service needs besides its arguments.

    ``session_factory`` writes; ``read_session_factory`` reads the primary without taking
    SQLite's write lock; ``replica_session_factory`` may lag (a PostgreSQL replica, chosen
    by ``replica`` while it lags no more than REPLICA_MAX_LAG_SECONDS) and serves only
    public reads where that much staleness is acceptable.
    """

    settings: Settings
    engine: Engine
    session_factory: sessionmaker
    read_session_factory: sessionmaker
    clock: Clock
    catalogs: CatalogSet
    calendar: WorkdayCalendar
    tier_rules: RuleSet
    list_rules: ListRules
    repair_rules: RepairRules
    objection_rules: ObjectionRules
    calendar_rules: CalendarRules
    replica: ReplicaRouter | None = None
    item_cache: dict[int, CatalogItem] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def replica_session_factory(self) -> sessionmaker:
        """Sessions for a public read that may lag: on the replica while it is within
        its bound, else on the primary (``credit_service.replica``)."""
        return self.replica.choose() if self.replica else self.read_session_factory

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def key_ring(self) -> KeyRing:
        """The signing keys the current settings name, loaded once per settings object."""
        cached = self.extras.get("key_ring")
        if cached is None or cached[0] is not self.settings:
            cached = (self.settings, load_key_ring(self.settings))
            self.extras["key_ring"] = cached
        return cached[1]

    def today(self) -> date:
        """Today in the office's time zone: every deadline counts in local days."""
        return self.clock.now().astimezone(self.tz).date()

    def engines(self) -> dict[str, Engine]:
        """The context's engines, each once, named by their first use: ``write``, ``read``
        (SQLite reads have an engine of their own; PostgreSQL's are the writer's),
        ``replica``. A factory bound to a connection (tests) has no engine of its own."""
        named: dict[str, Engine] = {}
        binds = [
            ("write", self.engine),
            ("write", self.session_factory.kw["bind"]),
            ("read", self.read_session_factory.kw["bind"]),
        ]
        if self.replica:  # the replica's own, whichever the router chooses now
            binds.append(("replica", self.replica.replica.kw["bind"]))
        for name, bind in binds:
            if isinstance(bind, Engine) and all(bind is not e for e in named.values()):
                named[name if name not in named else f"{name}-{len(named)}"] = bind
        return named

    def close(self) -> None:
        """Close every database connection the context opened: its engines' pools, the
        connections their threads keep, and the change-notice listener."""
        notices = self.extras.get("change_notices")
        if notices:
            notices.close()
        for engine in self.engines().values():
            dispose(engine)
