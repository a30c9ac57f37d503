"""The LRU map behind the page, chart and overview caches: least recently used out first."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from backstride.lru import LRU


def test_the_least_recently_used_entry_goes_first_and_clear_empties() -> None:
    cache: LRU[int] = LRU(size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    cache.clear()
    assert cache.get("a") is None and cache.get("c") is None


def test_get_or_make_makes_once_per_key_and_keeps_the_size() -> None:
    cache: LRU[str] = LRU(size=2)
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key.upper()

    assert cache.get_or_make("a", lambda: make("a")) == "A"
    assert cache.get_or_make("a", lambda: make("a")) == "A"
    assert cache.get_or_make("b", lambda: make("b")) == "B"
    assert cache.get_or_make("c", lambda: make("c")) == "C"  # "a" goes
    assert cache.get_or_make("a", lambda: make("a")) == "A"
    assert made == ["a", "b", "c", "a"]


def test_concurrent_misses_of_one_key_make_it_once() -> None:
    """A cold cache under many clients: the first miss makes the entry, the others wait for it."""
    cache: LRU[int] = LRU(size=4)
    made: list[int] = []
    started = threading.Barrier(8)

    def make() -> int:
        made.append(1)
        time.sleep(0.2)  # slow work (the pain-free overview's bootstrap), long enough to overlap
        return 42

    def client() -> int:
        started.wait()
        return cache.get_or_make("overview", make)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client(), range(8)))
    assert results == [42] * 8
    assert made == [1]
    assert cache._making == {}  # nothing left behind


def test_a_failed_make_is_not_stored_and_the_next_miss_tries_again() -> None:
    cache: LRU[int] = LRU(size=4)

    def fail() -> int:
        raise RuntimeError("no data")

    with pytest.raises(RuntimeError):
        cache.get_or_make("k", fail)
    assert cache.get("k") is None
    assert cache.get_or_make("k", lambda: 7) == 7
