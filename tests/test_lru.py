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
