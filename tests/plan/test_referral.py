"""The referral finding (issue 13 item 9): a pump that stops the runner and lasts, or gets worse over
months, deserves a sports physician's opinion; shown in the plan, the report and the dashboard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from backstride.log.pain import record_pain
from backstride.plan.knowledge import knowledge_base
from backstride.plan.referral import (
    ADVICE,
    SOURCES,
    STANDING,
    PainEpisode,
    assess,
    load_episodes,
    referral_for_user,
)
from tests.experiments.helpers import save_run

TODAY = date(2026, 3, 4)


def episode(days_ago: int, onset: float = 1600.0, severity: int = 4, lasted: float | None = None,
            stopped: bool = False) -> PainEpisode:  # fmt: skip
    return PainEpisode(TODAY - timedelta(days=days_ago), onset, severity, lasted, stopped)


def test_the_everyday_pump_gets_the_standing_advice_only() -> None:
    steady = [episode(d) for d in range(2, 170, 4)]  # a repeatable pump that eases with rest
    ref = assess(steady, TODAY)
    assert ref.refer is False and ref.reasons == []
    assert ref.text == STANDING and "sports physician" in ref.text
    assert [s["key"] for s in ref.sources] == list(SOURCES)
    assert set(SOURCES) <= set(knowledge_base().sources)  # cited from the knowledge base


def test_a_pump_that_stops_the_runner_and_lasts_is_referred() -> None:
    episodes = [episode(10, lasted=45 * 60, stopped=True), episode(40, severity=8, stopped=True)]
    ref = assess(episodes, TODAY)
    assert ref.refer is True and ref.text == ADVICE
    assert "on 2 runs in the last 90 days the pain made you stop" in ref.reasons[0]
    assert "not a diagnosis" in ref.text and "emergency" in ref.text
    # Stopping alone, or lasting alone, is not enough; nor is one such run.
    assert not assess([episode(10, lasted=3600), episode(20, stopped=True, severity=4)], TODAY).refer
    assert not assess([episode(10, lasted=3600, stopped=True)], TODAY).refer
    assert not assess(
        [episode(100, lasted=3600, stopped=True), episode(120, lasted=3600, stopped=True)], TODAY
    ).refer


def test_a_pump_getting_worse_over_months_is_referred() -> None:
    earlier = [episode(d, onset=2000.0) for d in (100, 120, 140, 160)]
    sooner = [episode(d, onset=1300.0) for d in (5, 30, 60)]  # 35% sooner
    ref = assess(earlier + sooner, TODAY, lambda m: f"{m / 1000:.1f} km")
    assert ref.refer and "starts sooner: median onset 1.3 km" in ref.reasons[0]
    worse = [episode(d, severity=7) for d in (5, 30, 60)]
    milder = [episode(d, severity=4) for d in (100, 120, 140)]
    assert "median peak 7/10" in assess(milder + worse, TODAY).reasons[0]
    # 20% sooner, or a 1-point rise, is not "getting worse" by these rules; nor too few reports.
    assert not assess(earlier + [episode(d, onset=1600.0) for d in (5, 30, 60)], TODAY).refer
    assert not assess(milder + [episode(d, severity=5) for d in (5, 30, 60)], TODAY).refer
    assert not assess(earlier + sooner[:2], TODAY).refer


def test_from_the_store(engine: Engine) -> None:
    for days_ago, stopped in ((8, True), (20, True), (30, False)):
        run_id = save_run(engine, TODAY - timedelta(days=days_ago), 5000.0, tag=f"r{days_ago}")
        with engine.begin() as conn:
            record_pain(
                conn,
                1,
                run_id,
                onset="2km",
                severity=5,
                stages=[("stopped", "3km")] if stopped else [],
                lasted_after=2400.0,
                default_unit="km",
            )
    with engine.connect() as conn:
        episodes = load_episodes(conn, 1, TODAY)
        ref = referral_for_user(conn, 1, TODAY, "mi")
    assert sorted((e.day, e.stopped) for e in episodes) == [
        (TODAY - timedelta(days=30), False),
        (TODAY - timedelta(days=20), True),
        (TODAY - timedelta(days=8), True),
    ]
    assert all(e.onset_m == pytest.approx(2000.0) and e.lasted_after_s == 2400.0 for e in episodes)
    assert ref.refer and ref.as_dict()["kind"] == "exertional_pump_referral"
