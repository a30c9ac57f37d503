"""``backstride serve --workers N``: settings reach the workers explicitly, not through os.environ."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from backstride.cli.serve import worker_config
from backstride.config import database_url, load_settings
from backstride.store.engine import open_store
from tests.conftest import fixtures_dir
from tests.log.helpers import make_run, save_run
from tests.servers import first_answer, free_port

FIT = "fit/geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit"


def test_worker_config_carries_the_settings_and_leaves_the_environment_alone(tmp_path: Path) -> None:
    db = str(tmp_path / "w.sqlite")
    settings = load_settings(db=db, units="km", env={"BACKSTRIDE_HOME": str(tmp_path)})
    environ = dict(os.environ)
    handlers = list(logging.getLogger("backstride").handlers)
    config = worker_config(
        settings,
        "127.0.0.1",
        8123,
        multi_user=True,
        insecure_cookies=True,
        allowed_hosts=["runs.example.org"],
        proxy={"proxy_headers": True, "forwarded_allow_ips": "10.0.0.1"},
    )
    assert dict(os.environ) == environ
    # What a spawned worker receives: the pickled config, whose factory builds the app from it.
    received = pickle.loads(pickle.dumps(config))
    assert received.factory and received.port == 8123
    assert received.log_config["loggers"]["backstride"]["level"] == "WARNING"  # each worker applies it
    assert logging.getLogger("backstride").handlers == handlers  # this process's logging is left alone
    assert received.proxy_headers and received.forwarded_allow_ips == "10.0.0.1"
    # Without a proxy named, forwarded headers are believed from nobody.
    plain = worker_config(settings, "127.0.0.1", 8123, multi_user=True, insecure_cookies=True)
    assert not plain.proxy_headers
    web = received.app()
    state = web.state.web
    assert state.settings == settings and state.multi_user and state.secure_cookies is False
    assert str(state.engine.url) == database_url(db)
    state.engine.dispose()


def test_two_workers_serve_the_database_given_on_the_command_line(tmp_path: Path) -> None:
    """... and with --verbose each worker logs what it records through uvicorn's logging (stderr)."""
    db = str(tmp_path / "served.sqlite")
    engine = open_store(database_url(db))
    save_run(engine, make_run(distance_m=5000.0))
    engine.dispose()
    port = free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "BACKSTRIDE_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-c", "from backstride.cli import main; main()"]
    server = subprocess.Popen(
        [*cmd, "serve", "--workers", "2", "--port", str(port), "--db", db, "--units", "km", "--verbose"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        runs = first_answer(server, f"http://127.0.0.1:{port}/api/runs")
        assert runs.status_code == 200
        assert [r["distance_m"] for r in runs.json()["runs"]] == [5000.0]
        page = httpx.get(f"http://127.0.0.1:{port}/runs", timeout=10)
        assert page.status_code == 200 and "5.00 km" in page.text
        fit = bytearray((fixtures_dir() / FIT).read_bytes())
        fit[0] = 13  # a FIT header is 12 or 14 bytes long
        upload = [("files", ("corrupt.fit", bytes(fit)))]
        sent = httpx.post(f"http://127.0.0.1:{port}/api/imports", files=upload, timeout=30)
        assert sent.json()["counts"]["failed"] == 1, sent.text
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "2 workers" in out
    assert "corrupt.fit: not a valid FIT file: header size 13 is not 12 or 14" in err
    assert "FitHeaderError" in err and "direct cause" in err  # the decoder's error, from the worker
