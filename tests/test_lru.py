"""The LRU map behind the page, chart and overview caches: least recently used out first."""

from __future__ import annotations

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
