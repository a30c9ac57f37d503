"""Selective logging (issue 12, fault 3): drafts to confirm, runs offered as "pain-free?", and the
headline that leaves unconfirmed drafts out, on hand-made runs and on the field generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from backstride.analysis.findings import analyze_user
from backstride.cli import app
from backstride.config import database_url
from backstride.errors import ValidationError
from backstride.log.pain import get_pain, onset_from_first_lap_hook, record_pain
from backstride.log.pending import (
    confirm_all_pain_free,
    confirm_pain_free,
    confirm_run,
    offered_pain_free,
    pain_free_candidates,
    unconfirmed_drafts,
)
from backstride.simulate.field import FieldScenario, after_prompt, offered, simulate_field
from backstride.store.engine import open_store
from backstride.store.prefs import set_pref
from tests.log.helpers import START, make_run, save_run
from tests.simulate.field_store import save_field_runner

PRESS = [(1609.344, "distance"), (2500.0, "manual"), (8000.0, "session_end")]
NO_PRESS = [(1609.344, "distance"), (8000.0, "session_end")]
FINAL_ONLY = [(1609.344, "distance"), (8000.0, "manual")]  # stopping the watch is not a press


def _runs(engine: Engine) -> dict[str, int]:
    from datetime import timedelta

    ids = {}
    for i, (name, laps) in enumerate(
        [("press", PRESS), ("free", NO_PRESS), ("final", FINAL_ONLY), ("reported", NO_PRESS)]
    ):
        activity = make_run(START + timedelta(days=i), laps=laps, tag=name)
        ids[name] = save_run(engine, activity)
        with engine.begin() as conn:
            onset_from_first_lap_hook(conn, ids[name], activity)
    with engine.begin() as conn:
        record_pain(conn, 1, ids["reported"], onset="1km", severity=3)
    return ids


def test_offered_runs_have_neither_a_report_nor_a_press(engine: Engine) -> None:
    with engine.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
    ids = _runs(engine)
    with engine.connect() as conn:
        offered_ids = [c["activity_id"] for c in pain_free_candidates(conn, 1)]
        drafts = [d["activity_id"] for d in unconfirmed_drafts(conn, 1)]
    assert offered_ids == [ids["final"], ids["free"]]  # newest first
    assert drafts == [ids["press"]]
    with engine.begin() as conn:
        report = confirm_pain_free(conn, 1, ids["free"])
        assert report["status"] == "none" and report["confirmed"]
        with pytest.raises(ValidationError, match="already has a pain report"):
            confirm_pain_free(conn, 1, ids["reported"])
        with pytest.raises(ValidationError, match="already has a pain report"):
            confirm_pain_free(conn, 1, ids["press"])  # its draft is to be confirmed, not replaced
        assert confirm_run(conn, 1, ids["press"])["confirmed"] is True
        assert confirm_all_pain_free(conn, 1) == [ids["final"]]
    with engine.connect() as conn:
        assert pain_free_candidates(conn, 1) == [] and unconfirmed_drafts(conn, 1) == []


def test_the_web_and_the_library_offer_by_one_rule(engine: Engine) -> None:
    """Of unreported runs, those without a manual press before the final lap: what the web's runs list
    offers (:func:`offered_pain_free`) is what :func:`pain_free_candidates` lists."""
    with engine.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
    ids = _runs(engine)
    unreported = [ids["press"], ids["free"], ids["final"], ids["free"]]
    with engine.connect() as conn:
        offered_ids = offered_pain_free(conn, unreported)
        candidates = {c["activity_id"] for c in pain_free_candidates(conn, 1)}
        assert offered_pain_free(conn, []) == frozenset()
    assert offered_ids == frozenset({ids["free"], ids["final"]}) == candidates


def test_nothing_is_offered_without_the_lap_button_as_pain_button(engine: Engine) -> None:
    _runs(engine)
    with engine.connect() as conn:
        assert pain_free_candidates(conn, 1) == []


def test_a_press_without_a_draft_is_not_offered(engine: Engine) -> None:
    """A run imported before lap_is_pain was switched on has a press but no draft: not pain-free."""
    run_id = save_run(engine, make_run(laps=PRESS))
    with engine.begin() as conn:
        set_pref(conn, 1, "lap_is_pain", "true")
        assert pain_free_candidates(conn, 1) == []
        with pytest.raises(ValidationError, match="lap press"):
            confirm_pain_free(conn, 1, run_id)
        assert get_pain(conn, 1, run_id) is None


def test_cli_pending_and_confirm(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.sqlite")
    engine = open_store(database_url(db))
    try:
        with engine.begin() as conn:
            set_pref(conn, 1, "lap_is_pain", "true")
        ids = _runs(engine)
    finally:
        engine.dispose()
    runner = CliRunner()
    out = runner.invoke(app, ["--db", db, "pain", "pending", "--json"])
    assert out.exit_code == 0, out.output
    pending = json.loads(out.output)
    assert [d["activity_id"] for d in pending["drafts"]] == [ids["press"]]
    assert [c["activity_id"] for c in pending["pain_free_candidates"]] == [ids["final"], ids["free"]]
    text = runner.invoke(app, ["--db", db, "pain", "pending"]).output
    assert "pain-free?" in text and "draft onset" in text
    out = runner.invoke(app, ["--db", db, "pain", "confirm", str(ids["free"]), str(ids["press"]), "--json"])
    assert out.exit_code == 0, out.output
    assert [r["status"] for r in json.loads(out.output)] == ["none", "pain"]
    refused = runner.invoke(app, ["--db", db, "pain", "confirm", str(ids["reported"])])
    assert refused.exit_code != 0 and "already has a pain report" in refused.output
    assert "Traceback" not in refused.output
    out = runner.invoke(app, ["--db", db, "pain", "confirm", "--all-pain-free", "--json"])
    assert [r["activity_id"] for r in json.loads(out.output)] == [ids["final"]]


def test_field_runner_headline_leaves_drafts_out_and_offers_the_rest(sqlite_engine: Engine) -> None:
    """Second generator: a runner who presses lap at most onsets, leaves some drafts unconfirmed, logs
    only part of the pain-free runs and has a few stray presses. The headline counts confirmed reports
    only, says how many runs have no report and what the estimate would be if they were pain-free; the
    runs offered as "pain-free?" are exactly those with no report and no press; answering them brings
    the headline to the runner's true pain-free distance."""
    scenario = FieldScenario(weeks=30, logged_pain_free=(0.2, 0.2), stray_press=0.05, answer=(1.0, 1.0))
    field = simulate_field(scenario, 1, seed=7)
    runs = field.runs
    lap_m = float(field.runners.loc[0, "lap_m"])
    ids = save_field_runner(sqlite_engine, runs, lap_m)
    findings = analyze_user(sqlite_engine, 1)
    confirmed = int(runs["report"].isin(["lap", "typed", "interval", "unknown_onset", "none"]).sum())
    drafts = int((runs["report"] == "draft").sum())
    assert drafts > 0 and findings.drafts == drafts
    assert findings.reported == confirmed  # unconfirmed drafts are not in the headline
    assert findings.unknown == int((runs["report"] == "missing").sum())
    labels = [s.label for s in findings.sensitivity]
    assert any(label.startswith(f"With the {drafts} unconfirmed") for label in labels)
    assert any(label.startswith(f"If the {findings.unknown} runs with no report") for label in labels)
    assert "runs have no pain report" in " ".join(findings.cannot_tell)
    with sqlite_engine.connect() as conn:
        offered_ids = {c["activity_id"] for c in pain_free_candidates(conn, 1)}
    expected = {ids[i] for i in np.nonzero(offered(runs))[0]}
    assert offered_ids == expected and expected
    # the runner answers every offer and confirms every draft (truthfully): after_prompt
    answered = after_prompt(runs)
    with sqlite_engine.begin() as conn:
        for i, row in answered.iterrows():
            before = runs.loc[i, "report"]
            if before == "draft":
                if row["report"] == "lap":
                    confirm_run(conn, 1, ids[int(i)])
                else:
                    record_pain(conn, 1, ids[int(i)], status="none")
            elif before == "missing" and ids[int(i)] in offered_ids:
                if row["report"] == "none":
                    confirm_pain_free(conn, 1, ids[int(i)])
                else:
                    record_pain(conn, 1, ids[int(i)], onset="unknown", severity=4)
    after = analyze_user(sqlite_engine, 1)
    truth = field.true_median_m(0)
    lo, hi = after.pain_free.ci_m
    assert lo is not None and hi is not None and lo <= truth <= hi, (lo, truth, hi)
    old = findings.sensitivity[0]  # the old headline: drafts counted, 80% of pain-free runs missing
    assert old.median_m is not None and old.median_m < lo  # it was biased short
