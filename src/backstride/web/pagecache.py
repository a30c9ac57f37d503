"""Rendered pages kept per app, keyed by everything they show, so an unchanged page is not rendered again.

The caller builds the key from the data the page shows (read afresh on every request, so a change
made anywhere, by another worker or the CLI, gives a new key) and from who is looking. Pages are
stored with a placeholder instead of the browser's CSRF token; :meth:`PageCache.page` puts this
browser's token in. The placeholder is random per process, so no stored text can spell it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable

from starlette.responses import HTMLResponse

from backstride.lru import DEFAULT_SIZE, LRU


class PageCache(LRU[str]):
    """Rendered pages (at most ``size``), each with a placeholder for the CSRF token."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        super().__init__(size)
        self.placeholder = "csrf-" + secrets.token_hex(16)

    def cached(self, key: Hashable, csrf: str) -> HTMLResponse | None:
        """The page of ``key`` with ``csrf`` as the token, if it is stored; ``None`` otherwise."""
        text = self.get(key)
        return None if text is None else HTMLResponse(text.replace(self.placeholder, csrf))

    def page(self, key: Hashable, csrf: str, make: Callable[[str], str]) -> HTMLResponse:
        """The page of ``key`` with ``csrf`` as the token; ``make(placeholder)`` renders it on a miss."""
        text = self.get_or_make(key, lambda: make(self.placeholder))
        return HTMLResponse(text.replace(self.placeholder, csrf))
