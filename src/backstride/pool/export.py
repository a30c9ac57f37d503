"""Build a runner's bundle from the store, and contribute opted-in runners from a server.

Profile bands the store does not hold (age, sex, height, years running) come from the caller
(:class:`ProfileInput`: the CLI's ``--age-band`` and so on) or are ``unknown``. What the store holds
is banded here: lifting yes/no and style from the lifting log (max-effort/dynamic-effort tags mean a
Westside-style template), weekly distance from the runs, BMI from the last body weight and a height
the caller gives (the height itself is never written). Only finished experiments are exported
(:func:`is_finished`: the whole schedule over, not stopped early).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select

from backstride.analysis.features import feature_table, reported_runs
from backstride.log.body import body_weights
from backstride.log.lifting import session_sets
from backstride.log.routines import routine_log
from backstride.pool.bundle import Bundle, round_to
from backstride.pool.schema import (
    AGE_BANDS,
    BMI_BANDS,
    EXPERIMENT,
    LIFTING_STYLES,
    SEXES,
    SURFACES,
    YEARS_RUNNING_BANDS,
    remedy_ids,
)
from backstride.store.schema import settings, users

#: Internal settings keys (not user preferences): the random contributor id and the export count.
CONTRIBUTOR_KEY = "pool.contributor_id"
REVISION_KEY = "pool.revision"
#: The preference a runner sets to contribute (``backstride.store.prefs``).
OPT_IN_PREF = "pool_opt_in"
_EXP = {f.name: f for f in EXPERIMENT}


@dataclass(frozen=True)
class ProfileInput:
    """Bands the caller gives; ``None`` means "work it out from the store, else unknown"."""

    age_band: str = "unknown"
    sex: str = "unknown"
    years_running: str = "unknown"
    height_cm: float | None = None
    lifting_style: str | None = None

    def check(self) -> None:
        from backstride.errors import ValidationError

        for name, value, vocab in (
            ("age band", self.age_band, AGE_BANDS),
            ("sex", self.sex, SEXES),
            ("years running", self.years_running, YEARS_RUNNING_BANDS),
            ("lifting style", self.lifting_style or "unknown", LIFTING_STYLES),
        ):
            if value not in vocab:
                raise ValidationError(f"{name} must be one of {', '.join(vocab)}, not {value!r}")
        if self.height_cm is not None and not 100 <= self.height_cm <= 250:
            raise ValidationError("height must be between 100 and 250 cm")


def bmi_band(weight_kg: float | None, height_cm: float | None) -> str:
    """The BMI band of a weight (kg) and height (cm); ``unknown`` without both."""
    if weight_kg is None or height_cm is None or not math.isfinite(weight_kg):
        return "unknown"
    bmi = weight_kg / (height_cm / 100.0) ** 2
    return BMI_BANDS[int(np.searchsorted([18.5, 25.0, 30.0], bmi, side="right"))]


def weekly_distance_band(total_m: float, weeks: float) -> str:
    """Band of the mean weekly distance (``total_m`` over ``weeks``, at least one week)."""
    if total_m <= 0:
        return "unknown"
    km = total_m / 1000.0 / max(weeks, 1.0)
    return ("<10km", "10-25km", "25-50km", "50-80km", "80km+")[
        int(np.searchsorted([10, 25, 50, 80], km, side="right"))
    ]


def _internal(conn: Connection, user_id: int, key: str) -> str | None:
    value = conn.execute(
        select(settings.c.value).where(settings.c.user_id == user_id, settings.c.key == key)
    ).scalar_one_or_none()
    return None if value is None else str(value)


def _set_internal(conn: Connection, user_id: int, key: str, value: str) -> None:
    conn.execute(delete(settings).where(settings.c.user_id == user_id, settings.c.key == key))
    conn.execute(insert(settings).values(user_id=user_id, key=key, value=value))


def next_identity(conn: Connection, user_id: int) -> tuple[str, int]:
    """The runner's random contributor id (made on first use) and the next revision number."""
    cid = _internal(conn, user_id, CONTRIBUTOR_KEY)
    if cid is None:
        cid = secrets.token_hex(16)
        _set_internal(conn, user_id, CONTRIBUTOR_KEY, cid)
    revision = int(_internal(conn, user_id, REVISION_KEY) or 0) + 1
    _set_internal(conn, user_id, REVISION_KEY, str(revision))
    return cid, revision


def _runs(table: pd.DataFrame) -> dict[str, list[object]]:
    runs = reported_runs(table) if len(table) else table
    first = pd.to_datetime(table["start_local"]).min() if len(table) else None
    out: dict[str, list[object]] = {
        k: [] for k in ("week", "distance_m", "pain", "onset_m", "onset_low_m", "onset_high_m", "severity")
    }
    out.update({k: [] for k in ("descent_share", "lift_48h", "spike", "surface")})
    for r in runs.itertuples(index=False):
        dist = round_to(float(r.distance_m), 10, 0, 200_000)
        if dist is None:
            continue
        pain = r.pain_status == "pain"
        onset_m = low_m = high_m = None
        if pain and math.isfinite(float(r.onset_m)):  # exact onset
            onset_m = round_to(min(float(r.onset_m), float(r.distance_m)), 10, 0, dist)
            low_m = high_m = onset_m
        elif pain:  # known only to an interval ("during lap 3", "unknown"): kept as the interval
            low_m = math.floor(max(float(r.onset_low_m), 0.0) / 10) * 10
            high_m = min(math.ceil(float(r.onset_high_m) / 10) * 10, dist)
            low_m = min(low_m, high_m)
        out["week"].append(int((pd.Timestamp(r.start_local) - first).days // 7))
        out["distance_m"].append(int(dist))
        out["pain"].append(bool(pain))
        out["onset_m"].append(None if onset_m is None else int(onset_m))
        out["onset_low_m"].append(None if low_m is None else int(low_m))
        out["onset_high_m"].append(None if high_m is None else int(high_m))
        sev = float(r.severity)
        out["severity"].append(int(sev) if pain and math.isfinite(sev) else None)
        out["descent_share"].append(round_to(float(r.descent_share), 0.05, 0, 1))
        tonnage = float(r.back_tonnage_48h)
        out["lift_48h"].append(bool(tonnage > 0) if math.isfinite(tonnage) else None)
        out["spike"].append(round_to(float(r.spike), 0.1, 0, 10))
        out["surface"].append(r.surface if r.surface in SURFACES else "unknown")
    return out


def _remedies(log: pd.DataFrame) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    if log.empty:
        return out
    days = pd.to_datetime(log["date"])
    for category, group in log.groupby("category"):
        d = days[group.index]
        weeks = int(d.dt.to_period("W").nunique())
        span_days = (d.max() - d.min()).days + 1
        adherence = d.nunique() / (7.0 * math.ceil(span_days / 7.0))
        out.append({"remedy": str(category), "weeks": weeks, "adherence": round_to(adherence, 0.1, 0, 1)})
    return sorted(out, key=lambda r: str(r["remedy"]))


def is_finished(exp: Any, as_of: date) -> bool:
    """An experiment whose whole schedule was over before ``as_of`` and that was not stopped early.
    A running experiment's estimate still changes, and one stopped early may have stopped because of
    what it showed: neither is pooled."""
    return bool(exp.status != "stopped" and exp.end_date < as_of)


def _experiments(conn: Connection, user_id: int, as_of: date) -> list[dict[str, object]]:
    from backstride.experiments.service import analyze_experiment
    from backstride.experiments.store import list_experiments

    out: list[dict[str, object]] = []
    for exp in list_experiments(conn, user_id):
        if not is_finished(exp, as_of):
            continue
        _, result = analyze_experiment(conn, user_id, exp.id, as_of=as_of)
        if result.effect is None or result.interval is None:
            continue
        lo, hi, eff = result.interval[0], result.interval[1], result.effect
        if exp.outcome == "onset":
            lo, hi, eff = math.log(lo), math.log(hi), math.log(eff)
        se = (hi - lo) / (2 * 1.959964)
        out.append(
            {
                "remedy": exp.remedy if exp.remedy in remedy_ids() else "other",
                "design": "ab-pairs",
                "outcome": exp.outcome,
                "pairs": int(min(max(exp.pairs, 1), 52)),
                "period_days": int(min(max(exp.period_days, 1), 60)),
                "effect": round_to(eff, 0.001, -10, 10),
                "se": round_to(max(se, 0.001), 0.001, 0, 10),
                "verdict": result.verdict,
                "finished": True,
            }
        )
    return out


def build_bundle(
    conn: Connection,
    user_id: int,
    profile: ProfileInput | None = None,
    *,
    identity: tuple[str, int] | None = None,
    as_of: date | None = None,
) -> Bundle:
    """The runner's bundle. ``identity`` (contributor id, revision) defaults to :func:`next_identity`;
    experiments count when finished before ``as_of`` (default: today)."""
    from backstride.experiments.follow import now_local_day

    profile = profile or ProfileInput()
    profile.check()
    table = feature_table(conn, user_id)
    sets = session_sets(conn, user_id)
    weights = body_weights(conn, user_id)
    weight = float(weights["weight_kg"].iloc[-1]) if len(weights) else None
    if len(table):
        span_weeks = (
            pd.to_datetime(table["start_local"]).max() - pd.to_datetime(table["start_local"]).min()
        ).days
        weekly = weekly_distance_band(float(table["distance_m"].fillna(0).sum()), (span_weeks + 1) / 7.0)
    else:
        weekly = "unknown"
    lifts = "yes" if len(sets) else "unknown"
    style = profile.lifting_style
    if style is None:
        tags = set(sets["effort"].dropna()) if len(sets) else set()
        style = (
            "westside" if tags & {"max-effort", "dynamic-effort"} else ("general" if len(sets) else "unknown")
        )
    if style == "none":
        lifts = "no"
    cid, revision = identity or next_identity(conn, user_id)
    return Bundle(
        contributor_id=cid,
        revision=revision,
        profile={
            "age_band": profile.age_band,
            "sex": profile.sex,
            "bmi_band": bmi_band(weight, profile.height_cm),
            "years_running": profile.years_running,
            "lifts": lifts,
            "lifting_style": style,
            "weekly_distance": weekly,
        },
        runs=_runs(table),
        remedies=_remedies(routine_log(conn, user_id)),
        experiments=_experiments(conn, user_id, as_of or now_local_day()),
    )


def export_bundle(
    engine: Engine, user_id: int, path: str | Path, profile: ProfileInput | None = None
) -> Bundle:
    """Build the runner's bundle and write it to ``path`` (JSON)."""
    with engine.begin() as conn:
        bundle = build_bundle(conn, user_id, profile)
    Bundle.from_dict(bundle.content())  # the allow-list check: refuse to write anything outside it
    bundle.write(path)
    return bundle


def contribute_opted_in(
    engine: Engine, pool_dir: str | Path, profiles: Mapping[int, ProfileInput] | None = None
) -> list[str]:
    """Server mode: add the bundle of every runner whose ``pool_opt_in`` preference is ``true`` to the
    pool at ``pool_dir`` (``profiles``: bands by user id, else unknown). Returns the hashes added;
    a runner whose data did not change since the last contribution adds nothing."""
    from backstride.pool.store import Pool

    pool = Pool(pool_dir)
    with engine.connect() as conn:
        ids = sorted(
            int(u)
            for u in conn.execute(
                select(settings.c.user_id)
                .join(users, users.c.id == settings.c.user_id)
                .where(settings.c.key == OPT_IN_PREF, settings.c.value == "true")
            ).scalars()
        )
    added = []
    for user_id in ids:
        profile = (profiles or {}).get(user_id)
        with engine.begin() as conn:
            cid = _internal(conn, user_id, CONTRIBUTOR_KEY)
            rev = int(_internal(conn, user_id, REVISION_KEY) or 0)
            if cid and rev:
                bundle = build_bundle(conn, user_id, profile, identity=(cid, rev))
                if pool.has(bundle.contributor_id, bundle.hash):
                    continue
                _set_internal(conn, user_id, REVISION_KEY, str(rev + 1))
                bundle = replace(bundle, revision=rev + 1)
            else:
                bundle = build_bundle(conn, user_id, profile)
        if pool.add(bundle):
            added.append(bundle.hash)
    return added


__all__ = [
    "CONTRIBUTOR_KEY",
    "OPT_IN_PREF",
    "REVISION_KEY",
    "ProfileInput",
    "bmi_band",
    "build_bundle",
    "contribute_opted_in",
    "export_bundle",
    "is_finished",
    "next_identity",
    "weekly_distance_band",
]
