"""The experiment commands end to end: runs and pain reports stored through the store and the log."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from backstride.cli import app
from backstride.config import database_url
from backstride.log.checkin import record_checkin
from backstride.log.routines import log_routine
from backstride.store.engine import open_store
from backstride.store.schema import LOCAL_USER_ID

from .helpers import follow_schedule, history

runner = CliRunner()
NEW = [
    "experiment",
    "new",
    "hip flexor stretch before runs",
    "--remedy",
    "hip-flexor-stretch",
    "--pairs",
    "4",
]
NEW += ["--washout", "2", "--period", "7d", "--no-power", "--start", "2025-03-03", "--seed", "42"]


def _invoke(db: str, *args: str) -> str:
    result = runner.invoke(app, ["--db", db, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "exp.sqlite")


def test_new_prints_id_and_schedule(db: str) -> None:
    assert _invoke(db, *NEW, "--json").strip().startswith("{")
    plain = _invoke(db, *NEW[:-4], "--start", "2025-06-02", "--seed", "42")
    assert plain.strip() == "2"  # only the id on stdout
    shown = json.loads(_invoke(db, "experiment", "show", "1", "--json"))
    again = json.loads(_invoke(db, "experiment", "show", "2", "--json"))
    assert [p["condition"] for p in shown["schedule"]] == [p["condition"] for p in again["schedule"]]
    assert len(shown["schedule"]) == 8 and shown["schedule"][0] == {
        "start": "2025-03-03",
        "end": "2025-03-09",
        "condition": shown["sequence"][0],
    }
    assert shown["remedy"] == "hip_flexor_stretching"


def test_default_design_is_sized_from_the_carry_over(db: str) -> None:
    """Issue 12 item 9: the knowledge base's carry-over (5 days for stretching) sizes the washout, and
    each period keeps 5 analysed days after it; a shorter washout is warned about."""
    made = json.loads(_invoke(db, *NEW[:7], "--no-power", "--start", "2025-03-03", "--json"))
    assert (made["period_days"], made["washout_days"]) == (10, 5)
    assert not any("carry over" in w for w in made["warnings"])
    short = json.loads(_invoke(db, *NEW, "--json"))
    assert (short["period_days"], short["washout_days"]) == (7, 2)
    (warning,) = [w for w in short["warnings"] if "carry over" in w]
    assert "about 5 days" in warning and "--washout 5 --period 10d" in warning
    own = json.loads(_invoke(db, "experiment", "new", "my thing", "--remedy", "cold shower", "--pairs", "3",
                             "--no-power", "--start", "2026-01-05", "--json"))  # fmt: skip
    assert (own["period_days"], own["washout_days"]) == (7, 2)
    assert any("not known" in w for w in own["warnings"])


def test_strong_remedy_gives_benefit_and_json_fields(db: str) -> None:
    engine = open_store(database_url(db))
    rng = np.random.default_rng(7)
    history(engine, rng, date(2025, 1, 1), 30)
    made = json.loads(_invoke(db, *NEW, "--power", "--json"))
    assert made["power"]["history"]["assumed"] is False
    assert 0.2 < made["power"]["history"]["sigma"] < 0.42  # the history was simulated with 0.3
    follow_schedule(engine, rng, made["schedule"], ratio=2.0)
    engine.dispose()
    _invoke(db, "experiment", "adhere", str(made["id"]), "--date", "2025-03-12")
    out = json.loads(_invoke(db, "experiment", "analyze", str(made["id"]), "--json"))
    for key in ("effect", "interval", "p_benefit", "p_harm", "verdict", "runs_used", "adherence"):
        assert key in out
    assert out["verdict"] == "benefit"
    assert out["interval"][0] < 2.0 < out["interval"][1]  # the true ratio
    assert out["runs_used"] == 8 * 4  # 5 runs a period, the one on day 0 is in the washout
    assert out["excluded"] == {"washout": 8}
    assert out["adherence"]["followed"] == out["adherence"]["days"] - 1
    assert "trend" in out["terms"]
    text = _invoke(db, "experiment", "analyze", str(made["id"]))
    # This design's 2-day washout is shorter than stretching's expected 5-day carry-over: said.
    assert "Carry-over: hip-flexor stretching is expected to carry over for about 5 days" in " ".join(
        text.split()
    )
    assert "Benefit" in text and "not a diagnosis" in text
    # Each period's typical pain-free distance, in the runner's unit (a runner in miles reads miles).
    typical = {
        unit: [
            line
            for line in _invoke(db, "experiment", "analyze", str(made["id"]), "--units", unit).splitlines()
            if "typical" in line
        ]
        for unit in ("mi", "km")
    }
    assert len(typical["mi"]) == len(typical["km"]) == 8
    assert all(line.rstrip().endswith(" mi") for line in typical["mi"]), typical["mi"]
    assert all(line.rstrip().endswith(" km") for line in typical["km"]), typical["km"]


def test_no_effect_is_not_called_benefit(db: str) -> None:
    engine = open_store(database_url(db))
    rng = np.random.default_rng(11)
    made = json.loads(_invoke(db, *NEW, "--json"))
    follow_schedule(engine, rng, made["schedule"], ratio=1.0)
    engine.dispose()
    out = json.loads(_invoke(db, "experiment", "analyze", str(made["id"]), "--json"))
    assert out["verdict"] == "no meaningful difference"
    assert out["interval"][0] < 1.0 < out["interval"][1]


def test_runs_without_a_report_are_left_out(db: str) -> None:
    from .helpers import save_run

    engine = open_store(database_url(db))
    made = json.loads(_invoke(db, *NEW, "--json"))
    save_run(engine, date(2025, 3, 6), 8000.0)
    engine.dispose()
    out = json.loads(_invoke(db, "experiment", "analyze", str(made["id"]), "--json"))
    assert out["runs_used"] == 0 and out["excluded"] == {"no pain report": 1}
    assert out["verdict"] == "inconclusive" and out["effect"] is None


def test_today_ics_and_warnings(db: str) -> None:
    made = json.loads(_invoke(db, *NEW, "--json"))
    today = json.loads(_invoke(db, "experiment", "today", "--date", "2025-03-04", "--json"))
    assert today[0]["condition"] == made["schedule"][0]["condition"] and today[0]["washout"] is True
    ics = _invoke(db, "experiment", "ics", "1")
    assert ics.count("BEGIN:VEVENT") == 56 and ics.startswith("BEGIN:VCALENDAR")
    assert "DTSTART;VALUE=DATE:20250303" in ics
    second = json.loads(_invoke(db, *NEW[:-4], "--start", "2025-03-24", "--json"))
    assert any("overlaps experiment 1" in w for w in second["warnings"])


def test_warns_when_the_remedy_is_already_daily(db: str) -> None:
    engine = open_store(database_url(db))
    with engine.begin() as conn:
        for day in range(15, 29):
            log_routine(conn, LOCAL_USER_ID, "hip flexor stretch", done_at=datetime(2025, 2, day, 8))
    engine.dispose()
    made = json.loads(_invoke(db, *NEW, "--json"))
    assert any("almost every day" in w for w in made["warnings"])


def test_peg_outcome_uses_weekly_checkins(db: str) -> None:
    engine = open_store(database_url(db))
    made = json.loads(_invoke(db, *NEW[:-2], "--seed", "3", "--outcome", "peg", "--json"))
    with engine.begin() as conn:
        for period in made["schedule"]:
            end = date.fromisoformat(period["end"])
            score = 2 if period["condition"] == "B" else 6
            taken = datetime(end.year, end.month, end.day, 20, 0)
            record_checkin(conn, LOCAL_USER_ID, pain=score, enjoyment=score, activity=score, taken_at=taken)
    engine.dispose()
    out = json.loads(_invoke(db, "experiment", "analyze", str(made["id"]), "--json"))
    assert out["observations_used"] == 8
    assert out["effect"] < -2 and out["verdict"] == "benefit"
