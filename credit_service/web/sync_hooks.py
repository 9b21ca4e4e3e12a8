"""Flask, asking once per function whether it is a coroutine function.

Flask passes every before- and after-request hook, view and error handler through
``ensure_sync`` on every request, and ``ensure_sync`` asks ``inspect`` each time (about
20 µs of a 380 µs liveness probe, with the service's dozen hooks). The answer cannot
change for a function, so it is kept: per function object, weakly, and for a bound
method per its function (a class-based view's methods are bound anew for each request).
A coroutine function still goes through Flask's own wrapping every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask


class SyncHooksFlask(Flask):
    """Flask with ``ensure_sync``'s question answered once per function."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: WeakKeyDictionary[Callable[..., Any], bool] = WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        key = getattr(func, "__func__", func)
        try:
            plain = self._plain.get(key)
        except TypeError:  # not weakly referable: asked every time, as Flask does
            return super().ensure_sync(func)
        if plain is None:
            synced = super().ensure_sync(func)
            self._plain[key] = plain = synced is func
            return synced
        return func if plain else super().ensure_sync(func)
