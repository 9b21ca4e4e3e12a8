"""PostgreSQL: ``pg_dump`` (custom format) of the service's schema, ``pg_restore`` into an
empty one, with the server's own client programs.

The dump and the manifest's counts read one snapshot: a REPEATABLE READ transaction
exports it (``pg_export_snapshot``), ``pg_dump --snapshot`` dumps it, and the digests are
read in that same transaction while the dump runs, so a service writing meanwhile
changes neither. The password never reaches a command line (``ps`` shows those): the
programs get the URL without it, and the password in their environment (PGPASSWORD).
Only the schema the URL's ``search_path`` names (``public`` without one) is dumped and
restored, so a schema-scoped URL (tests, benchmarks) backs up that schema alone; the
extension its indexes use is created in the target database first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess  # nosec B404  # the PostgreSQL client programs, arguments as a list
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from credit_service.db import make_engine
from credit_service.errors import CreditServiceError
from credit_service.held_connections import dispose
from credit_service.pg_extensions import ensure_trigram

CLIENT_FOLDER = "/usr/lib/postgresql/{major}/bin"  # Debian's folder of each version's programs
# pg_restore's table of contents: the entries of the schema itself (it exists already)
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (SCHEMA|COMMENT|ACL) - (SCHEMA )?")


@dataclass(frozen=True)
class Server:
    """How the client programs reach the database of ``url``."""

    conninfo: str  # a libpq URI without the password (it goes on the command line)
    password: str | None

    @classmethod
    def of(cls, url: str) -> Server:
        parsed = make_url(url)
        query = {k: v for k, v in parsed.query.items() if k != "options"}
        plain = URL.create(
            "postgresql",
            username=parsed.username,
            host=parsed.host,
            port=parsed.port,
            database=parsed.database,
            query=query,
        )
        return cls(plain.render_as_string(hide_password=False), parsed.password)

    def environment(self) -> dict[str, str]:
        """The programs' environment: this process's, and the password if the URL has one."""
        environment = dict(os.environ)
        if self.password is not None:
            environment["PGPASSWORD"] = self.password
        return environment

    def run(self, program: str, *arguments: str) -> str:
        """Run a client program; its output, or the error naming its own message.

        :raises CreditServiceError: ``backup-tool-failed``.
        """
        completed = subprocess.run(  # nosec B603  # a known program, no shell
            [program, *arguments],
            env=self.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise _failed(program, completed.returncode, completed.stderr)
        return completed.stdout


def _failed(program: str, status: int, stderr: str) -> CreditServiceError:
    said = " ".join(stderr.strip().splitlines()[-3:])
    return CreditServiceError(
        "backup-tool-failed", tool=Path(program).name, exit_status=status, said=said
    )


def client(name: str, connection: Connection) -> str:
    """The client program of the server's major version: Debian's folder for it, else
    the one on PATH (pg_dump refuses a server newer than itself).

    :raises CreditServiceError: ``backup-tool-missing``.
    """
    number = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one())
    major = number // 10000
    own = Path(CLIENT_FOLDER.format(major=major)) / name
    found = str(own) if own.is_file() else shutil.which(name)
    if not found:
        raise CreditServiceError("backup-tool-missing", tool=name, version=major)
    return found


@contextmanager
def dumped(url: str, path: Path) -> Iterator[Connection]:
    """Dump the service's schema to ``path`` and yield a connection that reads the very
    snapshot dumped; the dump is complete when the block ends.

    :raises CreditServiceError: ``backup-tool-missing``, ``backup-tool-failed``.
    """
    server = Server.of(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
                program = client("pg_dump", connection)
                # the name quoted: a pattern otherwise (case folded, * and ? wildcards)
                arguments = ["-Fc", f"--snapshot={snapshot}", "-n", f'"{schema}"', "-f", str(path)]
                process = subprocess.Popen(  # nosec B603  # a known program, no shell
                    [program, *arguments, "-d", server.conninfo],
                    env=server.environment(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                try:
                    yield connection
                finally:  # the snapshot stays exported until pg_dump is done with it
                    _, stderr = process.communicate()
                if process.returncode != 0:
                    raise _failed(program, process.returncode, stderr)
    finally:
        dispose(engine)


@dataclass(frozen=True)
class Target:
    """The database a restore writes into: its schema and whether it holds anything."""

    schema: str
    exists: bool
    relations: int


def target(connection: Connection) -> Target:
    """The schema the URL's search_path names (its first entry when it does not exist
    yet), whether it exists and how many tables, views and sequences it holds."""
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    if schema is None:
        path = connection.exec_driver_sql("SHOW search_path").scalar_one()
        named = [p.strip().strip('"') for p in path.split(",") if p.strip() != '"$user"']
        schema = named[0] if named else "public"
    relations = connection.execute(
        text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        ),
        {"schema": schema},
    ).scalar_one()
    exists = connection.execute(
        text("SELECT count(*) FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    ).scalar_one()
    return Target(schema, bool(exists), int(relations))


def inspect_target(url: str) -> tuple[Target, str]:
    """The restore target of ``url`` and the path of its server's ``pg_restore``.

    :raises CreditServiceError: ``backup-target-unreachable`` (no such database, say:
        ``createdb`` it first), ``backup-tool-missing``.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return target(connection), client("pg_restore", connection)
    except OperationalError as exc:
        said = " ".join(str(exc.orig).split())
        raise CreditServiceError("backup-target-unreachable", said=said) from exc
    finally:
        dispose(engine)


def _create_extensions(url: str) -> None:
    """What the dump's indexes need and a dump of one schema leaves out: pg_trgm, in the
    target database (``pg_extensions``), before pg_restore creates the trigram index."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            ensure_trigram(connection)
    finally:
        dispose(engine)


def restore(url: str, path: Path, *, into: Target, program: str, clean: bool) -> None:
    """Restore the dump at ``path`` into the database of ``url``, all or nothing (one
    transaction). A schema that exists already is kept (its own entries are left out of
    the restore); ``clean`` drops the dump's objects first.

    :raises CreditServiceError: ``backup-tool-failed``.
    """
    server = Server.of(url)
    _create_extensions(url)
    contents = server.run(program, "-l", str(path))
    if into.exists:
        contents = "\n".join(
            line for line in contents.splitlines() if not _SCHEMA_ENTRY.match(line)
        )
    with tempfile.NamedTemporaryFile("w", suffix=".list", encoding="utf-8") as listing:
        listing.write(contents + "\n")
        listing.flush()
        options = ["--no-owner", "--single-transaction", "--exit-on-error", "-L", listing.name]
        if clean:
            options += ["--clean", "--if-exists"]
        server.run(program, *options, "-d", server.conninfo, str(path))
