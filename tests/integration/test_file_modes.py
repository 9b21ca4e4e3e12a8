"""What the service writes is readable by its own user only (issue 14): the SQLite
database and its WAL files, uploaded evidence and generated documents are created 0600 in
folders created 0700, whatever the umask the process inherited (each test runs under the
usual 022, with which they used to be 0644)."""

from __future__ import annotations

import io
import os
import re
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from credit_service.db import make_engine
from credit_service.dishonesty import services as dishonesty
from credit_service.files import private_file, write_private
from credit_service.held_connections import dispose
from credit_service.repair import services as repair
from tests.factories import LISTING_REGULATOR
from tests.integration.test_access_log import get, gunicorn
from tests.integration.test_repair import PDF, apply, enterprise_of, general_penalty
from tests.integration.test_step_dates import proposed


@pytest.fixture(autouse=True)
def usual_umask():  # type: ignore[no-untyped-def]
    """The umask most shells and service managers start a process with."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_and_lock_files_are_private(tmp_path):
    database = tmp_path / "credit.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        wal_files = [Path(f"{database}-{suffix}") for suffix in ("wal", "shm", "writers")]
        assert all(f.exists() for f in wal_files)
        modes = {f.name: mode(f) for f in (database, *wal_files)}
    dispose(engine)
    assert modes == dict.fromkeys(modes, 0o600)


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path):
    database = tmp_path / "shared.db"
    database.touch(mode=0o640)
    dispose(make_engine(f"sqlite:///{database}"))
    assert mode(database) == 0o640


def test_uploaded_evidence_is_private(ctx):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    application = apply(ctx, enterprise, f"record:{record['id']}")

    repair.add_evidence(
        ctx, enterprise, application["id"], filename="a.pdf", stream=io.BytesIO(PDF)
    )

    folder = ctx.settings.data_dir / "evidence"
    (stored,) = folder.iterdir()
    assert (mode(stored), mode(folder), mode(ctx.settings.data_dir)) == (0o600, 0o700, 0o700)


def test_generated_documents_are_private(ctx):
    case, _ = proposed(ctx)

    dishonesty.advance(ctx, LISTING_REGULATOR, case["id"], "serve_notice")

    folder = ctx.settings.data_dir / "documents"
    (notice,) = folder.iterdir()
    assert (mode(notice), mode(folder)) == (0o600, 0o700)


def test_a_file_written_again_is_made_private(tmp_path):
    """A document written before this rule (0644) and written again becomes 0600."""
    path = tmp_path / "documents" / "same.pdf"
    path.parent.mkdir()
    path.write_bytes(b"old")
    path.chmod(0o644)

    write_private(path, b"new")

    assert (path.read_bytes(), mode(path)) == (b"new", 0o600)
    assert private_file(path) == path and mode(path) == 0o600  # there already: untouched


def test_the_served_service_writes_for_its_user_only(live_ctx, tmp_path):
    """gunicorn as `make run` starts it: its workers run with a umask of 077 (wsgi.py),
    and the rate-limit counts they share are a private file in a private DATA_DIR."""
    log = tmp_path / "access.log"
    options = ("--access-logfile", str(log), "--access-logformat", "%(p)s")  # text lines
    with gunicorn(live_ctx.settings.database_url, tmp_path, *options, LOG_FORMAT="text") as base:
        assert get(f"{base}/api/v1/catalogs") == 200  # a public read: counted
        deadline = time.monotonic() + 5
        while not log.exists() or not log.read_text().strip():
            assert time.monotonic() < deadline, "no access log line"
            time.sleep(0.1)
        worker = log.read_text().split()[-1].strip("<>")
        umask = re.search(r"^Umask:\s+(\d+)$", Path(f"/proc/{worker}/status").read_text(), re.M)
    data = tmp_path / "data"
    assert umask and umask.group(1) == "0077"
    assert (mode(data), mode(data / "ratelimits.db")) == (0o700, 0o600)
