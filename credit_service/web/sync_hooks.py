"""Flask, asking once per hook whether it is a coroutine function.

Flask passes every before- and after-request hook, view and error handler through
``ensure_sync`` on every request, and ``ensure_sync`` asks ``inspect`` each time (about
20 µs of a 380 µs liveness probe, with the service's dozen hooks). The answer cannot
change for a given function object, so it is kept, weakly: a bound method made anew for
a call is not kept alive by the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask


class SyncHooksFlask(Flask):
    """Flask with ``ensure_sync`` remembered per function object."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: WeakKeyDictionary[Callable[..., Any], Callable[..., Any]] = (
            WeakKeyDictionary()
        )

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synced[func]
        except KeyError:
            synced = self._synced[func] = super().ensure_sync(func)
            return synced
        except TypeError:  # not weakly referable: asked every time, as Flask does
            return super().ensure_sync(func)
