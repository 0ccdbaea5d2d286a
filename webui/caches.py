"""Per-app caches, safe under a threaded server.

Each app has its own caches (on ``app.extensions``), so two apps in one process (tests,
two data directories) never see each other's documents; each cache holds a lock around
every read and write, because werkzeug and most WSGI servers run requests in threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, current_app

T = TypeVar("T")
_KEY = "glossa.caches"


class LRUCache:
    """A small least-recently-used mapping with a lock.

    :param size: how many entries it keeps (the least recently used go first).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The value under ``key`` (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: T) -> T:
        """Keep ``value`` under ``key`` and return it."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value under ``key``, made (outside the lock) and kept if it is missing.

        Two threads missing the same key at once may both make it; the work is the same and
        the last one kept wins, which is cheaper than holding the lock while rendering.
        """
        found = self.get(key)
        if found is not None:
            return found
        return self.put(key, make())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class _Caches:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_name: dict[str, LRUCache] = {}


def init_app(app: Flask) -> None:
    """Give the app its own set of caches."""
    app.extensions[_KEY] = _Caches()


def cache(name: str, size: int) -> LRUCache:
    """The current app's cache called ``name`` (created with ``size`` entries on first use)."""
    caches: _Caches = current_app.extensions[_KEY]
    with caches.lock:
        found = caches.by_name.get(name)
        if found is None:
            found = caches.by_name[name] = LRUCache(size)
        return found
