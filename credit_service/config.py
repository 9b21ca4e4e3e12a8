"""Settings: one frozen dataclass, read from the environment in one place.

Each field names its environment variable and says what it is for; the README table
is checked against ``Settings.documented()`` by a test so that no setting goes
undocumented.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credit_service.setting_fields import at_least as _at_least
from credit_service.setting_fields import one_of as _one_of
from credit_service.setting_fields import parse_bool as _bool
from credit_service.setting_fields import parse_path as _path
from credit_service.setting_fields import positive as _positive
from credit_service.setting_fields import setting as _setting

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The floors and choices the settings are checked against when the service starts. They
# live here, in the kernel, so that reading settings needs no area; the areas that apply
# them import them from here (audit's purge; auth's password profiles, one per name).
# MLPS 2.0 level 3 (and the Cybersecurity Law, art. 21): network logs kept >= 6 months.
MIN_AUDIT_RETENTION_DAYS = 180
PASSWORD_PROFILES = ("MLPS", "ASVS")


class SettingsError(ValueError):
    """A setting the service cannot start with; the message names its variable."""


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
        "Optional PostgreSQL read replica, used only for public reads that may lag.",
    )
    replica_max_lag_seconds: float = _setting(
        "REPLICA_MAX_LAG_SECONDS",
        5.0,
        "Public reads use the replica only while its measured lag is at most this; "
        "else the primary answers (docs/replica.md).",
        float,
        _positive,
    )
    replica_check_seconds: float = _setting(
        "REPLICA_CHECK_SECONDS",
        1.0,
        "How often each worker measures the replica's lag (keep it under REPLICA_MAX_LAG_SECONDS).",
        float,
        _positive,
    )
    change_notices: bool = _setting(
        "CHANGE_NOTICES",
        True,
        "Workers keep the tokens they checked (and on PostgreSQL the list version) until "
        "LISTEN/NOTIFY or, on SQLite, a trigger-kept counter says they changed; turn off "
        "behind a transaction-pooling PgBouncer (LISTEN needs a session).",
        _bool,
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
    db_parallel_workers: int | None = _setting(
        "DB_PARALLEL_WORKERS",
        None,
        "PostgreSQL: parallel workers one query of the service may start, set on each of "
        "its sessions (max_parallel_workers_per_gather); unset: the server's. 0 suits a "
        "few cores (docs/deploy.md); not behind PgBouncer, which refuses the option.",
        int,
        check=_at_least(0, "workers"),
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
        "Worker processes validating the rows while the CLI importer writes (0: none).",
        int,
    )
    token_default_days: int = _setting(
        "TOKEN_DEFAULT_DAYS", 90, "Default lifetime of a new API token, in days.", int
    )
    session_idle_minutes: int = _setting(
        "SESSION_IDLE_MINUTES", 30, "A web session ends after this long without a request.", int
    )
    session_max_hours: int = _setting(
        "SESSION_MAX_HOURS",
        12,
        "A web session ends this long after sign-in, whatever happens.",
        int,
    )
    session_cookie_secure: bool = _setting(
        "SESSION_COOKIE_SECURE",
        True,
        "Send the session cookie over HTTPS only (browsers also allow it on localhost).",
        _bool,
    )
    login_max_failures: int = _setting(
        "LOGIN_MAX_FAILURES",
        5,
        "Failed sign-ins to one account from one source within the window that lock that "
        "source out of that account (other sources are not affected).",
        int,
    )
    login_failure_window_minutes: int = _setting(
        "LOGIN_FAILURE_WINDOW_MINUTES", 15, "Window in which failed sign-ins are counted.", int
    )
    login_lock_minutes: int = _setting(
        "LOGIN_LOCK_MINUTES",
        30,
        "How long the first lock of an account for a source lasts; each further lock of "
        "the same pair lasts twice as long.",
        int,
    )
    login_lock_max_minutes: int = _setting(
        "LOGIN_LOCK_MAX_MINUTES",
        1440,
        "The longest lock; a source without failures for this long starts again from "
        "LOGIN_LOCK_MINUTES.",
        int,
    )
    password_profile: str = _setting(
        "PASSWORD_PROFILE",
        "MLPS",
        "Password rules: MLPS (等保 2.0) or ASVS (see docs/security.md).",
        check=_one_of(PASSWORD_PROFILES),
    )
    password_expiry_days: int = _setting(
        "PASSWORD_EXPIRY_DAYS", 90, "Days after which a password must be changed (0: never).", int
    )
    password_history: int = _setting(
        "PASSWORD_HISTORY", 5, "How many earlier passwords may not be reused.", int
    )
    ratelimit_storage_uri: str | None = _setting(
        "RATELIMIT_STORAGE_URI",
        None,
        "Where rate-limit counts are kept, shared by every worker: none is a SQLite file "
        "ratelimits.db in DATA_DIR (one machine); postgresql://… for several hosts (or "
        "redis://…, with the redis package); memory:// counts per worker.",
    )
    ratelimit_signin: str = _setting(
        "RATELIMIT_SIGNIN", "10 per minute", "Rate limit on sign-in per client address."
    )
    ratelimit_public: str = _setting(
        "RATELIMIT_PUBLIC", "300 per minute", "Rate limit on public endpoints per client address."
    )
    audit_retention_days: int = _setting(
        "AUDIT_RETENTION_DAYS",
        365,
        "Audit rows older than this may be purged (never under 180).",
        int,
        check=_at_least(MIN_AUDIT_RETENTION_DAYS, "days: audit logs are kept at least 180 days"),
    )
    audit_signing_key: str | None = _setting(
        "AUDIT_SIGNING_KEY",
        None,
        "Base64 Ed25519 seed (32 bytes) that signs audit checkpoints (`flask audit keygen`); "
        "keep it out of the database. Unset: a key file is created in DATA_DIR (development).",
    )
    audit_retired_keys: str | None = _setting(
        "AUDIT_RETIRED_KEYS",
        None,
        "Comma-separated seeds of earlier AUDIT_SIGNING_KEYs, so what they signed still verifies.",
    )
    audit_checkpoint_dir: Path | None = _setting(
        "AUDIT_CHECKPOINT_DIR",
        None,
        "Where signed audit checkpoints are also written, out of the database's reach "
        "(a mounted write-once store in production); default DATA_DIR/audit-checkpoints.",
        _path,
    )
    audit_seal_seconds: int = _setting(
        "AUDIT_SEAL_SECONDS",
        10,
        "How often the scheduler seals new audit rows and signs a checkpoint.",
        int,
        check=_at_least(1, "seconds"),
    )
    retention_purge: bool = _setting(
        "RETENTION_PURGE",
        False,
        "Let the nightly retention job delete what is past retention (D16, PIPL art. 47) "
        "once an earlier report listed it RETENTION_GRACE_DAYS ago; off: the job only "
        "writes its dry-run report (docs/retention.md).",
        _bool,
    )
    retention_grace_days: int = _setting(
        "RETENTION_GRACE_DAYS",
        7,
        "Days a retention report stands before what it lists may be purged (time to stop it).",
        int,
        check=_at_least(1, "days: an operator must have time to read a report before a purge"),
    )
    outbox_retention_days: int = _setting(
        "OUTBOX_RETENTION_DAYS",
        180,
        "Days an outbox event every pushing platform has taken is kept (its payload may name "
        "a natural person); then the retention purge deletes it (docs/retention.md).",
        int,
        check=_at_least(30, "days: the daily reconciliation and tracing read recent events"),
    )
    job_runs_retention_days: int = _setting(
        "JOB_RUNS_RETENTION_DAYS",
        90,
        "Days a scheduled job's run is kept (each job's last success stays); then the "
        "retention purge deletes it.",
        int,
        check=_at_least(7, "days: the job list shows the recent runs"),
    )
    natural_person_lookups_per_day: int = _setting(
        "NATURAL_PERSON_LOOKUPS_PER_DAY",
        20,
        "Lookups by full resident ID a user who sees natural persons masked may make a day.",
        int,
        check=_at_least(1, "lookups: 0 would leave such users no way to find a person"),
    )
    proxy_hops: int = _setting(
        "PROXY_HOPS",
        0,
        "Reverse proxies in front of the service whose X-Forwarded-For is trusted.",
        int,
    )
    sync_platforms_file: Path = _setting(
        "SYNC_PLATFORMS_FILE",
        PROJECT_ROOT / "instance" / "platforms.yaml",
        "The provincial platforms to sync with (see docs/sync-protocol.md); none if absent.",
        _path,
    )
    sync_confirm_workdays: int = _setting(
        "SYNC_CONFIRM_WORKDAYS",
        3,
        "Working days a platform has to confirm a pushed event before it is flagged (D11).",
        int,
    )
    scheduler_lease_seconds: int = _setting(
        "SCHEDULER_LEASE_SECONDS",
        90,
        "How long a scheduler's leadership lasts without renewal (another may take over); "
        "the leader renews it every third of it.",
        int,
        _at_least(3, "renewed every third of it, at least every second"),
    )
    pdf_font_path: str | None = _setting(
        "PDF_FONT_PATH",
        None,
        "A CJK TrueType font (.ttf/.ttc) to embed in generated PDFs; common system fonts "
        "are found without it.",
    )
    smtp_host: str | None = _setting(
        "SMTP_HOST",
        None,
        "Mail server for notification e-mails; unset: e-mails are only logged (development).",
    )
    smtp_port: int = _setting(
        "SMTP_PORT", 25, "Port of SMTP_HOST (587 for starttls, 465 ssl).", int
    )
    smtp_tls: str = _setting(
        "SMTP_TLS",
        "none",
        "How the mail connection is encrypted: none, starttls or ssl.",
        check=_one_of(("none", "starttls", "ssl")),
    )
    smtp_user: str | None = _setting("SMTP_USER", None, "User to sign in to SMTP_HOST as, if any.")
    smtp_password: str | None = _setting("SMTP_PASSWORD", None, "Password of SMTP_USER.")
    smtp_sender: str = _setting(
        "SMTP_SENDER", "noreply@localhost", "The From address of notification e-mails."
    )
    log_level: str = _setting("LOG_LEVEL", "INFO", "Python logging level.")
    log_format: str = _setting(
        "LOG_FORMAT",
        "json",
        "Log lines as json (one object a line, with the request id; for a log collector) or "
        "text (for reading in a terminal); see docs/logging.md.",
        str.lower,
        check=_one_of(("json", "text")),
    )

    def __post_init__(self) -> None:
        """Refuse to start with a value the service cannot honour, naming the variable,
        rather than fail later (a purge that deletes too much, a sign-in that crashes).

        :raises SettingsError:
        """
        for f in dataclasses.fields(self):
            check, value = f.metadata["check"], getattr(self, f.name)
            problem = check(value) if check else None
            if problem:
                raise SettingsError(f"{f.metadata['env']}={value!r}: {problem}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (the process environment by default).

        :raises SettingsError: a value that does not parse or is not allowed.
        """
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                try:
                    values[f.name] = f.metadata["parse"](raw)
                except ValueError as exc:
                    raise SettingsError(f"{f.metadata['env']}={raw!r}: {exc}") from exc
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, description) for every setting."""
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else ""
            rows.append((f.metadata["env"], str(default), f.metadata["doc"]))
        return rows

    @classmethod
    def markdown_table(cls) -> str:
        """The README's configuration table (paths shown relative to the project)."""
        rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
        for env, default, doc in cls.documented():
            shown = default.replace(f"{PROJECT_ROOT}/", "")
            rows.append(f"| `{env}` | `{'none' if shown == 'None' else shown}` | {doc} |")
        return "\n".join(rows)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests and CLI overrides)."""
        return dataclasses.replace(self, **changes)

    @property
    def ratelimit_storage(self) -> str:
        """The rate-limit storage URI: the setting, or the SQLite file in the data folder
        that every worker of this machine opens (docs/security.md, *Rate limits*)."""
        return self.ratelimit_storage_uri or f"sqlite:///{self.data_dir / 'ratelimits.db'}"

    @property
    def audit_witness_dir(self) -> Path:
        """Where signed checkpoints are copied (see ``audit_checkpoint_dir``)."""
        return self.audit_checkpoint_dir or self.data_dir / "audit-checkpoints"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
