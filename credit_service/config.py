"""Settings: one frozen dataclass, read from the environment in one place.

Each field names its environment variable and says what it is for; the README table
is checked against ``Settings.documented()`` by a test so that no setting goes
undocumented.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _setting(env: str, default: Any, doc: str, parse: Callable[[str], Any] = str) -> Any:
    return field(default=default, metadata={"env": env, "doc": doc, "parse": parse})


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _path(value: str) -> Path:
    return Path(value).expanduser().resolve()


def _default_sqlite_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'instance' / 'credit.db'}"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the service; the defaults suit the embedded SQLite demo."""

    database_url: str = _setting(
        "DATABASE_URL",
        _default_sqlite_url(),
        "SQLAlchemy URL of the primary database (sqlite:///… or postgresql://…).",
    )
    database_replica_url: str | None = _setting(
        "DATABASE_REPLICA_URL",
        None,
        "Optional read replica for read-only queries (PostgreSQL streaming replica).",
    )
    secret_key: str = _setting(
        "SECRET_KEY",
        "dev-only-change-me",
        "Key for signing cookies and CSRF tokens; must be set in production.",
    )
    catalogs_dir: Path = _setting(
        "CATALOGS_DIR",
        PROJECT_ROOT / "catalogs",
        "Folder with the catalog, rule and holiday data files.",
        _path,
    )
    data_dir: Path = _setting(
        "DATA_DIR",
        PROJECT_ROOT / "instance" / "data",
        "Folder for generated documents and uploaded evidence (never served directly).",
        _path,
    )
    timezone: str = _setting(
        "TIMEZONE", "Asia/Shanghai", "Time zone in which dates and deadlines are counted."
    )
    catalogs_autoload: bool = _setting(
        "CATALOGS_AUTOLOAD",
        True,
        "Register changed catalog files as new versions when the app starts.",
        _bool,
    )
    sqlite_busy_timeout_ms: int = _setting(
        "SQLITE_BUSY_TIMEOUT_MS",
        10_000,
        "How long a SQLite writer waits for the lock before failing.",
        int,
    )
    max_content_length: int = _setting(
        "MAX_CONTENT_LENGTH",
        10 * 1024 * 1024,
        "Largest accepted request body in bytes; larger bodies get 413.",
        int,
    )
    import_batch_size: int = _setting(
        "IMPORT_BATCH_SIZE", 2_000, "Rows committed per batch by the CSV importers.", int
    )
    import_workers: int = _setting(
        "IMPORT_WORKERS",
        1,
        "Worker processes validating record rows while the CLI importer writes (0: none).",
        int,
    )
    token_default_days: int = _setting(
        "TOKEN_DEFAULT_DAYS", 90, "Default lifetime of a new API token, in days.", int
    )
    log_level: str = _setting("LOG_LEVEL", "INFO", "Python logging level.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (the process environment by default)."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = f.metadata["parse"](raw)
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, description) for every setting."""
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else ""
            rows.append((f.metadata["env"], str(default), f.metadata["doc"]))
        return rows

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests and CLI overrides)."""
        return dataclasses.replace(self, **changes)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
