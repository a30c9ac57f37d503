"""End to end in headless Debian Chromium (Playwright, the system browser; never `playwright install`).

A phone-sized browser uploads a fixture file, logs a pain report on the quick-log page, and finds the
onset marker on the run's chart. Skips when /usr/bin/chromium is absent, except in CI, where it fails.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from backstride.config import Settings
from backstride.log.pain import get_pain
from backstride.store.schema import LOCAL_USER_ID
from backstride.web.app import create_app
from tests.web.conftest import lap_run

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must have Debian's chromium at /usr/bin/chromium (.ci/run installs it)")
        pytest.skip("no /usr/bin/chromium: apt-get install chromium to run the browser test")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(sqlite_engine: Engine, tmp_path: Path) -> Iterator[str]:
    """The app on uvicorn in a thread, on a free loopback port."""
    import uvicorn

    app = create_app(Settings(db_url=str(sqlite_engine.url), data_dir=tmp_path), engine=sqlite_engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
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


def test_phone_upload_quick_log_and_onset_marker(live_server: str, sqlite_engine: Engine) -> None:
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    fixture = lap_run()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
            page.goto(f"{live_server}/upload")
            page.get_by_test_id("file-input").set_input_files(str(fixture))
            page.get_by_test_id("upload-button").click()
            result = page.get_by_test_id("upload-result")
            expect(result).to_contain_text("imported 1", timeout=30_000)
            expect(result).to_contain_text(fixture.name)
            result.get_by_role("link", name="log pain").click()

            form = page.get_by_test_id("quick-log")
            expect(form).to_be_visible()
            onset = page.get_by_test_id("onset")
            prefilled = onset.input_value()
            assert prefilled.endswith("mi") and float(prefilled[:-2]) > 0  # from the first lap press
            page.locator("label.choice", has_text="cramp").tap()
            page.get_by_test_id("severity").fill("6")
            page.locator("label.chip", has_text="lower-back").tap()
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 375, f"the quick log is wider than the phone: {overflow}px"
            page.get_by_test_id("save-pain").tap()

            page.wait_for_url("**/runs/*?logged=1*")
            marker = page.get_by_test_id("onset-marker")
            expect(marker).to_be_visible()
            expect(marker).to_contain_text("pain")
            box = marker.locator("line").bounding_box()
            chart = page.get_by_test_id("run-chart").locator("svg").bounding_box()
            assert box is not None and chart is not None
            assert chart["x"] <= box["x"] <= chart["x"] + chart["width"]
        finally:
            browser.close()
    run_id = int(page.url.split("/runs/")[1].split("?")[0])
    with sqlite_engine.connect() as conn:
        report = get_pain(conn, LOCAL_USER_ID, run_id)
    assert report is not None
    assert (
        report["severity"] == 6 and report["qualities"] == ["cramp"] and report["locations"] == ["lower-back"]
    )
    assert report["onset_m"] == pytest.approx(float(prefilled[:-2]) * 1609.344, abs=10)
