"""The data folder (DATA_DIR) as a tar: uploaded evidence, generated documents, import
reports; without what must not travel with the database.

Left out, whatever the data folder holds:

- the audit signing key (``audit-signing.key``, the development key; production keeps it
  in AUDIT_SIGNING_KEY). The audit log's guarantee is that whoever holds the database
  cannot forge it without the key: a backup that held both would hand both to whoever
  reads the backup. The key is kept, and restored, on its own (docs/backup.md).
- the folder of checkpoint copies (AUDIT_CHECKPOINT_DIR, by default in the data folder).
  They witness the database from outside: restored from the same backup as the database,
  they would be rolled back with it, and the rows sealed after the backup would vanish
  without a trace. They stay where they are, so ``flask audit verify`` after a restore
  says which sealed rows the backup did not have.
- SQLite database files (the service's database, if kept there, which the backup copies
  through the backup API, and the rate-limit counts, which are worth nothing a minute
  later), with their journal, WAL, shared-memory and writer-lock files.
- the backup folder itself, if it was put inside the data folder.
- the public list's kept downloads (``downloads/``): public data, written again on the
  first request after a restore.

The database is dumped before the files are read, and every file a committed row names
is written before the row commits (evidence, documents): so every file the dumped rows
name is in the tar. Files written after the dump may be in it too, unused.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from credit_service.config import Settings
from credit_service.files import DOWNLOADS_FOLDER, PRIVATE_FILE, private_dir
from credit_service.signing_keys import KEY_FILE

SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal", "-writers")


@dataclass(frozen=True)
class LeftOut:
    """The paths of a data folder a backup leaves out (each with what lies under it)."""

    root: Path
    paths: frozenset[Path]

    @classmethod
    def of(cls, settings: Settings, *also: Path) -> LeftOut:
        """What is left out of the data folder of ``settings``, and ``also`` these paths."""
        root = settings.data_dir
        paths = {root / KEY_FILE, root / DOWNLOADS_FOLDER, settings.audit_witness_dir, *also}
        for url in (settings.database_url, settings.ratelimit_storage):
            if url.startswith("sqlite"):
                database = make_url(url).database
                if database and database != ":memory:":
                    paths |= {Path(database + suffix) for suffix in SQLITE_COMPANIONS}
        return cls(root.resolve(), frozenset(p.resolve() for p in paths))

    def covers(self, path: Path) -> bool:
        # the key file's temporary twin while it is created (signing_keys._development_seed)
        if path.parent == self.root and path.name.startswith(f"{KEY_FILE}."):
            return True
        return path in self.paths or any(parent in self.paths for parent in path.parents)

    def inside(self) -> list[str]:
        """What is left out that lies in the data folder, relative to it (for the manifest)."""
        inside = (p for p in self.paths if self.root in p.parents and p.exists())
        return sorted(str(p.relative_to(self.root)) for p in inside)


def entries(left_out: LeftOut) -> Iterator[Path]:
    """The folders and files of the data folder that a backup takes, in a fixed order."""
    root = left_out.root
    if not root.is_dir():
        return
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        folders[:] = sorted(f for f in folders if not left_out.covers(here / f))
        if here != root:
            yield here
        yield from (here / f for f in sorted(files) if not left_out.covers(here / f))


@dataclass(frozen=True)
class Packed:
    files: int
    bytes: int


def pack(left_out: LeftOut, path: Path) -> Packed:
    """Write the data folder's files to the tar at ``path`` (0600)."""
    files = size = 0
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as tar:
        for entry in entries(left_out):
            try:
                member = tar.gettarinfo(entry, arcname=str(entry.relative_to(left_out.root)))
                if member.isreg():
                    with entry.open("rb") as content:
                        tar.addfile(member, content)
                    files, size = files + 1, size + member.size
                elif member.isdir() or member.issym():
                    tar.addfile(member)
            except FileNotFoundError:  # gone since the walk (an expired import report)
                continue
    return Packed(files, size)


def unpack(path: Path, root: Path) -> Packed:
    """Extract the tar at ``path`` into ``root`` (made 0700 if new). The ``data`` filter
    refuses absolute names, ``..``, links that leave the folder and device files."""
    private_dir(root)
    with tarfile.open(path) as tar:
        members = tar.getmembers()
        tar.extractall(root, filter="data")
    regular = [m for m in members if m.isreg()]
    return Packed(len(regular), sum(m.size for m in regular))


def holds_files(left_out: LeftOut) -> bool:
    """Whether the data folder holds anything a restore would write over."""
    return any(not entry.is_dir() for entry in entries(left_out))
