"""Ordered map over batches in worker processes, with a bounded number in flight.

Bulk imports validate in workers while the main process writes, so both cores work;
at most ``workers * ahead`` batches are pending, so memory does not grow with the file.
Workers are spawned (not forked) so they never inherit the parent's database connections.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_installed: Callable[[Any], Any] | None = None


def _install(func: Callable[[Any], Any]) -> None:
    global _installed
    _installed = func


def _call(item: Any) -> Any:
    if _installed is None:
        raise RuntimeError("worker started without a function")
    return _installed(item)


def ordered_map(
    func: Callable[[T], R], items: Iterable[T], *, workers: int, ahead: int = 4
) -> Iterator[R]:
    """``map(func, items)`` in order; in ``workers`` processes when workers > 0.

    ``func`` is pickled once per worker, so it may carry large read-only state.
    """
    if workers <= 0:
        yield from map(func, items)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_install, initargs=(func,)
    ) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(_call, item))
            if len(pending) >= workers * ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
