"""``backstride demo`` end to end: files, import, log, analysis and report on the simulated runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backstride.cli import app
from backstride.demo import DemoResult, run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_demo_imports_every_file_and_logs_every_report(demo: DemoResult) -> None:
    runs = demo.runner.runs
    assert demo.summary.counts["imported"] == len(runs)
    assert demo.summary.counts["failed"] == 0
    names = {o.name.rsplit(".", 1)[-1] for o in demo.summary.outcomes}
    assert names == {"fit", "tcx", "gpx"}
    f = demo.findings
    assert f is not None
    assert f.unknown == int((runs["report"] == "unknown").sum())
    assert f.pain_free.events == int(runs["report"].isin(["lap", "interval"]).sum())
    assert f.pain_free.interval_censored == int((runs["report"] == "interval").sum())


def test_demo_writes_report_and_summary(demo: DemoResult) -> None:
    assert demo.report_path is not None and demo.report_path.exists()
    text = "\n".join(demo.lines)
    assert "true median" in text and "true HR" in text
    assert 8 <= len(demo.lines) <= 14


def test_analyze_json_on_the_demo_database(demo: DemoResult) -> None:
    result = CliRunner().invoke(app, ["--db", str(demo.db_path), "analyze", "--json", "--target", "3mi"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pf = data["pain_free"]
    assert set(pf) >= {"median_m", "ci_m", "runs", "events"}
    assert len(pf["ci_m"]) == 2 and pf["runs"] == demo.findings.reported  # type: ignore[union-attr]
    assert pf["target_m"] == pytest.approx(4828.032)
    assert data["factors"], "the demo has enough onsets for factors"
    for factor in data["factors"]:
        assert set(factor) >= {"name", "hazard_ratio", "ci_low", "ci_high", "q_value"}


def test_analyze_text_and_report_cli(demo: DemoResult, tmp_path: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["--db", str(demo.db_path), "--units", "km", "analyze"])
    assert text.exit_code == 0, text.output
    assert "Median pain-free distance" in text.stdout and "cannot tell" in text.stdout
    out = tmp_path / "r.html"
    made = runner.invoke(app, ["--db", str(demo.db_path), "report", "-o", str(out)])
    assert made.exit_code == 0, made.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_analyze_json_with_no_data_is_valid_and_honest(tmp_path: Path) -> None:
    db = str(tmp_path / "empty.sqlite")
    result = CliRunner().invoke(app, ["--db", db, "analyze", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["enough_data"] is False
    assert data["pain_free"]["median_m"] is None and data["pain_free"]["ci_m"] == [None, None]
    assert data["pain_free"]["runs"] == 0 and data["factors"] == []
    text = CliRunner().invoke(app, ["--db", db, "analyze"])
    assert "Not enough data yet" in text.stdout
