"""What the app keeps between requests (:class:`WebState`), the dependency that hands it to a route,
and the threads for long jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Engine

from backstride.config import Settings
from backstride.lru import LRU
from backstride.web.pagecache import PageCache

T = TypeVar("T")
#: Pooled reports kept (one per state of the pool folder).
POOL_REPORTS = 4


@dataclass
class WebState:
    """What the app keeps between requests (one per :func:`backstride.web.app.create_app`)."""

    settings: Settings
    engine: Engine
    multi_user: bool
    secret: bytes
    secure_cookies: bool
    pages: PageCache = field(default_factory=PageCache)
    charts: LRU[Any] = field(default_factory=LRU)
    overviews: LRU[dict[str, Any]] = field(default_factory=LRU)
    pool_reports: LRU[dict[str, Any]] = field(default_factory=lambda: LRU(POOL_REPORTS))
    slow_limiter: Any = None


#: Long jobs (imports, exports) at once per process, in threads of their own (see :func:`run_slow`).
SLOW_THREADS = 2


async def run_slow(state: WebState, func: Callable[..., T], *args: Any) -> T:
    """Run a long job (an import, an export) in a worker thread outside the app's small pool of
    request threads (:data:`backstride.web.app.DEFAULT_THREADS`), so it never holds up the pages."""
    if state.slow_limiter is None:
        state.slow_limiter = anyio.CapacityLimiter(SLOW_THREADS)
    return await anyio.to_thread.run_sync(func, *args, limiter=state.slow_limiter)


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


async def _state_dependency(request: Request) -> WebState:
    """:func:`web_state` as a coroutine: FastAPI runs a plain function dependency in a worker
    thread, a costly hop for a lookup."""
    return web_state(request)


State = Annotated[WebState, Depends(_state_dependency)]
