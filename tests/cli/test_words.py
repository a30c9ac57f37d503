"""Words and numbers the command line prints (issue 15 items 10, 11 and 13)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from backstride.analysis.factors import FactorResult
from backstride.analysis.result_format import fmt_ratio_range
from backstride.cli import app
from backstride.config import database_url
from backstride.store.engine import open_store
from backstride.words import plural
from tests.log.helpers import START, make_run, save_run

runner = CliRunner()
LAPS = [(1609.344, "distance"), (3218.688, "distance"), (8000.0, "session_end")]
DATA = Path(__file__).resolve().parents[1] / "log" / "data"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "words.sqlite")


@pytest.fixture
def store(db: str) -> Any:
    engine = open_store(database_url(db))
    yield engine
    engine.dispose()


def run(db: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", db, *args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.stdout


def test_plural() -> None:
    assert [plural(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]
    assert plural(1, "activity", "activities") == "1 activity"
    assert plural(3, "activity", "activities") == "3 activities"


def test_ratio_intervals_keep_one_number_of_decimals() -> None:
    assert fmt_ratio_range(0.998, 1.04) == "1.00-1.04"
    assert fmt_ratio_range(1.5, 4.67) == "1.5-4.7"
    assert fmt_ratio_range(0.65, 2.1) == "0.65-2.10"
    assert fmt_ratio_range(None, 2.0) == "not estimable"


def test_report_factor_table_says_not_estimable() -> None:
    from backstride.report.sections import _factor_rows

    factors = [
        FactorResult("spike", "spike", "multivariable", "insufficient", 4, 1, sentence="too few runs"),
        FactorResult("headphones", "headphones", "multivariable", "ok", 40, 20, 1.02, 0.998, 1.04, 0.9, 0.9),
    ]
    rows = _factor_rows(SimpleNamespace(factors=factors))  # type: ignore[arg-type]
    assert rows[0]["estimate"] == "not estimable yet" and rows[0]["q"] == "-"
    assert rows[1]["estimate"] == "1.0 (1.00-1.04)"


def test_interval_onsets_print_their_interval(db: str, store: Engine) -> None:
    first = save_run(store, make_run(laps=LAPS, tag="a"))
    second = save_run(store, make_run(START + timedelta(days=1), laps=LAPS, tag="b"))
    out = run(db, "pain", str(first), "--onset", "during lap 1", "--severity", "4")
    assert "pain 4/10 from somewhere between 0.00 mi and 1.00 mi" in out
    out = run(db, "pain", str(second), "--onset", "between 1mi and 1.5mi", "--severity", "5")
    assert "somewhere between 1.00 mi and 1.50 mi" in out
    listed = run(db, "pain", "list")
    assert "0.00-1.00 mi" in listed and "1.00-1.50 mi" in listed
    assert "unknown point" in run(db, "pain", str(first), "--onset", "unknown", "--severity", "3")
    assert "unknown" in run(db, "pain", "list").splitlines()[1]
    runs = run(db, "runs")
    assert "3/10 unknown" in runs and "5/10 1.00-1.50 mi" in runs


def test_runs_of_every_sport_show_the_sport_and_speed(db: str, store: Engine) -> None:
    ride = make_run(START + timedelta(days=2), distance_m=30_000.0, speed=8.0, tag="ride")
    ride.sport = "cycling"
    save_run(store, ride)
    save_run(store, make_run(tag="run"))
    everything = run(db, "runs", "--sport", "all")
    header = everything.splitlines()[0].split()
    assert "sport" in header and "pace/speed" in header
    ride_line = next(line for line in everything.splitlines() if "cycling" in line)
    assert "17.9 mph" in ride_line and "/mi" not in ride_line
    assert everything.strip().endswith("2 activities")
    only_runs = run(db, "runs")
    assert "sport" not in only_runs.splitlines()[0] and only_runs.strip().endswith("1 run")
    rides = run(db, "runs", "--sport", "cycling", "--units", "km")
    assert "28.8 km/h" in rides and "speed" in rides.splitlines()[0]


def test_context_prints_words_not_python(db: str, store: Engine) -> None:
    save_run(store, make_run())
    out = run(db, "context", "last", "--load", "vest", "--headphones", "--sleep", "7.5", "--surface", "trail")
    assert out.strip() == "surface: trail; load: weighted-vest; headphones: yes; slept 7.5 h"


def test_one_lifting_session_is_one_session(db: str, tmp_path: Path) -> None:
    lines = (DATA / "strong_semicolon.csv").read_text(encoding="utf-8").splitlines()
    day = lines[1].split(";")[0]
    one = tmp_path / "one.csv"
    one.write_text("\n".join([lines[0], *(x for x in lines[1:] if x.startswith(day))]) + "\n")
    out = run(db, "lift", "import", str(one))
    assert "imported 1 session (" in out and "1 sessions" not in out


def test_an_experiment_not_started_says_so(db: str) -> None:
    start = (date.today() + timedelta(days=10)).isoformat()
    made = json.loads(
        run(
            db,
            "experiment",
            "new",
            "glute bridges after runs",
            "--remedy",
            "glute bridges",
            "--start",
            start,
            "--no-power",
            "--seed",
            "1",
            "--json",
        )
    )
    shown = run(db, "experiment", "show", str(made["id"]))
    assert f"Not started yet: the first period begins on {start}." in shown
    data = json.loads(run(db, "experiment", "show", str(made["id"]), "--json"))
    assert data["adherence"]["started"] is False and data["adherence"]["days"] == 0
    analysed = run(db, "experiment", "analyze", str(made["id"]))
    assert "Adherence: Not started yet" in analysed and "100%" not in analysed


def test_experiment_start_defaults_to_today(db: str) -> None:
    made = json.loads(
        run(
            db,
            "experiment",
            "new",
            "glute bridges after runs",
            "--remedy",
            "glute bridges",
            "--no-power",
            "--json",
        )
    )
    assert made["start"] == date.today().isoformat()


def test_a_chance_the_curve_pins_at_zero_or_one_has_no_empty_interval() -> None:
    """'0% (95% CI 0%-0%)' read as a precise estimate; it only means no run got that far pain-free."""
    from backstride.analysis.survival import Estimate, KaplanMeier

    km = KaplanMeier().fit([800.0, 1200.0, 1500.0], [True, True, True])  # every run had an onset
    zero = km.prob_pain_free(1500.0)
    assert (zero.value, zero.ci_low, zero.ci_high) == (0.0, 0.0, 0.0)
    assert zero.to_text() == "0% (no reported run got this far pain-free)"
    assert Estimate(1.0, 1.0, 1.0).to_text() == "100% (every reported run that got this far was pain-free)"
    assert Estimate(0.4, 0.2, 0.6).to_text() == "40% (95% CI 20%-60%)"


def test_a_report_without_a_severity_does_not_print_a_question_mark() -> None:
    from backstride.cli.pain_text import describe, marker

    report = {
        "status": "pain", "onset_m": 1480.0, "onset_low_m": 1480.0, "onset_high_m": 1480.0,
        "onset_input": "0.92mi", "severity": None, "confirmed": True, "locations": ["lower-back"],
        "qualities": [], "stages": [], "lasted_after_s": None,
    }
    assert marker(report, "mi") == "pain at 0.92 mi"
    assert describe(report, "mi").startswith("pain (severity not given) from 0.92 mi")
    assert marker({**report, "severity": 6}, "mi") == "6/10 at 0.92 mi"
