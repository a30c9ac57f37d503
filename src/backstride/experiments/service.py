"""What the CLI and the web call: create an experiment (with warnings and power), analyse one.

Remedies are looked up in the plan's knowledge base (``backstride.plan.knowledge``): ``hip-flexor-
stretch`` finds ``hip_flexor_stretching`` by its id or by one of its routines. A remedy the knowledge
base does not know is accepted as the runner's own (``hip-flexor-stretch`` counted as the routine
"hip flexor stretch").

The washout is sized from the remedy's expected carry-over (``carryover_days`` in the knowledge base,
the one home of that figure): unless the runner chooses otherwise, the washout covers the carry-over
and each period keeps 5 analysed days after it. A design whose washout is shorter than the carry-over
cannot separate the two conditions (in simulation a 5-day carry-over with a 2-day washout cut the
detection of a true 50% benefit from 87% to 59%: ``python -m backstride.experiments.simulate
--carryover-study``), and is warned about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection

from backstride.errors import ValidationError
from backstride.experiments import store
from backstride.experiments.analysis import Analysis, analyse
from backstride.experiments.design import (
    DEFAULT_WASHOUT_DAYS,
    OUTCOMES,
    build_schedule,
    draw_sequence,
    new_seed,
)
from backstride.experiments.follow import RemedyInfo, adherence, now_local_day
from backstride.experiments.model import OUTCOME_SPECS, observations
from backstride.experiments.power import PowerResult, power_helper

#: The remedy counts as "already done every day" when logged on this many of the last 14 days.
DAILY_DAYS, DAILY_WINDOW = 12, 14


def resolve_remedy(text: str) -> RemedyInfo:
    """The knowledge-base remedy for ``text`` (id, id prefix or routine name), or the runner's own."""
    key = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if not key:
        raise ValidationError("name the remedy to test (--remedy)")
    words = key.replace("_", " ")
    from backstride.plan.knowledge import knowledge_base

    remedies = knowledge_base().remedies.remedies
    found = next((r for r in remedies if r.id == key), None)
    found = found or next((r for r in remedies if r.id.startswith(key) or key.startswith(r.id)), None)
    found = found or next((r for r in remedies if words in r.routines), None)
    if found is None:
        return RemedyInfo(key.replace("_", "-"), words, (words,))
    exp = found.experiment
    period, washout = exp.design()
    return RemedyInfo(
        found.id,
        found.name[0].lower() + found.name[1:],
        tuple(found.routines) or (words,),
        dose=found.dose,
        testable=exp.testable,
        how=exp.how,
        period_days=period,
        washout_days=washout,
        known=True,
        carryover_days=exp.carryover_days,
        harm=found.harm,
    )


def sized_design(remedy: RemedyInfo, period_days: int | None, washout_days: int | None) -> tuple[int, int]:
    """(period, washout) in days: what the runner chose, else sized from the remedy's carry-over (a
    remedy of the runner's own gets 7-day periods and a 2-day washout)."""
    from backstride.plan.knowledge import ANALYSED_DAYS

    washout = washout_days
    if washout is None:
        washout = (
            remedy.washout_days if remedy.known and remedy.washout_days is not None else DEFAULT_WASHOUT_DAYS
        )
        if period_days is not None:  # the runner chose the period: keep analysed days in it (and warn)
            washout = min(washout, max(0, period_days - ANALYSED_DAYS))
    period = period_days
    if period is None:
        period = remedy.period_days if remedy.known and remedy.period_days else 7
        period = max(period, washout + ANALYSED_DAYS)
    return period, washout


def carryover_warnings(remedy: RemedyInfo, period_days: int, washout_days: int) -> list[str]:
    """Whether the design can separate the remedy's carry-over from its effect."""
    from backstride.plan.knowledge import ANALYSED_DAYS

    out: list[str] = []
    carry = remedy.carryover_days
    if carry is None:
        out.append(
            f"how long the effect of {remedy.name} lasts after stopping is not known: if it lasts more than "
            f"the {washout_days}-day washout, the periods mix the two conditions; choose --washout to "
            "cover it"
        )
    elif washout_days < carry:
        need = max(period_days, carry + ANALYSED_DAYS)
        out.append(
            f"{remedy.name} is expected to carry over for about {carry} days after stopping, longer than "
            f"the {washout_days}-day washout: this design cannot separate the carry-over from the effect, "
            f"which hides it (use --washout {carry} --period {need}d)"
        )
    if period_days - washout_days < ANALYSED_DAYS:
        out.append(
            f"only {period_days - washout_days} days of each {period_days}-day period are analysed after "
            f"the {washout_days}-day washout: few runs per period, so expect an uncertain answer (use "
            f"periods of at least {washout_days + ANALYSED_DAYS} days)"
        )
    return out


@dataclass
class NewExperiment:
    experiment: store.Experiment
    remedy: RemedyInfo
    warnings: list[str] = field(default_factory=list)
    power: PowerResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.experiment.to_dict(),
            "warnings": self.warnings,
            "power": None if self.power is None else self.power.to_dict(),
        }


def design_warnings(
    conn: Connection, user_id: int, remedy: RemedyInfo, start: date, end: date, period_days: int, today: date
) -> list[str]:
    """Overlapping experiments, a remedy already done daily, and the knowledge base's own advice."""
    out = []
    for other in store.list_experiments(conn, user_id):
        if other.status == "running" and other.start_date <= end and start <= other.end_date:
            out.append(
                f"overlaps experiment {other.id} ({other.title!r}, {other.start_date} to {other.end_date}): "
                "two remedies tested at once confound each other"
            )
    from backstride.log.routines import routine_log

    log = routine_log(conn, user_id)
    if not log.empty:
        until = min(start, today)
        window = log[(log["date"] >= until - timedelta(days=DAILY_WINDOW)) & (log["date"] < until)]
        names = {r.lower() for r in remedy.routines}
        days = window.loc[window["routine"].str.lower().isin(names), "date"].nunique()
        if days >= DAILY_DAYS:
            out.append(
                f"you already do {remedy.name} almost every day ({days} of the last {DAILY_WINDOW} days): "
                "the A periods mean stopping it, so the experiment tests stopping, not starting"
            )
    if remedy.known and not remedy.testable:
        out.append(f"{remedy.name} is hard to test in short periods: {remedy.how}")
    elif remedy.period_days and period_days < remedy.period_days:
        out.append(
            f"periods of {period_days} days are shorter than the {remedy.period_days} suggested for it"
        )
    return out


def new_experiment(
    conn: Connection,
    user_id: int,
    title: str,
    remedy: str,
    *,
    pairs: int,
    start: date,
    period_days: int | None = None,
    seed: int | None = None,
    outcome: str = "onset",
    washout_days: int | None = None,
    today: date | None = None,
    power: bool = True,
) -> NewExperiment:
    """Design and store an experiment; the primary outcome is fixed here, before any data. Without
    ``period_days`` or ``washout_days`` they are sized from the remedy's carry-over
    (:func:`sized_design`)."""
    if outcome not in OUTCOMES:
        raise ValidationError(f"unknown outcome {outcome!r} (known: {', '.join(OUTCOMES)})")
    title = " ".join(title.split())
    if not title:
        raise ValidationError("give the experiment a title")
    info = resolve_remedy(remedy)
    period_days, washout_days = sized_design(info, period_days, washout_days)
    seed = new_seed() if seed is None else seed
    if not 0 <= seed < 2**31:
        raise ValidationError("the seed must be between 0 and 2147483647")
    sequence = draw_sequence(pairs, seed)
    schedule = build_schedule(start, sequence, period_days, washout_days)
    day = today or now_local_day()
    warnings = design_warnings(conn, user_id, info, start, schedule[-1].end, period_days, day)
    if not info.known or info.testable:
        warnings += carryover_warnings(info, period_days, washout_days)
    new_id = store.insert_experiment(
        conn,
        user_id,
        title=title,
        remedy=info.id,
        outcome=outcome,
        start_date=start,
        pairs=pairs,
        period_days=period_days,
        washout_days=washout_days,
        seed=seed,
        sequence=sequence,
    )
    result = NewExperiment(store.get_experiment(conn, user_id, new_id), info, warnings)
    if power and outcome == "onset":
        result.power = power_helper(conn, user_id, start, pairs, period_days, washout_days)
    return result


def experiment_observations(conn: Connection, user_id: int, exp: store.Experiment) -> Any:
    spec = OUTCOME_SPECS[exp.outcome]
    runs = store.runs_between(conn, user_id, exp.start_date, exp.end_date)
    checkins = (
        store.checkins_between(conn, user_id, exp.start_date, exp.end_date + timedelta(days=7))
        if exp.outcome == "peg"
        else None
    )
    logged = store.logged_days(conn, user_id, exp.id)
    return observations(spec, exp.schedule, logged, runs, checkins), runs, logged


def analyze_experiment(
    conn: Connection, user_id: int, experiment_id: int, as_of: date | None = None
) -> tuple[store.Experiment, Analysis]:
    """The analysis of an experiment's data so far, with adherence."""
    exp = store.get_experiment(conn, user_id, experiment_id)
    spec = OUTCOME_SPECS[exp.outcome]
    obs, runs, logged = experiment_observations(conn, user_id, exp)
    dist = runs["distance_m"].to_numpy(float)
    dist = dist[np.isfinite(dist) & (dist > 0)]
    typical = float(np.median(dist)) if dist.size else None
    result = analyse(spec, obs, exp.schedule, exp.washout_days, resolve_remedy(exp.remedy).name, typical)
    adh = adherence(exp, logged, as_of or now_local_day())
    used = obs[obs["used"]]
    adh["runs_off_protocol"] = int((~used["followed"].astype(bool)).sum()) if len(used) else 0
    result.adherence = adh
    return exp, result


__all__ = [
    "NewExperiment",
    "analyze_experiment",
    "carryover_warnings",
    "design_warnings",
    "experiment_observations",
    "new_experiment",
    "resolve_remedy",
    "sized_design",
]
