"""A real streaming replica for the tests: the second PostgreSQL cluster that
``.ci/replica-cluster`` makes on this machine, and what the tests do to it (stop and
start it, pause its replay, wait until it has caught up).

``unavailable()`` says why a machine cannot have one (the tests skip with that reason);
``replica_cluster()`` makes it and drops it again, however the tests end.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from credit_service.config import PROJECT_ROOT
from credit_service.db import normalize_url
from tests.conftest import SCHEMA_PREFIX, _migrate, with_search_path

SCRIPT = PROJECT_ROOT / ".ci" / "replica-cluster"
VERSION = os.environ.get("PG_VERSION", "15")
PRIMARY = os.environ.get("PRIMARY_CLUSTER", "main")
NAME = os.environ.get("REPLICA_CLUSTER", "replica")
UNABLE = 3  # the script's exit status when this machine cannot have a replica
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", None}


def unavailable() -> str | None:
    """Why the replica tests cannot run here (None: they can)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        return "TEST_DATABASE_URL is not set (PostgreSQL tests are off)"
    if shutil.which("pg_createcluster") is None or shutil.which("pg_lsclusters") is None:
        return "no pg_createcluster here (Debian's postgresql-common makes the replica)"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != "postgres":
        return "making a PostgreSQL cluster needs root (or the postgres user)"
    url = make_url(base)
    if url.host not in LOCAL_HOSTS:
        return f"TEST_DATABASE_URL is on {url.host}, not this machine"
    if cluster_port(PRIMARY) != (url.port or 5432):
        return f"TEST_DATABASE_URL is not cluster {VERSION} {PRIMARY} of this machine"
    return None


def cluster_port(name: str) -> int | None:
    """The port of cluster VERSION/name of this machine (None: there is none)."""
    listed = subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=False
    ).stdout
    for line in listed.splitlines():
        fields = line.split()
        if fields[:2] == [VERSION, name]:
            return int(fields[2])
    return None


@dataclass
class ReplicaCluster:
    """The running replica, on ``port`` of this machine."""

    port: int

    def url(self, primary_url: str) -> str:
        """``primary_url`` (database, user, options) on the replica instead."""
        return make_url(primary_url).set(port=self.port).render_as_string(hide_password=False)

    def stop(self) -> None:
        _run("pg_ctlcluster", VERSION, NAME, "stop", "-m", "fast")

    def start(self) -> None:
        _run("pg_ctlcluster", VERSION, NAME, "start")

    def sql(self, statement: str, database_url: str) -> object:
        """One statement on the replica, its first value."""
        engine = admin_engine(self.url(database_url))
        try:
            with engine.connect() as connection:
                return connection.execute(text(statement)).scalar()
        finally:
            engine.dispose()

    def wait_caught_up(self, primary_url: str, timeout_s: float = 30.0) -> float:
        """Wait until the replica has replayed everything the primary has written by
        now; the seconds that took."""
        primary = admin_engine(primary_url)
        replica = admin_engine(self.url(primary_url))
        started = time.monotonic()
        try:
            with primary.connect() as connection:
                target = connection.exec_driver_sql("SELECT pg_current_wal_lsn()").scalar()
            while True:
                try:
                    with replica.connect() as connection:
                        behind = connection.exec_driver_sql(
                            "SELECT pg_last_wal_replay_lsn() < %(target)s::pg_lsn",
                            {"target": target},
                        ).scalar()
                except Exception:  # starting up: not accepting connections yet
                    behind = True
                if not behind:
                    return time.monotonic() - started
                if time.monotonic() - started > timeout_s:
                    raise TimeoutError(f"the replica did not reach {target} in {timeout_s} s")
                time.sleep(0.01)
        finally:
            primary.dispose()
            replica.dispose()


def admin_engine(url: str) -> Engine:
    """An engine that keeps no connection (the replica is stopped and started)."""
    return create_engine(normalize_url(url), poolclass=NullPool)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A schema of its own on the primary (TEST_DATABASE_URL), migrated to head: its URL,
    which the replica serves too. Dropped at the end (a killed run's goes with conftest's
    stale-schema cleanup)."""
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"{SCHEMA_PREFIX}{int(time.time())}_{secrets.token_hex(3)}"
    admin = admin_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = with_search_path(base, schema)
        _migrate(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def replica_cluster() -> Iterator[ReplicaCluster]:
    """Make the replica (``.ci/replica-cluster up``), and drop it at the end."""
    try:
        made = subprocess.run(
            [str(SCRIPT), "up"], capture_output=True, text=True, timeout=300, check=False
        )
        if made.returncode == UNABLE:
            raise RuntimeError(f"this machine cannot have a replica: {made.stderr.strip()}")
        if made.returncode != 0:
            raise RuntimeError(f".ci/replica-cluster up failed:\n{made.stderr[-3000:]}")
        yield ReplicaCluster(int(made.stdout.split()[-1]))
    finally:
        subprocess.run([str(SCRIPT), "down"], capture_output=True, timeout=120, check=False)


def _run(*command: str) -> None:
    subprocess.run(command, capture_output=True, timeout=120, check=True)
