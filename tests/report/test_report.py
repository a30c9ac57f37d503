"""The HTML report: self-contained (nothing fetched), sections in order, a valid parse, honest when empty."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from backstride.cli import app
from backstride.config import database_url
from backstride.demo import DemoResult
from backstride.report import SECTION_IDS, render_report
from backstride.store.engine import open_store


@pytest.fixture
def demo(demo_result: DemoResult) -> DemoResult:
    """The session's demo (read only; the referral test writes to a copy)."""
    return demo_result


def _check_self_contained(html: str) -> None:
    doc = lxml.html.document_fromstring(html)
    for element in doc.iter():
        for attr in ("src", "href", "xlink:href", "data"):
            value = element.get(attr)
            assert value is None or not re.match(r"\s*(https?:)?//", value), (element.tag, value)
    assert not doc.xpath("//script[@src] | //link[@rel='stylesheet'] | //iframe | //img[@src]")
    assert "@import" not in html and "url(" not in html


def _section_order(html: str) -> list[str]:
    doc = lxml.html.document_fromstring(html)
    return [s.get("id") for s in doc.xpath("//section")]


def test_demo_report_is_self_contained_and_in_order(demo: DemoResult) -> None:
    assert demo.report_path is not None
    html = demo.report_path.read_text(encoding="utf-8")
    _check_self_contained(html)
    assert _section_order(html) == list(SECTION_IDS)
    doc = lxml.html.document_fromstring(html)
    charts = doc.xpath("//svg")
    assert len(charts) >= 6  # survival, trend, onsets, forest, run profile, load
    # every chart is introduced by a sentence saying what it shows (before the box it scrolls in)
    for svg in charts:
        box = svg.getparent()
        assert box is not None and "chart-wrap" in (box.get("class") or ""), svg.get("aria-label")
        previous = box.getprevious()
        assert previous is not None and "what" in (previous.get("class") or ""), svg.get("aria-label")
    assert "@media print" in html
    assert "no red flags open" in html  # the demo runner answered the screen with no flags
    assert "Back-extensor endurance" in html  # the plan section, from its findings
    # runs with no report: how many, and what the headline would be if they were pain-free
    gaps = doc.xpath("//*[@data-testid='logging-gaps']")
    assert gaps and f"{demo.findings.unknown} runs have no pain report" in gaps[0].text_content()
    assert "If the" in html and "runs with no report were pain-free: median" in html


def test_report_on_an_empty_store_is_honest(tmp_path: Path) -> None:
    engine = open_store(database_url(str(tmp_path / "empty.sqlite")))
    try:
        html = render_report(engine, 1, unit="km")
    finally:
        engine.dispose()
    _check_self_contained(html)
    assert _section_order(html) == list(SECTION_IDS)
    assert "Not enough data yet" in html
    assert "Median pain-free distance: too few runs yet" in html and "95% CI" not in html


def test_runners_like_you_appears_when_a_pool_is_configured(demo: DemoResult, tmp_path: Path) -> None:
    from backstride.pool.cohort import CohortSpec, generate_cohort

    engine = open_store(database_url(str(demo.db_path)))
    try:
        without = render_report(engine, 1, pool_dir=tmp_path / "no-pool-here")
        generate_cohort(tmp_path / "pool", CohortSpec(runners=300, mean_runs=20, chunk=300))
        with_pool = render_report(engine, 1, pool_dir=tmp_path / "pool")
    finally:
        engine.dispose()
    assert "Runners like you" not in without
    assert _section_order(with_pool) == [*SECTION_IDS, "runners-like-you"]
    _check_self_contained(with_pool)
    doc = lxml.html.document_fromstring(with_pool)
    (section,) = doc.xpath("//section[@id='runners-like-you']")
    assert "runners in the pool" in section.text_content()
    # the command line hands the settings' pool folder (BACKSTRIDE_POOL) to the report
    out = tmp_path / "cli-report.html"
    args = ["--db", str(demo.db_path), "report", "-o", str(out)]
    done = CliRunner().invoke(app, args, env={"BACKSTRIDE_POOL": str(tmp_path / "pool")})
    assert done.exit_code == 0, done.output
    assert _section_order(out.read_text(encoding="utf-8")) == [*SECTION_IDS, "runners-like-you"]


def _severe_pumps(engine: Engine, user_id: int = 1) -> None:
    """Two recent runs on which the pump stopped the runner and lasted 40 minutes."""
    from datetime import UTC, datetime, timedelta

    from backstride.log.pain import record_pain
    from tests.experiments.helpers import save_run

    today = datetime.now(UTC).date()
    for days_ago in (3, 17):
        run_id = save_run(engine, today - timedelta(days=days_ago), 4000.0, tag=f"severe{days_ago}")
        with engine.begin() as conn:
            record_pain(conn, user_id, run_id, onset="1.5km", severity=6, stages=[("stopped", "2km")],
                        lasted_after=2400.0, default_unit="km")  # fmt: skip


def test_report_shows_the_referral_finding(demo: DemoResult, tmp_path: Path) -> None:
    """Issue 13 item 9: the standing advice always; the referral when the reports show it."""
    import shutil

    assert demo.report_path is not None
    assert "When to see a sports physician" in demo.report_path.read_text(encoding="utf-8")
    db = tmp_path / "copy.sqlite"
    shutil.copy(demo.db_path, db)
    engine = open_store(database_url(str(db)))
    try:
        _severe_pumps(engine)
        html = render_report(engine, 1, unit="mi")
    finally:
        engine.dispose()
    doc = lxml.html.document_fromstring(html)
    (box,) = doc.xpath('//*[@id="referral"]')
    text = " ".join(box.text_content().split())
    assert text.startswith("See a sports physician about the pump: on 2 runs in the last 90 days")
    assert "Styf & Lysell" in text and "not a diagnosis" in text
