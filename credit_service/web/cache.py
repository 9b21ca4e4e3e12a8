"""Public answers about the published list: validators (ETag, Last-Modified), 304 for a
current copy, and rendered answers kept by their validator.

The published list changes a few times a day and is read all the time. The ETag names
everything an answer depends on (the last list change, the listed entities' last
update, the day, the request's path and query), so an answer stored under its ETag is
exactly what would be computed again; a change of the list changes every ETag, and old
entries age out. One bounded cache per worker process. The API and the public pages
(for visitors who are not signed in: their pages are the same for everyone) share it.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, time, tzinfo
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request

from credit_service.context import Context
from credit_service.dishonesty import list_version

# Stored copies (browsers, proxies) must ask again every time: the answer to a current
# copy is a cheap 304, and a removed entry is never shown from a copy.
CACHE_CONTROL = "public, no-cache"


class AnswerCache:
    """A small least-recently-used map from validator to rendered body."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key: str, render: Callable[[], bytes]) -> bytes:
        """The stored body for ``key``, or ``render()``'s, stored. A render that raises
        (e.g. an entry that is not on the list) stores nothing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        body = render()
        with self._lock:
            self._items[key] = body
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return body

    def __len__(self) -> int:
        return len(self._items)


def validators(ctx: Context) -> tuple[str, datetime]:
    """ETag value and Last-Modified of the list as it stands today, for this request
    (worked out once: the 304 check and the answer ask for them in turn)."""
    if "list_validators" not in g:
        g.list_validators = _validators(ctx)
    return g.list_validators


def forget_validators() -> None:
    """Work the validators out again for this request (its reads moved to the primary)."""
    g.pop("list_validators", None)


def _validators(ctx: Context) -> tuple[str, datetime]:
    return _validators_of(list_version.list_version(ctx), ctx.tz, request.full_path)


@functools.lru_cache(maxsize=4096)
def _validators_of(
    version: list_version.ListVersion, tz: tzinfo, full_path: str
) -> tuple[str, datetime]:
    """ETag and Last-Modified of one version of the list for one path and query (kept:
    the same few are asked for all day, and most of these requests are a 304)."""
    midnight = datetime.combine(version.day, time(), tzinfo=tz)
    last = max(filter(None, (version.last_modified, midnight))).replace(microsecond=0)
    seed = f"{version_seed(version)}|{full_path}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32], last


def version_seed(version: list_version.ListVersion) -> str:
    """What names one version of the list in every answer derived from it."""
    return f"{version.last_change_id}|{version.entities_updated_at}|{version.day}"


def not_modified(ctx: Context) -> Response | None:
    """304 when the client's copy is current (If-None-Match first, then the date)."""
    etag, last = validators(ctx)
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(etag)
    else:
        fresh = bool(request.if_modified_since and request.if_modified_since >= last)
    return decorate(ctx, Response(status=304), etag, last) if fresh else None


def decorate(
    ctx: Context, response: Response, etag: str | None = None, last: datetime | None = None
) -> Response:
    """The validators and a public, always-revalidated Cache-Control on a public answer."""
    if etag is None or last is None:
        etag, last = validators(ctx)
    response.set_etag(etag, weak=True)
    response.last_modified = last
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def conditional(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 304 before anything else of the view runs (its arguments are not even
    parsed): conditional requests are the most frequent public call."""

    @wraps(view)
    def answer_if_changed(*args: Any, **kwargs: Any) -> Any:
        fresh = not_modified(current_app.extensions["credit_service"])
        return fresh if fresh is not None else view(*args, **kwargs)

    return answer_if_changed


def answer(ctx: Context, render: Callable[[], bytes], mimetype: str) -> Response:
    """This request's answer, rendered once per version of the list (or 304)."""
    fresh = not_modified(ctx)
    if fresh is not None:
        return fresh
    etag, last = validators(ctx)
    answers = ctx.extras.setdefault("public_answers", AnswerCache())
    body = answers.get_or_render(etag, render)
    return decorate(ctx, Response(body, mimetype=mimetype), etag, last)
