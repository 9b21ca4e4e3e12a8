"""The public list's full downloads, written once per version of the list and then
served as files.

A full download renders every entry in force: 52 s of a sync worker for a province's
200,000 entries on the slower reference machine (docs/performance.md), and anyone may ask
for one. Rendered again for every visitor, a handful of visitors would hold every worker.
So the first request for a download of a version of the list writes it to a file in
``DATA_DIR/downloads`` (one writer at a time per file: a second request for it waits for
the first, then reads the file), and every later one is sent that file. The file's name
holds the list's version (``cache.version_seed``: its last change, its entities' last
update, the day) and the download's kind and arguments, so a removal, a rename or
midnight makes a new file, as it makes a new ETag; writing one deletes the files of
other versions.

The key is the validated arguments, not the query string, and at most
``KEEP_PER_VERSION`` files are written for one version: a visitor who varies the
arguments (any six characters pass as a region) gets the download streamed as before,
never a folder that fills the disk. The folder holds public data only and is left out of
backups (``backup/archive.py``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from flask import Response, send_file

from credit_service.context import Context
from credit_service.dishonesty import public
from credit_service.files import DOWNLOADS_FOLDER, private_dir
from credit_service.web import cache

KEEP_PER_VERSION = 64
ABANDONED_AFTER_S = 3600


def answer(
    ctx: Context, kind: str, args: Mapping[str, Any], build: Callable[[], Response]
) -> Response:
    """The download ``kind`` (csv, json, ftm) with the validated ``args``, of the list as
    it stands: sent from its file, written from ``build()``'s streamed answer first when
    there is none; streamed as built when this version has its fill of files already.
    The answer carries the list's validators (``cache.decorate``)."""
    folder = private_dir(ctx.settings.data_dir / DOWNLOADS_FOLDER)
    version = _digest(cache.version_seed(public.list_version(ctx)))
    path = folder / f"{version}-{_digest(json.dumps([kind, args], sort_keys=True, default=str))}"
    built = build()  # cheap: its stream has not started
    if not path.exists():
        if len(list(folder.glob(f"{version}-*"))) >= KEEP_PER_VERSION:
            return cache.decorate(ctx, built)  # checked before a lock file is made
        with _writing(path):
            if not path.exists():
                _write(path, built.iter_encoded())
                _prune(folder, version)
    try:
        kept = open(path, "rb")  # noqa: SIM115 - send_file closes it when sent
    except FileNotFoundError:  # a newer version's writer deleted it just now
        return cache.decorate(ctx, built)
    built.close()
    sent = send_file(kept, mimetype=built.mimetype, conditional=False, etag=False)
    sent.content_length = os.fstat(kept.fileno()).st_size
    sent.headers["Content-Disposition"] = built.headers["Content-Disposition"]
    return cache.decorate(ctx, sent)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Hold the file's lock (``.lock-`` and its name): other workers' requests for the
    same download wait here, then find the file written."""
    with open(path.with_name(f".lock-{path.name}"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, chunks: Iterator[bytes]) -> None:
    """The whole answer into a temporary file, then renamed: a reader never sees a part."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _prune(folder: Path, version: str) -> None:
    """Delete the files (and locks) of other versions of the list, and what a worker
    that died while writing left (a write takes a minute at most); a worker still
    sending an old file keeps reading it (POSIX keeps an open file until it is closed)."""
    abandoned = time.time() - ABANDONED_AFTER_S
    for old in folder.iterdir():
        with suppress(FileNotFoundError):  # another worker renamed or deleted it meanwhile
            if old.name.startswith(".writing-"):
                if old.stat().st_mtime < abandoned:
                    old.unlink()
            elif not old.name.startswith((version, f".lock-{version}")):
                old.unlink()
