"""End to end in headless Debian Chromium (Playwright, the system browser; never `playwright install`).

A phone-sized browser uploads a fixture file, logs a pain report on the quick-log page and finds the
onset marker on the run's chart; opens "Change" on a run with a report and saves untouched (the
report stays as it was); and every page, the report included, fits a 375 px screen. Skips when
/usr/bin/chromium is absent, except in CI, where it fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from backstride.config import database_url
from backstride.log.pain import get_pain, record_pain
from backstride.store.engine import open_store
from backstride.store.schema import LOCAL_USER_ID
from tests.conftest import missing
from tests.web.conftest import lap_run
from tests.web.live import live_app

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
#: How long a request to the live server may take: the report renders the whole analysis, which takes
#: well over httpx's default 5 s on a loaded 2-core machine.
SERVER_WAIT_S = 120.0
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


def _chromium() -> Path:
    if not CHROMIUM.exists():
        missing("no /usr/bin/chromium: apt-get install chromium to run the browser test (.ci/run does)")
    return CHROMIUM


@contextmanager
def _phone() -> Iterator[Any]:
    """A page of headless Chromium the size of a phone."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(executable), args=ARGS, headless=True)
        try:
            yield browser.new_page(**PHONE)
        finally:
            browser.close()


@pytest.fixture
def live_server(sqlite_engine: Engine, tmp_path: Path) -> Iterator[str]:
    """The app on uvicorn in a thread, on a free loopback port."""
    with live_app(sqlite_engine, tmp_path) as base:
        yield base


def _below_header(page: Any, testid: str) -> None:
    """The element is in the viewport, not hidden under the sticky header."""
    box = page.get_by_test_id(testid).bounding_box()
    header = page.locator("header.top").bounding_box()
    assert box is not None and header is not None
    assert header["y"] + header["height"] <= box["y"] + 1 and box["y"] + box["height"] <= 812, (box, header)


def test_phone_upload_quick_log_and_onset_marker(live_server: str, sqlite_engine: Engine) -> None:
    from playwright.sync_api import expect

    fixture = lap_run()
    with _phone() as page:
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
        page.locator("label.level", has_text="6").first.tap()
        page.locator("label.chip", has_text="lower-back").tap()
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 375, f"the quick log is wider than the phone: {overflow}px"
        page.get_by_test_id("save-pain").tap()

        page.wait_for_url("**/runs/*?logged=saved*")
        expect(page.get_by_test_id("saved")).to_contain_text("Saved.")
        _below_header(page, "saved")  # the saved state shows where the page lands
        marker = page.get_by_test_id("onset-marker")
        expect(marker).to_contain_text("pain")
        box = marker.locator("line").bounding_box()
        chart = page.get_by_test_id("run-chart").locator("svg").bounding_box()
        assert box is not None and chart is not None
        assert chart["x"] <= box["x"] <= chart["x"] + chart["width"]
        run_id = int(page.url.split("/runs/")[1].split("?")[0])
    with sqlite_engine.connect() as conn:
        report = get_pain(conn, LOCAL_USER_ID, run_id)
    assert report is not None
    assert (
        report["severity"] == 6 and report["qualities"] == ["cramp"] and report["locations"] == ["lower-back"]
    )
    assert report["onset_m"] == pytest.approx(float(prefilled[:-2]) * 1609.344, abs=10)


def test_change_and_save_untouched_keeps_the_report(live_server: str, sqlite_engine: Engine) -> None:
    from backstride.ingest.files import import_paths

    summary = import_paths(sqlite_engine, [lap_run()], user_id=LOCAL_USER_ID, workers=1).as_dict()
    run_id = int(summary["files"][0]["activity_id"])  # type: ignore[index]
    with sqlite_engine.begin() as conn:
        before = record_pain(
            conn,
            LOCAL_USER_ID,
            run_id,
            onset="1.2",
            severity=6,
            locations=["lower-back", "upper-glute-left"],
            qualities=["cramp", "burning"],
            stages=["pump@1.2mi", "cramp@1.52mi"],
            lasted_after="15min",
            notes="steep descent",
        )
    with _phone() as page:
        page.goto(f"{live_server}/runs/{run_id}")
        page.get_by_role("link", name="Change").tap()
        page.get_by_test_id("quick-log").wait_for()
        assert page.get_by_test_id("pain-cramp").is_checked()
        assert page.get_by_test_id("severity-6").is_checked()
        assert page.get_by_test_id("notes").input_value() == "steep descent"
        page.get_by_test_id("save-pain").tap()
        page.wait_for_url("**/runs/*?logged=*")
        assert "Nothing changed" in page.get_by_test_id("saved").inner_text()
        _below_header(page, "saved")
    with sqlite_engine.connect() as conn:
        assert get_pain(conn, LOCAL_USER_ID, run_id) == before


@pytest.fixture
def demo_server(demo_db: Path, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The demo runner with a finished experiment, "pain-free?" offers and a pool, on uvicorn."""
    from backstride.experiments.service import new_experiment
    from backstride.pool.cohort import CohortSpec, generate_cohort
    from backstride.store.prefs import set_pref

    db = tmp_path / "demo.sqlite"
    shutil.copy(demo_db, db)
    engine = open_store(database_url(str(db)))
    with engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "lap_is_pain", "true")
        made = new_experiment(
            conn,
            LOCAL_USER_ID,
            "Glute bridges",
            "glute",
            pairs=3,
            period_days=7,
            start=date(2024, 1, 1),
            seed=7,
        )
    pool = tmp_path / "pool"  # the pool folder of an app whose data dir is tmp_path
    generate_cohort(pool, CohortSpec(runners=40, mean_runs=15, chunk=40))
    with live_app(engine, tmp_path) as base:
        yield base, made.experiment.id
    engine.dispose()


WIDTH = "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"


def test_every_page_fits_a_phone(demo_server: tuple[str, int]) -> None:
    base, experiment = demo_server
    import httpx

    runs = httpx.get(f"{base}/api/runs?limit=5", timeout=SERVER_WAIT_S).json()["runs"]
    pages = [
        "/",
        "/runs",
        f"/runs/{runs[0]['id']}",
        f"/runs/{runs[0]['id']}/log",
        "/log",
        "/upload",
        "/analysis",
        "/plan",
        "/experiments",
        f"/experiments/{experiment}",
        "/experiments/new",
        "/pool",
        "/settings",
        "/api/docs",
    ]
    with _phone() as page:
        for path in pages:
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            document, body, viewport = page.evaluate(WIDTH)
            assert viewport == 375 and document == 375 and body <= 375, (path, document, body)
        # The plan's schedule is a list of weeks on the phone, a left-aligned table on a desktop.
        page.goto(f"{base}/plan")
        row = "getComputedStyle(document.querySelector('[data-testid=plan-week]'))"
        cell = "getComputedStyle(document.querySelector('[data-testid=plan-week] td[data-label=Runs]'))"
        assert page.evaluate(f"{row}.display") == "block"
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.evaluate(f"{row}.display") == "table-row"
        assert page.evaluate(f"{cell}.textAlign") == "left"
        page.set_viewport_size(PHONE["viewport"])
        # The report, as downloaded.
        page.set_content(httpx.get(f"{base}/analysis/report", timeout=SERVER_WAIT_S).text)
        document, body, viewport = page.evaluate(WIDTH)
        assert document == 375 and body <= 375, ("report", document, body)
        smallest = page.evaluate(
            "Math.min(...[...document.querySelectorAll('svg.chart text')]"
            ".map(t => t.getBoundingClientRect().height).filter(h => h > 0))"
        )
        assert smallest >= 9, f"report chart labels are {smallest:.1f} px high"
        # Every section is reachable from the menu.
        page.goto(f"{base}/")
        page.get_by_test_id("menu").locator("summary").tap()
        links = page.get_by_test_id("menu").locator("a")
        names = [links.nth(i).inner_text() for i in range(links.count())]
        assert names == [
            "Home",
            "Runs",
            "Log",
            "Upload",
            "Analysis",
            "Plan",
            "Experiments",
            "Pool",
            "Settings",
        ]
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert (
                box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] >= 40
            )
        links.nth(names.index("Pool")).tap()
        page.wait_for_url("**/pool")


def test_api_docs_render_offline_under_the_csp(live_server: str) -> None:
    with _phone() as page:
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
        page.goto(f"{live_server}/api/docs")
        page.locator(".opblock").first.wait_for(timeout=20_000)
        assert page.locator(".opblock").count() >= 5
        assert not blocked and not outside, (blocked, outside)
