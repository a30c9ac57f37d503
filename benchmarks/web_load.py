"""Load benchmark of the web app: p50/p95 latency and requests/s, 20 concurrent clients, loopback.

A simulated runner with 2,000 runs (``backstride.simulate``: streams, laps, pain reports) is stored
on SQLite and, when ``BACKSTRIDE_TEST_PG`` names a server, on a fresh PostgreSQL database. The app
runs as ``backstride serve`` in its own process (local mode, ``--workers`` uvicorn workers, default 1).
Pages measured: the dashboard ``/``, one run's detail ``/runs/ID`` (chart from its streams) and
``GET /api/runs``. Each page is first asked for once, alone (``first ms``: the cold cache a first
visitor after a change meets), then warmed up and loaded. Target: dashboard p95 under 100 ms.

The load generator shares the machine with the server, so it must be lean: ``wrk`` (Debian package
``wrk``) when it is installed, else raw asyncio sockets with HTTP/1.1 keep-alive (``--generator``).
Each client is a returning browser: keep-alive and its nonce cookie.

    .venv/bin/python benchmarks/web_load.py [--runs 2000] [--clients 20] [--seconds 10] [--workers 1]

Each page's line ends with the machine's 1-minute load average after its run (``load``; the machine
has ``os.cpu_count()`` cores, shared with other work), so a figure can be read against the load it
was measured under.

Traffic goes only to 127.0.0.1; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

MAX_REQUESTS_PER_CLIENT = 5_000


def populate(url: str, runs: int, seed: int = 7) -> int:
    """Store ``runs`` simulated runs with their reports; returns the id of the newest run."""
    from backstride.log.pain import record_pain
    from backstride.simulate import run_activity, simulate_runner, validation_scenario
    from backstride.store.activities import save_activity
    from backstride.store.engine import open_store
    from backstride.store.schema import LOCAL_USER_ID

    weeks = int(runs / 189 * 52) + 10
    runner = simulate_runner(validation_scenario(weeks=weeks), seed=seed)
    table = runner.runs.iloc[:runs]
    shift = (
        datetime.now(UTC) - timedelta(days=1) - table["start"].iloc[-1].to_pydatetime().replace(tzinfo=UTC)
    )
    engine = open_store(url)
    newest = 0
    with engine.begin() as conn:
        for row in table.itertuples():
            activity = run_activity(runner, int(row.run_id))
            activity.start = activity.start + shift
            activity.file_hashes = [uuid.uuid4().hex]
            saved = save_activity(conn, activity, LOCAL_USER_ID)
            newest = saved.activity_id
            if row.report == "none":
                record_pain(conn, LOCAL_USER_ID, saved.activity_id, status="none")
            elif row.report in ("lap", "interval") and np.isfinite(row.onset_m):
                record_pain(
                    conn,
                    LOCAL_USER_ID,
                    saved.activity_id,
                    onset=f"{row.onset_m:.0f}m",
                    severity=int(row.severity) if np.isfinite(row.severity) else 4,
                )
    if engine.dialect.name == "postgresql":  # planner statistics, as autovacuum keeps them on a server
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return newest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: The nonce cookie of a returning browser (the server makes one for a browser without it).
COOKIE = "bs_nonce=benchmark-browser-nonce-0123456789"


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response with a Content-Length body; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("the benchmark client reads only responses with a Content-Length")
    await reader.readexactly(length)
    return status


async def _client(port: int, path: str, until: float, out: list[float], errors: list[int]) -> None:
    """One keep-alive connection sending GET ``path`` until ``until``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {COOKIE}\r\n"
        "Accept: text/html,application/json\r\n\r\n"
    ).encode("ascii")
    try:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= until:
                return
            start = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            out.append(time.perf_counter() - start)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def load_python(port: int, path: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    warm = time.perf_counter() + 3  # warm up every worker process (each keeps its own caches)
    await asyncio.gather(*(_client(port, path, warm, [], []) for _ in range(clients)))
    began = time.perf_counter()
    until = began + seconds
    await asyncio.gather(*(_client(port, path, until, latencies, errors) for _ in range(clients)))
    elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "requests": float(ms.size),
        "errors": float(len(errors)),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "rps": ms.size / elapsed,
    }


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %d %d %.3f %.3f %.6f\\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.duration / 1e6))
end
"""


def load_wrk(port: int, path: str, clients: int, seconds: float) -> dict[str, float]:
    """The same measurement with wrk (2 threads, ``clients`` keep-alive connections)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        # Warm up every worker process (each keeps its own caches) before measuring.
        warm = ["wrk", "-t2", f"-c{clients}", "-d3s", "--timeout", "30s", "-H", f"Cookie: {COOKIE}", url]
        subprocess.run(warm, capture_output=True, timeout=90)
        command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--timeout", "30s"]
        command += ["-H", f"Cookie: {COOKIE}", "-s", script.name, url]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    requests, errors, p50, p95, duration = (float(v) for v in line.split()[1:])
    return {"requests": requests, "errors": errors, "p50_ms": p50, "p95_ms": p95, "rps": requests / duration}


def bench(
    label: str, url: str, runs: int, clients: int, seconds: float, workers: int, generator: str
) -> None:
    began = time.perf_counter()
    newest = populate(url, runs)
    print(f"\n{label}: {runs} runs stored in {time.perf_counter() - began:.0f} s")
    port = _free_port()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "BACKSTRIDE_HOME": home, "BACKSTRIDE_WEB_SECRET": "bench"}
        command = [sys.executable, "-c", "from backstride.cli import main; main()", "--db", url, "serve"]
        command += ["--port", str(port), "--workers", str(workers)]
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(base + "/api/me", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or child.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.2)
            load = os.getloadavg()
            print(f"server: {workers} worker(s); load generator: {generator}")
            print(
                f"machine: {os.cpu_count()} cores; load average before: "
                f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            )
            print(
                f"{'page':<22}{'first ms':>9}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}"
                f"{'req/s':>8}{'load':>7}"
            )
            for path in ("/", f"/runs/{newest}", "/api/runs"):
                # The first request, alone, on a cold cache (what the first visitor after a change
                # waits); the load below measures the steady state that follows.
                start = time.perf_counter()
                httpx.get(base + path, headers={"Cookie": COOKIE}, timeout=120).raise_for_status()
                first_ms = (time.perf_counter() - start) * 1000
                if generator == "wrk":
                    r = load_wrk(port, path, clients, seconds)
                else:
                    r = asyncio.run(load_python(port, path, clients, seconds))
                print(
                    f"{path:<22}{first_ms:>9.0f}{r['requests']:>9.0f}{r['errors']:>7.0f}{r['p50_ms']:>9.1f}"
                    f"{r['p95_ms']:>9.1f}{r['rps']:>8.1f}{os.getloadavg()[0]:>7.2f}"
                )
        finally:
            child.terminate()
            child.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--generator", choices=("auto", "wrk", "python"), default="auto", help="auto: wrk when installed"
    )
    args = parser.parse_args()
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    options = (args.runs, args.clients, args.seconds, args.workers, generator)
    from backstride.config import database_url

    with tempfile.TemporaryDirectory() as folder:
        bench("SQLite", database_url(str(Path(folder) / "bench.sqlite")), *options)
    server = os.environ.get("BACKSTRIDE_TEST_PG")
    if not server:
        print("\nPostgreSQL: skipped (set BACKSTRIDE_TEST_PG)")
        return
    from sqlalchemy import create_engine, text

    admin_url = database_url(server)
    name = "bs_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        bench("PostgreSQL", admin_url.rpartition("/")[0] + "/" + name, *options)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
