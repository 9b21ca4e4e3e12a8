"""Files only the service's own user may read.

The database, generated documents (they name natural persons), uploaded evidence and the
rate-limit counts are created 0600 in folders created 0700, with explicit modes, whatever
the umask the process inherited. The entry points (wsgi.py for gunicorn and the flask
command, the scheduler) also set a umask of 077, for any file a library creates itself.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077
# the public list's full downloads, kept per version of the list (web/kept_downloads.py):
# public data, rebuilt on demand, left out of backups
DOWNLOADS_FOLDER = "downloads"


def restrict_umask() -> None:
    """Make every file and folder this process creates from now on its user's only."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a folder, it and any missing parents created 0700 (folders that exist
    already keep the mode their owner gave them)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 in its existing folder, unless it exists: for a
    SQLite database, whose journal, WAL and shared-memory files SQLite creates with the
    database file's own mode.

    :raises FileNotFoundError: the folder does not exist.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, 0600 (its folder 0700). A file that was there is
    replaced and made 0600 too: it may have been written 0644 before this rule."""
    private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE)
        handle.write(data)
