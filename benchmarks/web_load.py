"""Load benchmark of the web app: p50/p95 latency and requests/s, 20 concurrent clients, loopback.

A simulated runner with 2,000 runs (``backstride.simulate``: streams, laps, pain reports) is stored
on SQLite and, when ``BACKSTRIDE_TEST_PG`` names a server, on a fresh PostgreSQL database. The app
runs on uvicorn in its own process (local mode, one worker); the clients are httpx in this process.
Pages measured: the dashboard ``/``, one run's detail ``/runs/ID`` (chart from its streams) and
``GET /api/runs``. Target: dashboard p95 under 100 ms.

    .venv/bin/python benchmarks/web_load.py [--runs 2000] [--clients 20] [--seconds 10]

Traffic goes only to 127.0.0.1; every loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    engine.dispose()
    return newest


def serve(url: str, port: int, home: str) -> None:
    """Run the app (the child process)."""
    import uvicorn

    from backstride.config import Settings
    from backstride.web.app import create_app

    app = create_app(Settings(db_url=url, data_dir=Path(home)), secret=b"bench")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _client(base: str, path: str, until: float, out: list[float], errors: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= until:
                return
            start = time.perf_counter()
            response = await client.get(path)
            out.append(time.perf_counter() - start)
            if response.status_code != 200:
                errors.append(response.status_code)


async def load(base: str, path: str, clients: int, seconds: float) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base) as warm:
        for _ in range(3):
            (await warm.get(path)).raise_for_status()
    latencies: list[float] = []
    errors: list[int] = []
    began = time.perf_counter()
    until = began + seconds
    await asyncio.gather(*(_client(base, path, until, latencies, errors) for _ in range(clients)))
    elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "requests": float(ms.size),
        "errors": float(len(errors)),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "rps": ms.size / elapsed,
    }


def bench(label: str, url: str, runs: int, clients: int, seconds: float) -> None:
    began = time.perf_counter()
    newest = populate(url, runs)
    print(f"\n{label}: {runs} runs stored in {time.perf_counter() - began:.0f} s")
    port = _free_port()
    with tempfile.TemporaryDirectory() as home:
        child = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port), home])
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/api/me", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or child.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.2)
            print(f"{'page':<22}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}")
            for path in ("/", f"/runs/{newest}", "/api/runs"):
                r = asyncio.run(load(base, path, clients, seconds))
                print(
                    f"{path:<22}{r['requests']:>9.0f}{r['errors']:>7.0f}{r['p50_ms']:>9.1f}"
                    f"{r['p95_ms']:>9.1f}{r['rps']:>8.1f}"
                )
        finally:
            child.terminate()
            child.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "HOME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    from backstride.config import database_url

    with tempfile.TemporaryDirectory() as folder:
        bench(
            "SQLite", database_url(str(Path(folder) / "bench.sqlite")), args.runs, args.clients, args.seconds
        )
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
        bench("PostgreSQL", admin_url.rpartition("/")[0] + "/" + name, args.runs, args.clients, args.seconds)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
