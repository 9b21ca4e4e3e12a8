"""Rendered public answers kept by their validator (ETag).

The published list changes a few times a day and is read all the time. Its ETag already
names everything an answer depends on (the last list change, the listed entities' last
update, the day, the request's path and query), so an answer stored under its ETag is
exactly what would be computed again; a change of the list changes every ETag, and old
entries simply age out. One cache per worker process, bounded in size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable


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
