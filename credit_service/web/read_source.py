"""Public reads and the replica, over HTTP: each request chooses its database once, says
which one answered, and is run once more on the primary when the replica fails it.

With ``DATABASE_REPLICA_URL`` set, the reads that may lag go to the replica while it is
within ``REPLICA_MAX_LAG_SECONDS`` (``credit_service.replica``). A request's first such
read chooses, and its answer carries ``X-Read-Source: replica`` or ``primary``; answers
that read nothing that may lag carry no such header. A safe request (GET, HEAD) that
fails on a connection to the replica (it went down since the last check, or a read was
cancelled by replay) is answered from the primary instead of failing.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, request

from credit_service.replica import ReplicaRouter
from credit_service.web import cache
from credit_service.web.access import SAFE_METHODS, rule_for
from credit_service.web.sync_hooks import SyncHooksFlask

logger = logging.getLogger(__name__)
HEADER = "X-Read-Source"


class ServiceFlask(SyncHooksFlask):
    """Flask, with a safe request whose replica read failed run once more on the
    primary (only the view: the request's checks before it have passed)."""

    def dispatch_request(self) -> Any:
        try:
            return super().dispatch_request()
        except Exception as error:
            router = _router(self)
            if router is None or request.method not in SAFE_METHODS:
                raise
            if not router.failed_over(error):
                raise
            cache.forget_validators()  # worked out from the replica
            return super().dispatch_request()


def install(app: Flask) -> None:
    """Choose anew for each request, and say where its reads went (with a replica)."""
    if _router(app) is None:
        return
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(say_source)


def say_source(response: Response) -> Response:
    """The database that answered the request's reads that may lag. A public download
    streamed after this reads them later: its source is chosen now, so that it is told."""
    router = _router(current_app)
    if router is None:
        return response
    if response.is_streamed and router.source() is None and _public():
        router.choose()
    source = router.source()
    if source is not None:
        response.headers[HEADER] = source
    return response


def _begin() -> None:
    router = _router(current_app)
    if router is not None:
        router.begin_request()


def _public() -> bool:
    rule = rule_for(current_app, request.endpoint, request.method)
    return rule is not None and rule.is_public


def _router(app: Flask) -> ReplicaRouter | None:
    ctx = app.extensions.get("credit_service")
    return ctx.replica if ctx is not None else None
