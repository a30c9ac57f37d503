"""``docs/notebook.md`` is a contract: its ``python`` blocks run in order on a demo store made here;
and the :class:`~backstride.report.summary.Analysis` it shows, on the same store: the numbers of the
findings (and of ``backstride analyze --json``), in the chosen unit, as tables, text and HTML."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import lxml.html
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

import backstride
from backstride.analysis.findings import Change
from backstride.analysis.result_format import fmt_ratio
from backstride.cli import app
from backstride.demo import DemoResult
from backstride.report.summary import TABLES, Analysis
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID
from backstride.units import distance_in

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", NOTEBOOK.read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, demo_result: DemoResult) -> Path:
    """A folder holding ``demo-out/demo.sqlite``, as ``backstride demo`` leaves it (a copy of the
    session's demo store)."""
    folder = tmp_path_factory.mktemp("notebook")
    (folder / "demo-out").mkdir()
    shutil.copy(demo_result.db_path, folder / "demo-out" / "demo.sqlite")
    return folder


@pytest.fixture
def store(demo_dir: Path) -> Iterator[Engine]:
    engine = backstride.open_store(demo_dir / "demo-out" / "demo.sqlite")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def analyses(demo_dir: Path) -> dict[str, Analysis]:
    engine = backstride.open_store(demo_dir / "demo-out" / "demo.sqlite")
    try:
        return {unit: backstride.analyze(engine, unit=unit) for unit in ("mi", "km")}
    finally:
        engine.dispose()


def test_the_walk_through_runs_in_order(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(demo_dir)
    found = blocks()
    assert len(found) >= 5 and found[0].startswith("import backstride as bs")
    namespace: dict[str, object] = {}
    for i, block in enumerate(found):
        exec(compile(block, f"{NOTEBOOK.name}, python block {i + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    analysis = namespace["analysis"]
    assert isinstance(analysis, Analysis) and analysis.unit == "km"
    assert analysis.to_text() in printed  # print(analysis) shows the findings in words
    cox = namespace["cox"]
    assert isinstance(cox, backstride.CoxRegression)
    assert list(cox.summary.index) == ["me_lower_48h", "glute_days_7d"]
    # the walk-through's Cox model on one completed data set tells the analysis' story
    factors = analysis.summary["factors"]
    for name in ("me_lower_48h", "glute_days_7d"):
        assert factors.loc[name, "ci_low"] < cox.hazard_ratios_[name] < factors.loc[name, "ci_high"]
    assert "median pain-free distance" in printed and " km" in printed


def test_analysis_is_the_cli_analysis(demo_dir: Path, analyses: dict[str, Analysis]) -> None:
    """The same findings (default target included) as ``backstride analyze --json`` in each unit."""
    db = str(demo_dir / "demo-out" / "demo.sqlite")
    for unit, analysis in analyses.items():
        result = CliRunner().invoke(app, ["--db", db, "--units", unit, "analyze", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(json.dumps(analysis.to_dict())) == json.loads(result.output)
    assert analyses["mi"].findings.target_m == pytest.approx(3 * 1609.344)
    assert analyses["km"].findings.target_m == pytest.approx(5000.0)


def test_summary_tables_in_the_unit(analyses: dict[str, Analysis]) -> None:
    for unit, analysis in analyses.items():
        f = analysis.findings
        summary = analysis.summary
        assert list(summary) == list(TABLES)
        pf = summary["pain_free"]
        assert list(pf.index) == ["headline", *(s.label for s in f.sensitivity)]
        head = pf.loc["headline"]
        assert f.pain_free.median_m is not None and f.pain_free.p_target is not None
        assert head[f"median_{unit}"] == pytest.approx(distance_in(f.pain_free.median_m, unit))
        assert head["runs"] == f.pain_free.runs and head["onsets"] == f.pain_free.events
        assert head["p_target"] == f.pain_free.p_target.value
        assert head[f"target_{unit}"] == pytest.approx(3.0 if unit == "mi" else 5.0)
        assert f.factor_analysis is not None and f.terrain is not None
        factors = summary["factors"]
        assert list(factors.index) == [r.name for r in f.factor_analysis.primary]
        for r in f.factor_analysis.primary:
            row = factors.loc[r.name]
            assert row["status"] == r.status and row["model"] == r.model
            if r.status == "ok":
                assert (row["hazard_ratio"], row["ci_low"], row["ci_high"], row["q"]) == (
                    r.hazard_ratio,
                    r.ci_low,
                    r.ci_high,
                    r.q_value,
                )
            else:
                assert math.isnan(row["hazard_ratio"])
        terrain = summary["terrain"]
        assert list(terrain.index) == [t.name for t in f.terrain.terms]
        descent = f.terrain.terms[0]
        assert descent.exposure_km_with is not None
        assert terrain.loc[descent.name, f"exposure_with_{unit}"] == pytest.approx(
            distance_in(descent.exposure_km_with * 1000, unit)
        )
        trend = summary["trend"]
        assert len(trend) == len(f.trend.windows) > 0
        assert trend[f"median_{unit}"].tolist() == pytest.approx(
            [np.nan if w.median_m is None else distance_in(w.median_m, unit) for w in f.trend.windows],
            nan_ok=True,
        )


def test_text_in_the_unit(analyses: dict[str, Analysis]) -> None:
    for unit, analysis in analyses.items():
        text = str(analysis)
        median = analysis.summary["pain_free"].loc["headline", f"median_{unit}"]
        assert f"median {median:.2f} {unit}" in text
        assert text.splitlines()[0] == analysis.findings.text_lines()[0]  # same lines, same order
        assert len(text.splitlines()) == len(analysis.findings.text_lines())
    assert not re.search(r"\d m\b", str(analyses["mi"])), "an SI distance left in the miles text"
    assert " km" not in str(analyses["mi"])


def test_html_shows_the_text_and_the_tables(analyses: dict[str, Analysis]) -> None:
    analysis = analyses["mi"]
    page = lxml.html.fromstring(analysis._repr_html_())
    shown = [" ".join(e.text_content().split()) for e in page.iter("p", "li")]
    for line in analysis.text_lines():
        words = line.removeprefix("- ").removeprefix("Note: ")
        assert any(words in s for s in shown), words
    headings = [h.text_content() for h in page.iter("h4")]
    assert [h.split(" summary")[0] for h in headings] == list(TABLES.values())
    tables = page.findall(".//table")
    assert len(tables) == 4
    factors = analysis.summary["factors"]
    rows = tables[2].findall(".//tbody/tr")
    assert [r.findall("td")[0].text_content() for r in rows] == list(factors.index)
    header = [th.text_content() for th in tables[2].findall(".//th")]
    assert "sentence" not in header and header[0] == "factor"
    me = rows[0].findall("td")
    assert me[header.index("hazard_ratio")].text_content() == fmt_ratio(factors.iloc[0]["hazard_ratio"])
    assert not re.search(r">\s*nan\s*<", analysis._repr_html_(), re.IGNORECASE)


def test_html_escapes_what_the_runner_typed(analyses: dict[str, Analysis]) -> None:
    findings = analyses["km"].findings
    typed = "new shoe: <script>alert(1)</script>"
    shown = Analysis(replace(findings, changes=[Change(date(2025, 3, 1), typed)]), unit="km")._repr_html_()
    assert "<script>" not in shown and "new shoe: &lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_an_empty_store_and_the_stored_unit(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        set_pref(conn, LOCAL_USER_ID, "units", "km")
    analysis = backstride.analyze(sqlite_engine)
    assert analysis.unit == "km" and analysis.findings.target_m == 5000.0
    assert analysis.findings.runs == 0 and not analysis.findings.enough_data
    assert [len(frame) for frame in analysis.summary.values()] == [1, 0, 0, 0]
    assert "median_km" in analysis.summary["pain_free"].columns
    assert "Not enough data yet" in str(analysis)
    assert analysis._repr_html_().count("nothing to show yet") == 3
    with pytest.raises(backstride.ValidationError, match="unit must be 'mi' or 'km'"):
        backstride.analyze(sqlite_engine, unit="miles")


def test_feature_and_survival_tables(store: Engine, analyses: dict[str, Analysis]) -> None:
    table = backstride.feature_table(store)
    pd.testing.assert_frame_equal(table, analyses["mi"].table)
    runs = backstride.survival_table(table)
    confirmed = table[(table["pain_status"] != "unknown") & (table["pain_confirmed"].astype(object) != False)]  # noqa: E712
    assert len(runs) == len(confirmed) == analyses["mi"].findings.reported
    pain = runs["pain_status"] == "pain"
    assert (runs["event"] == pain.astype(int)).all()
    exact = runs["onset_m"].notna()
    np.testing.assert_array_equal(runs.loc[exact, "duration_m"], runs.loc[exact, "onset_m"])
    free = ~pain
    np.testing.assert_array_equal(runs.loc[free, "duration_m"], runs.loc[free, "distance_m"])
    drawn = runs["onset_drawn"]
    assert drawn.sum() == (pain & ~exact).sum() > 0
    inside = runs.loc[drawn]
    assert (
        (inside["duration_m"] >= inside["onset_low_m"]) & (inside["duration_m"] <= inside["onset_high_m"])
    ).all()
    again = backstride.survival_table(table)
    pd.testing.assert_frame_equal(runs, again)  # seeded
    other = backstride.survival_table(table, seed=1)
    assert not np.array_equal(other.loc[drawn, "duration_m"], runs.loc[drawn, "duration_m"])
