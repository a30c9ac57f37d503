"""``backstride demo`` end to end: files, import, log, analysis and report on the simulated runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backstride.analysis.features import MODEL_FACTORS
from backstride.cli import app
from backstride.demo import DemoResult, run_demo
from backstride.errors import ValidationError


@pytest.fixture
def demo(demo_result: DemoResult) -> DemoResult:
    """The session's demo (read only)."""
    return demo_result


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
    f = demo.findings
    assert f is not None and f.terrain is not None
    head, pain_free, chance, *rest = demo.lines
    runs = len(demo.runner.runs)
    assert head.startswith("Simulated runner (") and head.endswith(f"imported {runs}, failed 0.")
    assert pain_free.startswith(f"Pain-free distance: true median {demo.runner.true_median_m():,.0f} m; ")
    assert chance.startswith("Chance of 3 miles pain-free: ")
    # one line per factor, in the order of the findings, each with the truth beside the estimate
    titles = {m.name: m.title for m in MODEL_FACTORS}
    factor_lines, (descent, database, report) = rest[: len(f.factors)], rest[len(f.factors) :]
    named = [line.split(" (per ")[0].split(":")[0] for line in factor_lines]
    assert named == [titles[r.name] for r in f.factors]
    assert all(": true HR " in line for line in factor_lines)
    assert descent.startswith("Steep descents: true rate ratio ")
    assert (database, report) == (f"Database: {demo.db_path}", f"Report: {demo.report_path}")


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


def test_the_runner_lives_up_to_last_week_with_the_same_runs_on_any_date(tmp_path: Path) -> None:
    """Issue 15: the demo's history ends in the week before today; whole-week shifts keep every run."""
    import datetime as dt

    import pandas as pd

    days = [dt.date(2025, 3, 5), dt.date(2025, 11, 12), dt.date.today()]
    results = [run_demo(tmp_path / str(d), weeks=3, report=False, today=d) for d in days]
    for day, result in zip(days, results, strict=True):
        last = result.runner.runs["start"].max().date()
        end = result.runner.scenario.start + dt.timedelta(days=3 * 7 - 1)
        assert last <= end < day and (day - end).days <= 7
        assert end.weekday() == (dt.date(2024, 1, 1) + dt.timedelta(days=3 * 7 - 1)).weekday()
        cut = pd.Timestamp(end + dt.timedelta(days=1))
        assert (result.runner.lifting["start"] < cut).all() and (result.runner.routines["date"] < cut).all()
    first, *others = results
    for other in others:
        shift = other.runner.runs["start"] - first.runner.runs["start"]
        assert shift.nunique() == 1 and shift.iloc[0].days % 7 == 0
        same = ["distance_m", "onset_m", "report", "severity"]
        pd.testing.assert_frame_equal(first.runner.runs[same], other.runner.runs[same])
        assert first.findings is not None and other.findings is not None
        assert other.findings.pain_free.median_m == first.findings.pain_free.median_m
    with pytest.raises(ValidationError, match="cannot live in the future"):
        run_demo(tmp_path / "future", weeks=3, report=False, today=dt.date.today() + dt.timedelta(days=1))


def test_demo_command_lists_times_and_points_to_a_command_that_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    user_db = tmp_path / "mine.sqlite"
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(
        app, ["--db", str(user_db), "demo", "--out", str(out), "--weeks", "3"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "--db and BACKSTRIDE_DB are not used" in result.output and not user_db.exists()
    text = result.stdout
    assert "The last 8 runs and their pain reports" in text
    table = text[text.index("The last 8 runs") :].splitlines()
    assert table[1].split() == ["date", "distance", "time", "pace", "pain"]
    # eight runs, each in miles with its pain report: pain-free, "-" (none), a severity with an onset
    # point or lap, an onset without a severity, or an unconfirmed lap press
    pain = (
        r"pain-free|-|(\?|\d{1,2})/10 (at )?[\d.]+(-[\d.]+)? mi"
        r"|pain at [\d.]+(-[\d.]+)? mi|lap press (at )?[\d.]+(-[\d.]+)? mi \(draft\)"
    )
    row = rf"\d{{4}}-\d\d-\d\d \d\d:\d\d +\d+\.\d\d mi +[\d:]+ +\d+:\d\d /mi +({pain})"
    assert [bool(re.fullmatch(row, line.strip())) for line in table[2:10]] == [True] * 8, table[2:10]
    assert not re.match(r"\d{4}-", table[10].strip())
    assert any("/10" in line for line in table[2:10])  # the demo runner's pain shows
    assert re.search(r"Done in \d+\.\d s \(the whole command\)", text)
    tried = re.search(r"Try: (.+) --db (\S+) runs", text)
    assert tried, text
    command = tried.group(1).split()
    assert command == [sys.executable, "-m", "backstride"]  # not the console script here
    listed = subprocess.run([*command, "--db", tried.group(2), "runs"], capture_output=True, text=True)
    assert listed.returncode == 0 and "runs" in listed.stdout.splitlines()[-1]
