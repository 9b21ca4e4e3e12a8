"""The public list's full downloads, written once per version of the list and then
served as files.

A full download renders every entry in force: 52–91 s of a sync worker for a province's
200,000 entries on the slower reference machine (docs/performance.md), and anyone may ask
for one. Rendered again for every visitor, a handful of visitors would hold every worker.
So the first request for a download of a version of the list streams it as before and
writes the same bytes to a file in ``DATA_DIR/downloads`` as they go (the client gets its
first bytes at once, as a proxy's read timeout wants); every later request is sent that
file. While one request writes a file, another for the same download streams its own
copy without writing (``flock``, never waited on). The file's name holds the list's
version (``cache.version_seed``: its last change, its entities' last update, the day),
the download's kind and arguments and the address the request came to (the FtM
download's links name it: a visitor's ``Host`` must not reach another's file), so a
removal, a rename or midnight makes a new file, as it makes a new ETag; a file written
for the version that is still current deletes the files of other versions.

At most ``KEEP_PER_VERSION`` files are written for one version: a visitor who varies
the arguments (any six characters pass as a region) or the address gets the download
streamed as before, never a folder that fills the disk. A folder that cannot be written
(full, read-only) leaves the download streamed as before too. The folder holds public
data only and is left out of backups (``backup/archive.py``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from flask import Response, request, send_file

from credit_service.context import Context
from credit_service.dishonesty import list_version
from credit_service.files import DOWNLOADS_FOLDER, private_dir
from credit_service.web import cache

KEEP_PER_VERSION = 64
ABANDONED_AFTER_S = 3600


def answer(
    ctx: Context, kind: str, args: Mapping[str, Any], build: Callable[[], Response]
) -> Response:
    """The download ``kind`` (csv, json, ftm) with the validated ``args``, of the list as
    it stands: sent from its file when written; else ``build()``'s streamed answer, its
    bytes written to the file as they are sent when no other request is writing it and
    the version has room. The answer carries the list's validators (``cache.decorate``)."""
    version = _version(ctx)
    key = json.dumps([kind, args, request.host_url], sort_keys=True, default=str)
    built = build()  # cheap: its stream has not started
    path = ctx.settings.data_dir / DOWNLOADS_FOLDER / f"{version}-{_digest(key)}"
    try:
        kept = open(private_dir(path.parent) / path.name, "rb")  # noqa: SIM115 - send_file closes it
    except FileNotFoundError:
        return cache.decorate(ctx, _written_as_sent(ctx, built, path, version))
    except OSError:  # no folder to be had: the download as it was before files
        return cache.decorate(ctx, built)
    built.close()
    sent = send_file(kept, mimetype=built.mimetype, conditional=False, etag=False)
    sent.content_length = os.fstat(kept.fileno()).st_size
    sent.headers["Content-Disposition"] = built.headers["Content-Disposition"]
    return cache.decorate(ctx, sent)


def _version(ctx: Context) -> str:
    return _digest(cache.version_seed(list_version.list_version(ctx)))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _written_as_sent(ctx: Context, built: Response, path: Path, version: str) -> Response:
    """``built``, its bytes also written to ``path`` as they are sent (renamed into place
    once all are sent), unless the version has its fill of files or another request is
    writing this one."""
    if len(list(path.parent.glob(f"{version}-*"))) >= KEEP_PER_VERSION:
        return built
    lock = _try_lock(path.with_name(f".lock-{path.name}"))
    if lock is None:
        return built
    if path.exists():  # its writer finished between our look and our lock
        lock.close()
        return built
    chunks = _tee(ctx, built.iter_encoded(), path, version, lock)
    return Response(chunks, headers=built.headers)


def _try_lock(path: Path) -> IO[bytes] | None:
    """The lock file ``path``, held; None when another request holds it or it cannot be
    made."""
    try:
        lock = open(path, "ab")  # noqa: SIM115 - closed by _tee, or below
    except OSError:
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return None
    return lock


def _tee(
    ctx: Context, chunks: Iterator[bytes], path: Path, version: str, lock: IO[bytes]
) -> Iterator[bytes]:
    """Yield ``chunks``, writing each to a temporary file renamed to ``path`` after the
    last; a client gone before the end, or a write that fails (the disk full), leaves no
    file and the rest still sent."""
    handle = _temporary(path)
    try:
        for chunk in chunks:
            if handle is not None:
                handle = _written(handle, chunk)
            yield chunk
        if handle is not None:
            handle.close()
            os.replace(handle.name, path)
            handle = None
            if _version(ctx) == version:  # a slow writer of an old version prunes nothing
                _prune(path.parent, version)
    finally:
        if handle is not None:
            _discard(handle)
        lock.close()  # releases the flock


def _temporary(path: Path) -> IO[bytes] | None:
    try:
        return tempfile.NamedTemporaryFile(  # noqa: SIM115 - _tee closes or discards it
            dir=path.parent, prefix=".writing-", delete=False
        )
    except OSError:
        return None


def _written(handle: IO[bytes], chunk: bytes) -> IO[bytes] | None:
    """``handle`` after writing ``chunk`` to it; None, the file discarded, if it failed."""
    try:
        handle.write(chunk)
    except OSError:
        _discard(handle)
        return None
    return handle


def _discard(handle: IO[bytes]) -> None:
    with suppress(OSError):
        handle.close()
    with suppress(OSError):
        os.unlink(handle.name)


def _prune(folder: Path, version: str) -> None:
    """Delete the files of other versions of the list, their locks that nobody holds, and
    what a request that died while writing left (a write takes two minutes at most); a
    request still sending an old file keeps reading it (POSIX keeps an open file)."""
    abandoned = time.time() - ABANDONED_AFTER_S
    for old in folder.iterdir():
        with suppress(FileNotFoundError):  # another request renamed or deleted it meanwhile
            if old.name.startswith(".writing-"):
                if old.stat().st_mtime < abandoned:
                    old.unlink()
            elif old.name.startswith(".lock-"):
                if not old.name.startswith(f".lock-{version}"):
                    _unlink_unheld(old)
            elif not old.name.startswith(version):
                old.unlink()


def _unlink_unheld(lock_path: Path) -> None:
    """Delete a lock file unless a writer holds it (it would lock a file nobody else finds)."""
    lock = _try_lock(lock_path)
    if lock is not None:
        with lock:
            lock_path.unlink()
