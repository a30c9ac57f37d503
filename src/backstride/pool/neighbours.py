""" "Runners like me": the nearest contributors by profile and pain pattern, and what worked for them.

A runner's pain pattern comes from integer counts that :func:`backstride.pool.queries.
contributor_patterns` aggregates per contributor (the same expression describes the runner asking):

* ``onset``: log of the mean onset distance of the runs with pain (metres);
* ``pain_rate``: share of runs with pain;
* ``descent``: pain rate on hilly runs (descent share >= 0.15) minus on flatter ones;
* ``lifting``: pain rate within 48 h of back-loading lifting minus without.

The distance between two runners adds, per feature, the squared difference in units of
:data:`SCALES` (an unknown on either side adds :data:`UNKNOWN_PENALTY`), and for the profile bands
the difference in band steps (ordered bands) or 1 for a different category. The nearest ``k`` runners
(ties broken by contributor id, so every backend picks the same) are "runners like you"; their
finished experiments are counted per remedy, one runner once (:func:`backstride.pool.queries.
remedy_outcomes`), and a remedy tried by fewer than 10 of them is suppressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from backstride.pool.bundle import Bundle
from backstride.pool.lifetable import MIN_RUNNERS
from backstride.pool.queries import PoolTables, contributor_patterns, remedy_outcomes
from backstride.pool.schema import AGE_BANDS, BMI_BANDS, WEEKLY_DISTANCE_BANDS, YEARS_RUNNING_BANDS
from backstride.pool.store import bundle_key, bundle_tables

#: Feature scales: a difference of this size counts as one unit of distance.
SCALES = {"onset": 0.3, "pain_rate": 0.15, "descent": 0.15, "lifting": 0.15}
ORDERED = {
    "age_band": AGE_BANDS[:-1],
    "bmi_band": BMI_BANDS[:-1],
    "years_running": YEARS_RUNNING_BANDS[:-1],
    "weekly_distance": WEEKLY_DISTANCE_BANDS[:-1],
}
CATEGORICAL = ("sex", "lifts", "lifting_style")
UNKNOWN_PENALTY = 0.5
#: Fewest runs on each side before a sensitivity (descent or lifting) is computed.
MIN_SIDE_RUNS = 5
DEFAULT_K = 200


def features(counts: pd.DataFrame) -> pd.DataFrame:
    """The pattern features (NaN when unknown) from :func:`contributor_patterns` counts."""
    c = counts.astype({k: float for k in ("n", "n_pain", "onset_sum")})
    out = pd.DataFrame(index=counts.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["onset"] = np.where(
            c["n_pain"] > 0, np.log(np.maximum(c["onset_sum"] / c["n_pain"], 10.0)), np.nan
        )
        out["pain_rate"] = np.where(c["n"] > 0, c["n_pain"] / c["n"], np.nan)
        for name, a, b in (("descent", "hilly", "flat"), ("lifting", "lift", "nolift")):
            na, nb = c[f"n_{a}"].astype(float), c[f"n_{b}"].astype(float)
            ok = (na >= MIN_SIDE_RUNS) & (nb >= MIN_SIDE_RUNS)
            out[name] = np.where(ok, c[f"pain_{a}"] / na - c[f"pain_{b}"] / nb, np.nan)
    return out


def distances(me: dict[str, Any], others: pd.DataFrame) -> np.ndarray:
    """Distance of every row of ``others`` (profile bands + features) from ``me``."""
    total = np.zeros(len(others))
    for name, scale in SCALES.items():
        diff = (others[name].to_numpy(float) - float(me.get(name, math.nan))) / scale
        total += np.where(np.isfinite(diff), diff * diff, UNKNOWN_PENALTY)
    for name, bands in ORDERED.items():
        pos = {b: i for i, b in enumerate(bands)}
        mine = pos.get(str(me.get(name)))
        theirs = others[name].map(pos).to_numpy(float)
        diff = theirs - (math.nan if mine is None else mine)
        total += np.where(np.isfinite(diff), diff * diff, UNKNOWN_PENALTY)
    for name in CATEGORICAL:
        mine_s = str(me.get(name, "unknown"))
        col = others[name].astype(str)
        unknown = (col == "unknown") | (mine_s == "unknown")
        total += np.where(unknown, UNKNOWN_PENALTY, (col != mine_s).astype(float))
    return total


@dataclass
class LikeMe:
    """The runners nearest to one runner and what worked for them."""

    neighbours: int
    pattern: dict[str, float | None]
    remedies: list[dict[str, Any]] = field(default_factory=list)
    suppressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "runners": self.neighbours,
            "pattern": self.pattern,
            "remedies": self.remedies,
            "suppressed": self.suppressed,
        }


def _my_runs(bundle: Bundle) -> Any:
    return ibis.memtable(bundle_tables(bundle, bundle_key(bundle.hash))["runs"])


def pattern_of(t: PoolTables, bundle: Bundle) -> dict[str, float | None]:
    """The runner's own pain pattern, by the same expression as the pool's."""
    counts = t.execute(contributor_patterns(t, runs=_my_runs(bundle)))
    if counts.empty:
        return dict.fromkeys(SCALES)
    row = features(counts).iloc[0]
    return {k: (None if not math.isfinite(float(row[k])) else float(row[k])) for k in SCALES}


def runners_like_me(t: PoolTables, bundle: Bundle, k: int = DEFAULT_K, outcome: str = "onset") -> LikeMe:
    """The ``k`` contributors nearest to ``bundle``'s runner (excluding themself) and, per remedy,
    how many of them tried it and with what verdicts."""
    mine = pattern_of(t, bundle)
    pool = t.execute(contributor_patterns(t))
    pool = pool[pool["contributor_id"] != bundle.contributor_id].reset_index(drop=True)
    if len(pool) < MIN_RUNNERS:
        return LikeMe(len(pool), mine, suppressed=True)
    feats = pd.concat([pool, features(pool)], axis=1)
    me = {**bundle.profile, **{k2: (math.nan if v is None else v) for k2, v in mine.items()}}
    feats["distance"] = distances(me, feats)
    chosen = feats.sort_values(["distance", "contributor_id"], kind="stable").head(k)
    worked = t.execute(remedy_outcomes(t, chosen["bundle"].astype("int64").tolist(), outcome))
    remedies = []
    for r in worked.sort_values(["runners", "remedy"], ascending=[False, True]).itertuples(index=False):
        if int(r.runners) < MIN_RUNNERS:
            remedies.append({"remedy": r.remedy, "runners": int(r.runners), "suppressed": True})
            continue
        mean = float(r.effect_sum) / int(r.runners)
        remedies.append(
            {
                "remedy": r.remedy,
                "runners": int(r.runners),
                "benefit": int(r.benefit),
                "harm": int(r.harm),
                "no_difference": int(r.no_difference),
                "mean_effect": math.exp(mean) if outcome == "onset" else mean,
                "suppressed": False,
            }
        )
    return LikeMe(len(chosen), mine, remedies)


__all__ = ["DEFAULT_K", "SCALES", "LikeMe", "distances", "features", "pattern_of", "runners_like_me"]
