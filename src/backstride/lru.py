"""A thread-safe least-recently-used map: the web app's caches (rendered pages, run charts, overviews,
pooled reports) all are one."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

DEFAULT_SIZE = 256
T = TypeVar("T")


class LRU(Generic[T]):
    """A thread-safe least-recently-used map of at most ``size`` entries."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        #: One lock per key being made, so that concurrent misses of one key make it once.
        self._making: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The entry of ``key``; on a miss, ``make()`` is stored and returned. Threads that miss the
        same key at once wait for the first one's ``make()`` instead of each making it (a cold cache
        under many clients would otherwise do the same slow work once per client)."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        try:
            with making:
                found = self.get(key)
                if found is None:
                    found = make()
                    self.put(key, found)
                return found
        finally:
            with self._lock:
                if self._making.get(key) is making and not making.locked():
                    del self._making[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
