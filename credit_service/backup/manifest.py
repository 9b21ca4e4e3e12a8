"""A backup's manifest (``manifest.json``): what the backup holds and how to check it.

It names the engine, the schema version (Alembic revision), the service version, when
the backup was made (the service's clock), each table's row count and digest
(``digests``), the SHA-256 and size of each file of the backup, the data folder's file
count and what was left out of it, and the audit log's last checkpoint and the ids of
the keys that signed the checkpoints (public ids: the keys themselves are never in a
backup). ``check_files`` compares the files with it; a restore does so first.

The manifest does not vouch for itself: whoever can rewrite the files can rewrite it too.
``flask backup create`` prints its SHA-256, to be kept apart (a ticket, the operations log).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from credit_service.backup.digests import TableDigest
from credit_service.errors import CreditServiceError
from credit_service.files import write_private

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILE = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
DATA_FILE = "data.tar"
_CHUNK = 1 << 20


@dataclass
class Manifest:
    created_at: str
    engine: str
    schema: str | None
    alembic_revision: str | None
    service_version: str
    tables: dict[str, TableDigest]
    data: dict[str, Any]  # files, bytes, left_out, folder
    audit: dict[str, Any]  # checkpoint_size, checkpoint_head, signing_key_ids
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name: sha256, bytes
    timings: dict[str, float] = field(default_factory=dict)  # seconds, by phase
    format: int = FORMAT

    @property
    def database_file(self) -> str:
        return DATABASE_FILE[self.engine]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    def add_file(self, path: Path) -> None:
        self.files[path.name] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write(directory: Path, manifest: Manifest) -> str:
    """Write the manifest (0600) and answer its SHA-256."""
    document = asdict(manifest)
    data = (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    write_private(directory / MANIFEST, data)
    return hashlib.sha256(data).hexdigest()


def read(directory: Path) -> Manifest:
    """The manifest of the backup in ``directory``.

    :raises CreditServiceError: ``backup-manifest-unreadable``.
    """
    path = directory / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT or document.get("engine") not in DATABASE_FILE:
            raise ValueError("format")
        document["tables"] = {k: TableDigest(**v) for k, v in document["tables"].items()}
        return Manifest(**document)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CreditServiceError(
            "backup-manifest-unreadable", path=str(path), reason=type(exc).__name__
        ) from exc


def check_files(directory: Path, manifest: Manifest) -> dict[str, str]:
    """Each file of the manifest and what it is found to be: ``intact``, ``missing`` or
    ``corrupt`` (its size or SHA-256 differ from the manifest's)."""
    found = {}
    for name, expected in sorted(manifest.files.items()):
        path = directory / name
        if not path.is_file():
            found[name] = "missing"
        elif path.stat().st_size != expected["bytes"] or file_sha256(path) != expected["sha256"]:
            found[name] = "corrupt"
        else:
            found[name] = "intact"
    return found


def refuse_if_damaged(directory: Path, manifest: Manifest) -> None:
    """:raises CreditServiceError: ``backup-damaged``, naming the files."""
    required = {manifest.database_file, DATA_FILE}
    found = check_files(directory, manifest)
    damaged = sorted(
        {n for n, state in found.items() if state != "intact"} | (required - set(found))
    )
    if damaged:
        raise CreditServiceError("backup-damaged", directory=str(directory), files=damaged)
