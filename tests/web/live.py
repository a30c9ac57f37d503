"""The app on a real uvicorn server in a thread, on a free loopback port (browser and proxy tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from backstride.config import Settings
from backstride.web.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_app(
    engine: Engine, data_dir: Path, *, multi_user: bool = False, units: str | None = None, **uvicorn: Any
) -> Iterator[str]:
    """Serve an app on ``engine`` and yield its base URL; ``uvicorn`` are extra ``uvicorn.Config``
    options (forwarded headers)."""
    import uvicorn as server_module

    settings = Settings(db_url=str(engine.url), data_dir=data_dir, units=units)
    app = create_app(settings, multi_user=multi_user, engine=engine, secure_cookies=False)
    port = free_port()
    config = server_module.Config(app, host="127.0.0.1", port=port, log_level="warning", **uvicorn)
    server = server_module.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
