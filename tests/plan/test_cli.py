"""``backstride screen``, ``test`` and ``plan`` through the command line (a temporary SQLite file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backstride.cli import app
from backstride.plan.engine import DISCLAIMER

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "plan.sqlite")


def run(db: str, *args: str, code: int = 0, stdin: str | None = None) -> str:
    result = runner.invoke(app, ["--db", db, *args], input=stdin)
    assert result.exit_code == code, result.output
    return result.stdout


def test_screen_none_json(db: str) -> None:
    out = json.loads(run(db, "screen", "--none", "--json"))
    assert out["urgency"] == "none" and out["flags"] == []
    assert {"message", "what_to_do"} <= set(out)


def test_screen_needs_flags_when_not_a_terminal(db: str) -> None:
    result = runner.invoke(app, ["--db", db, "screen"])
    assert result.exit_code == 1
    assert "--yes" in result.output


def test_screen_rejects_unknown_ids_and_lists_questions(db: str) -> None:
    result = runner.invoke(app, ["--db", db, "screen", "--yes", "sore_toe"])
    assert result.exit_code == 1 and "sore_toe" in result.output
    questions = json.loads(run(db, "screen", "--questions", "--json"))
    assert {q["id"] for q in questions} >= {"bladder", "dark_urine", "fever"}


def test_plan_gate_emergency_then_assessed(db: str) -> None:
    # No screen yet: withheld (exit 3), with the reason.
    out = json.loads(run(db, "plan", "--json", code=3))
    assert out["status"] == "needs_screen" and out["items"] == []
    # An emergency: the banner shows, the plan is withheld with the emergency message.
    result = runner.invoke(app, ["--db", db, "screen", "--yes", "saddle_numbness", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["urgency"] == "emergency"
    assert "RED FLAG (emergency)" in result.stderr
    out = json.loads(run(db, "plan", "--json", code=3))
    assert out["status"] == "withheld" and out["withheld"] is True
    assert "cauda equina" in out["message"] and out["items"] == []
    # A later all-no screen does not release it; confirming assessment does.
    run(db, "screen", "--none")
    run(db, "plan", "--json", code=3)
    assert json.loads(run(db, "screen", "--assessed", "--json")) == {"resolved": 1}
    out = json.loads(run(db, "plan", "--json"))
    assert out["status"] == "ok" and out["banner"] == ""


def test_selftest_record_history_and_plan(db: str) -> None:
    run(db, "screen", "--none")
    rec = json.loads(
        run(
            db, "test", "record", "mcgill", "flexor_s=90", "extensor_s=100", "side_right_s=90",
            "side_left_s=92", "--date", "2025-01-10", "--json",
        )
    )  # fmt: skip
    assert rec["derived"]["side_bridge_extensor_ratio"] == pytest.approx(0.91)
    assert [f["id"] for f in rec["flags"]] == ["side_bridge_extensor_ratio_high"]
    run(db, "test", "record", "glute_med", "squat_left=yes", "trendelenburg_left=no")
    hist = json.loads(run(db, "test", "history", "mcgill", "--json"))
    assert len(hist) == 1 and hist[0]["taken_at"].startswith("2025-01-10")
    summary = json.loads(run(db, "test", "--json"))
    assert {t["id"] for t in summary} == {
        "mcgill",
        "thomas",
        "knee_extension",
        "hamstring_bridge",
        "glute_med",
    }
    mcgill = next(t for t in summary if t["id"] == "mcgill")
    assert mcgill["norm_verified"] is False and mcgill["latest"]["flags"]
    how = run(db, "test", "how", "mcgill")
    assert "Biering-Sorensen" in how and "unverified" in how

    out = json.loads(run(db, "plan", "--goal", "3mi", "--by", "2099-01-01", "--json"))
    assert out["status"] == "ok"
    first = out["items"][0]
    assert {"remedy", "reason", "evidence"} <= set(first)
    assert first["evidence"]["strength"] == "moderate" and first["evidence"]["sources"]
    reasons = {i["remedy"]: i["reason"] for i in out["items"]}
    assert "side bridge/extensor ratio 0.91" in reasons["side_bridge_progression"]
    assert out["schedule"]["goal_distance_m"] == pytest.approx(3 * 1609.344)
    assert out["disclaimer"] == DISCLAIMER
    # The goal is stored: the next plan has a schedule without --goal.
    assert json.loads(run(db, "plan", "--json"))["schedule"] is not None
    text = run(db, "plan")
    assert "why:" in text and "Schedule" in text


def test_selftest_bad_input(db: str) -> None:
    result = runner.invoke(app, ["--db", db, "test", "record", "mcgill", "flexor=10"])
    assert result.exit_code == 1 and "flexor_s" in result.output
    result = runner.invoke(app, ["--db", db, "test", "record", "thomas", "hip_above_left=maybe"])
    assert result.exit_code == 1 and "yes or no" in result.output


def test_screen_asks_each_question_at_a_terminal(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from backstride.cli import screen as screen_cli
    from backstride.plan.redflags import QUESTIONS

    monkeypatch.setattr(screen_cli, "interactive", lambda: True)
    answers = ["y" if q.id == "night_pain" else "n" for q in QUESTIONS]
    result = runner.invoke(app, ["--db", db, "screen"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert all(q.text in result.stdout for q in QUESTIONS)
    assert "Outcome: urgent" in result.stdout
    assert "RED FLAG (urgent): you reported night_pain" in result.stderr


def test_plan_refuses_a_goal_date_in_the_past_and_speaks_in_words(db: str) -> None:
    run(db, "screen", "--none")
    result = runner.invoke(app, ["--db", db, "plan", "--goal", "3mi", "--by", "2020-01-01"])
    assert result.exit_code == 1
    assert "2020-01-01 is in the past" in result.output and "Traceback" not in result.output
    assert json.loads(run(db, "plan", "--json"))["schedule"] is None  # nothing was stored
    run(db, "plan", "--goal", "3mi", "--by", "2099-01-01")
    text = run(db, "--units", "mi", "plan")
    assert "very_low" not in text and "evidence (moderate)" in text
    assert "When to see a sports physician" in text
    assert " km" not in text.replace("per km", "")
