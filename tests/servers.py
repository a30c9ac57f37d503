"""Starting ``backstride serve`` in a test: a free port, and the first answer of a server that is
still starting."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def first_answer(server: subprocess.Popen[str], url: str, seconds: float = 90.0) -> httpx.Response:
    """``GET url`` once the server answers; fails with its output if it dies or stays silent."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, f"the server did not answer at {url}"
            time.sleep(0.3)
