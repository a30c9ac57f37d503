"""A simulated cohort written directly as a pool (Parquet), with a KNOWN truth, at any size.

Vectorised with numpy and written chunk by chunk (``chunk`` runners at a time), so memory stays
bounded whatever the cohort size: 100,000 runners and about 30 million runs need about as much
memory as one chunk.

The truth, per runner i:

* pain-free distance is Weibull in distance (shape :data:`SHAPE`) with a runner scale
  ``exp(base_i)``, where ``base_i`` depends on the profile (BMI, lifting style, years running) plus
  N(0, 0.35) between runners;
* the hazard rises with descents (log HR ``descent_i`` per 0.1 of descent share, between runners
  N(0.25, 0.15)), with back-loading lifting in the previous 48 h (log HR ``lift_i``, lifters only,
  N(0.3, 0.3)) and with a spike (log HR 1.0 per unit);
* each remedy of :data:`REMEDIES` is tested in an n-of-1 experiment by a share of the runners; a
  runner's true effect (log ratio of pain-free distance) is theta_i ~ N(mu, tau^2); the experiment
  reports y_i = theta_i + N(0, se_i^2) with se_i ~ U(0.08, 0.25), and a verdict by the experiments'
  own rule (:mod:`backstride.experiments.verdict`);
* a share ``repeat_share`` of those runners tested the remedy twice (the same theta_i, fresh noise:
  the pooled analysis must count the runner once), and a share ``running_share`` also has an
  experiment still running (``finished`` false) whose estimate so far is off by
  :data:`RUNNING_SHIFT` (deliberately wrong, so an analysis that pooled it would miss the truth).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy import stats

from backstride.pool.schema import (
    AGE_BANDS,
    BMI_BANDS,
    PROFILE_FIELDS,
    SEXES,
    SURFACES,
    YEARS_RUNNING_BANDS,
)
from backstride.pool.store import BUCKETS, SCHEMAS, bundle_key, write_table

SHAPE = 2.0
MEANINGFUL = math.log(1.3)
#: How far a running (unfinished) experiment's simulated estimate is from the runner's true effect.
RUNNING_SHIFT = 0.5


@dataclass(frozen=True)
class RemedyTruth:
    """A remedy's true average effect ``mu`` and between-runner sd ``tau`` (log ratio), and the share
    of runners who test it."""

    remedy: str
    mu: float
    tau: float
    share: float


REMEDIES: tuple[RemedyTruth, ...] = (
    RemedyTruth("glute_hip_strengthening", 0.20, 0.15, 0.30),
    RemedyTruth("hip_flexor_stretching", 0.05, 0.10, 0.30),
    RemedyTruth("reduce_max_effort_lower", 0.25, 0.20, 0.15),
    RemedyTruth("foam_rolling", 0.00, 0.05, 0.20),
    RemedyTruth("core_motor_control", 0.10, 0.25, 0.20),
)


@dataclass(frozen=True)
class CohortSpec:
    runners: int = 100_000
    mean_runs: float = 300.0
    seed: int = 20250601
    chunk: int = 5000
    remedies: tuple[RemedyTruth, ...] = REMEDIES
    repeat_share: float = 0.1
    running_share: float = 0.05


@dataclass
class CohortSummary:
    runners: int
    runs: int
    experiments: int
    seconds: float
    files: int = 0
    truth: dict[str, tuple[float, float]] = field(default_factory=dict)


_P = {
    "age_band": (AGE_BANDS[:-1], (0.04, 0.30, 0.32, 0.21, 0.10, 0.03)),
    "sex": (SEXES[:-1], (0.40, 0.58, 0.02)),
    "bmi_band": (BMI_BANDS[:-1], (0.03, 0.52, 0.33, 0.12)),
    "years_running": (YEARS_RUNNING_BANDS[:-1], (0.15, 0.35, 0.35, 0.15)),
    "lifts": (("yes", "no"), (0.6, 0.4)),
    "weekly_distance": (("<10km", "10-25km", "25-50km", "50-80km", "80km+"), (0.15, 0.35, 0.30, 0.15, 0.05)),
}
_STYLES = (("westside", "powerlifting", "bodybuilding", "general"), (0.25, 0.2, 0.2, 0.35))
_WEEKLY_KM = np.array([7.0, 17.0, 37.0, 65.0, 95.0])


def _choice(rng: np.random.Generator, name: str, n: int) -> NDArray[np.int64]:
    values, p = _P[name]
    return rng.choice(len(values), size=n, p=np.asarray(p) / np.sum(p))


def _ids(
    rng: np.random.Generator, n: int
) -> tuple[list[str], list[str], NDArray[np.int64], NDArray[np.int64]]:
    words = rng.integers(0, 2**32, size=(n, 4), dtype=np.uint64)
    cids = ["".join(f"{int(w):08x}" for w in row) for row in words]
    hashes = [hashlib.sha256(f"cohort:{c}".encode()).hexdigest() for c in cids]
    keys = np.array([bundle_key(h) for h in hashes], dtype=np.int64)
    buckets = (words[:, 0] % BUCKETS).astype(np.int64)
    return cids, hashes, keys, buckets


def _verdicts(y: NDArray[np.float64], se: NDArray[np.float64]) -> NDArray[np.object_]:
    """The experiments' verdict rule, vectorised (see :func:`backstride.experiments.verdict.decide`)."""
    from backstride.experiments.verdict import MEANINGFUL_PROB, NO_DIFFERENCE_PROB, SURE_PROB

    cdf = stats.norm.cdf
    benefit = 1 - cdf((MEANINGFUL - y) / se)
    harm = cdf((-MEANINGFUL - y) / se)
    better = 1 - cdf(-y / se)
    worse = cdf(-y / se)
    out = np.full(y.size, "inconclusive", dtype=object)
    nodiff = np.maximum(0.0, 1 - benefit - harm) >= NO_DIFFERENCE_PROB
    out[nodiff] = "no meaningful difference"
    out[(harm >= MEANINGFUL_PROB) & (worse >= SURE_PROB)] = "harm"
    out[(benefit >= MEANINGFUL_PROB) & (better >= SURE_PROB)] = "benefit"
    return out


def _chunk(rng: np.random.Generator, n: int, spec: CohortSpec) -> dict[str, dict[str, NDArray[np.generic]]]:
    cids, hashes, keys, buckets = _ids(rng, n)
    idx = {name: _choice(rng, name, n) for name in _P}
    lifter = idx["lifts"] == 0
    style = np.where(lifter, rng.choice(len(_STYLES[0]), size=n, p=_STYLES[1]), -1)
    style_names = np.array([*_STYLES[0], "none"], dtype=object)[style]
    base = (
        np.log(3500.0)
        - 0.25 * (idx["bmi_band"] == 3)
        - 0.10 * (idx["bmi_band"] == 2)
        - 0.20 * (style == 0)
        + 0.10 * idx["years_running"]
        + rng.normal(0.0, 0.35, n)
    )
    descent = rng.normal(0.25, 0.15, n)
    lift = np.where(lifter, rng.normal(0.3, 0.3, n), 0.0)
    per_week = rng.uniform(2.0, 5.0, n)
    typical = _WEEKLY_KM[idx["weekly_distance"]] * 1000.0 / per_week
    counts = np.maximum(rng.poisson(spec.mean_runs, n), 5)
    owner = np.repeat(np.arange(n), counts)
    m = owner.size
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    seq = np.arange(m) - start[owner]
    week = np.floor(seq / per_week[owner]).astype(np.int32)
    dist = typical[owner] * rng.lognormal(0.0, 0.35, m)
    dist = np.clip(np.round(dist / 10.0) * 10.0, 500.0, 100_000.0)
    spike = np.clip(np.round(np.maximum(0.0, dist / (typical[owner] * 1.5) - 1.0), 1), 0.0, 10.0)
    dshare = np.round(np.clip(rng.beta(1.5, 10.0, m), 0, 1) / 0.05) * 0.05
    lift48 = lifter[owner] & (rng.random(m) < 0.3)
    eta = descent[owner] * dshare / 0.1 + lift[owner] * lift48 + 1.0 * spike
    onset = np.exp(base[owner]) * (rng.exponential(1.0, m) / np.exp(eta)) ** (1.0 / SHAPE)
    pain = onset < dist
    onset_m = np.where(pain, np.clip(np.round(onset / 10.0) * 10.0, 0.0, dist), np.nan)
    severity = np.where(pain, np.clip(rng.poisson(3.0, m) + 1, 0, 10), np.nan)
    surface = np.array(SURFACES[:-1], dtype=object)[rng.choice(4, size=m, p=(0.6, 0.2, 0.05, 0.15))]
    tables: dict[str, dict[str, NDArray[np.generic]]] = {
        "bundles": {
            "bundle": keys,
            "contributor_id": np.array(cids, dtype=object),
            "bundle_hash": np.array(hashes, dtype=object),
            "revision": np.ones(n, dtype=np.int32),
            "imported_seq": np.zeros(n, dtype=np.int64),
            "n_runs": counts.astype(np.int32),
        },
        "profiles": {"bundle": keys},
        "runs": {
            "bundle": keys[owner],
            "week": week,
            "distance_m": dist.astype(np.int32),
            "pain": pain,
            "onset_m": onset_m,
            "onset_low_m": onset_m,
            "onset_high_m": onset_m,
            "severity": severity,
            "descent_share": dshare,
            "lift_48h": np.where(lifter[owner], lift48.astype(float), np.nan),
            "spike": spike,
            "surface": surface,
        },
    }
    for name in PROFILE_FIELDS:
        if name == "lifting_style":
            tables["profiles"][name] = style_names
        else:
            tables["profiles"][name] = np.array(_P[name][0], dtype=object)[idx[name]]
    rem_rows: dict[str, list[NDArray[np.generic]]] = {
        k: [] for k in ("bundle", "remedy", "weeks", "adherence")
    }
    exp_rows: dict[str, list[NDArray[np.generic]]] = {
        k: [] for k in ("bundle", "remedy", "effect", "se", "verdict", "finished")
    }
    for truth in spec.remedies:
        who = np.nonzero(rng.random(n) < truth.share)[0]
        theta = rng.normal(truth.mu, truth.tau, who.size)
        again = rng.random(who.size) < spec.repeat_share
        running = rng.random(who.size) < spec.running_share
        tested = np.concatenate((who, who[again], who[running]))
        shift = np.concatenate(
            (np.zeros(who.size + int(again.sum())), np.full(int(running.sum()), RUNNING_SHIFT))
        )
        true = np.concatenate((theta, theta[again], theta[running])) + shift
        se = np.round(rng.uniform(0.08, 0.25, tested.size), 3)
        y = np.round(true + rng.normal(0.0, se), 3)
        exp_rows["bundle"].append(keys[tested])
        exp_rows["remedy"].append(np.full(tested.size, truth.remedy, dtype=object))
        exp_rows["effect"].append(y)
        exp_rows["se"].append(se)
        exp_rows["verdict"].append(_verdicts(y, se))
        exp_rows["finished"].append(shift == 0.0)
        rem_rows["bundle"].append(keys[who])
        rem_rows["remedy"].append(np.full(who.size, truth.remedy, dtype=object))
        rem_rows["weeks"].append(rng.integers(2, 30, who.size).astype(np.int32))
        rem_rows["adherence"].append(np.round(rng.uniform(0.2, 1.0, who.size), 1))
    tables["remedies"] = {k: np.concatenate(v) for k, v in rem_rows.items()}
    e = {k: np.concatenate(v) for k, v in exp_rows.items()}
    k = e["bundle"].size
    e.update(
        design=np.full(k, "ab-pairs", dtype=object),
        outcome=np.full(k, "onset", dtype=object),
        pairs=np.full(k, 4, dtype=np.int32),
        period_days=np.full(k, 7, dtype=np.int32),
    )
    tables["experiments"] = e
    order = np.argsort(keys)
    for cols in tables.values():
        cols["_bucket"] = buckets[order[np.searchsorted(keys[order], cols["bundle"])]]
    return tables


def _arrow(cols: dict[str, NDArray[np.generic]], schema: pa.Schema, rows: NDArray[np.int64]) -> pa.Table:
    arrays = []
    for f in schema:
        values = cols[f.name][rows]
        if values.dtype.kind == "f" and pa.types.is_boolean(f.type):
            mask = np.isnan(values)
            arrays.append(pa.array(np.where(mask, 0.0, values) > 0.5, mask=mask))
        elif values.dtype.kind == "f" and pa.types.is_integer(f.type):
            mask = np.isnan(values)
            arrays.append(pa.array(np.where(mask, 0, values).astype(np.int64), mask=mask).cast(f.type))
        else:
            arrays.append(pa.array(values, type=f.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def generate_cohort(root: str | Path, spec: CohortSpec | None = None) -> CohortSummary:
    """Write a simulated cohort as a pool at ``root`` (a new or empty folder); chunk by chunk."""
    spec = spec or CohortSpec()
    root = Path(root)
    rng = np.random.default_rng(spec.seed)
    began = time.perf_counter()
    runs = experiments = files = 0
    for c, first in enumerate(range(0, spec.runners, spec.chunk)):
        n = min(spec.chunk, spec.runners - first)
        tables = _chunk(rng, n, spec)
        runs += int(tables["runs"]["bundle"].size)
        experiments += int(tables["experiments"]["bundle"].size)
        for name, cols in tables.items():
            order = np.argsort(cols["_bucket"], kind="stable")
            bounds = np.searchsorted(cols["_bucket"][order], np.arange(BUCKETS + 1))
            for b in range(BUCKETS):
                rows = order[bounds[b] : bounds[b + 1]]
                path = root / name / f"bucket={b:02d}" / f"cohort-{spec.seed}-{c:05d}.parquet"
                write_table(path, _arrow(cols, SCHEMAS[name], rows))
                files += 1
    truth = {r.remedy: (r.mu, r.tau) for r in spec.remedies}
    return CohortSummary(spec.runners, runs, experiments, time.perf_counter() - began, files, truth)


__all__ = [
    "REMEDIES",
    "RUNNING_SHIFT",
    "SHAPE",
    "CohortSpec",
    "CohortSummary",
    "RemedyTruth",
    "generate_cohort",
]
