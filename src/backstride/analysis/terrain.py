"""Terrain inside the run: where does the pain start, against the exposure of pain-free running?

Each run is cut into segments of ``segment_m`` metres (100 m by default). A segment's exposure is the
pain-free distance run in it: the whole segment before the onset, the part up to the onset in the
segment where it starts (which holds the event), nothing after. Per segment, from what was run
**before the onset only**: grade (altitude change over the part of the segment run before the onset
/ its length; at least :data:`MIN_GRADE_M` metres, reaching back before the segment when the onset
came in its first metres), pace (s/km, the same stretch), mean cadence (steps/min, the samples of the
exposed part), and the net descent in the ``lookback_m`` (500 m) before the segment
(m, >= 0). Nothing after the onset enters: a descent that begins just after the pain started must
not be counted as the terrain it started on.

The model is piecewise exponential: a Poisson regression of onsets on segment covariates with
log(exposure) as offset and a baseline rate per distance band (bands cut at quantiles of the onset
distances, so the rising hazard over distance is not mistaken for terrain). ``exp(coef)`` is a rate
ratio per km of running: "onsets are about 3x as likely per km on descents steeper than 4%".

Onsets known only to a lap (or not at all) are not dropped, which would select runs on their
outcome: :func:`backstride.analysis.terrain_runs.terrain_of_runs` draws them on several completed
data sets and :func:`analyze_terrain` pools the rate ratios by Rubin's rules. Everything is
vectorised over all runs at once (one concatenated array per stream column).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from backstride.analysis.factors import benjamini_hochberg
from backstride.analysis.imputation import rubin
from backstride.analysis.poisson import fit_poisson
from backstride.analysis.result_format import Result, fmt_p, fmt_ratio, fmt_ratio_range
from backstride.errors import ConvergenceError

FloatArray = NDArray[Any]
logger = logging.getLogger(__name__)
_BIG = 1.0e7  # metres between runs on the concatenated distance axis (no run is 10,000 km)
MIN_TERRAIN_EVENTS = 10
#: A segment's grade and pace are measured over at least this many metres (all before the onset).
MIN_GRADE_M = 10.0
MIN_EVENTS_PER_LEVEL = 3


def _concat(streams: Sequence[Mapping[str, np.ndarray]], name: str, lens: NDArray[np.intp]) -> FloatArray:
    parts = [
        np.asarray(s[name], dtype=float) if name in s else np.full(n, np.nan)
        for s, n in zip(streams, lens, strict=True)
    ]
    return np.concatenate(parts) if parts else np.empty(0)


def _interp_within(
    key_query: FloatArray,
    run_query: NDArray[np.intp],
    key: FloatArray,
    run: NDArray[np.intp],
    values: FloatArray,
    n_runs: int,
) -> FloatArray:
    """Interpolate ``values`` at ``key_query`` using only samples of the same run (NaN if it has none)."""
    ok = np.isfinite(values)
    key, run, values = key[ok], run[ok], values[ok]
    if key.size == 0:
        return np.full(key_query.size, np.nan)
    lo = np.searchsorted(run, np.arange(n_runs), side="left")
    hi = np.searchsorted(run, np.arange(n_runs), side="right")
    has = hi > lo
    first = key[np.minimum(lo, key.size - 1)]
    last = key[np.maximum(hi - 1, 0)]
    q = np.clip(key_query, first[run_query], last[run_query])
    out = np.interp(q, key, values)
    return np.where(has[run_query], out, np.nan)


def segment_runs(
    streams: Sequence[Mapping[str, np.ndarray]],
    onsets_m: Sequence[float | None],
    segment_m: float = 100.0,
    lookback_m: float = 500.0,
) -> pd.DataFrame:
    """One row per run segment up to the onset (or the run's end when pain-free).

    ``streams``: per run, arrays ``distance`` (m) and optionally ``altitude`` (m), ``t`` (s),
    ``speed`` (m/s), ``cadence`` (steps/min). ``onsets_m``: the onset distance, or None/NaN when
    pain-free. Columns: run (index into ``streams``), start_m, end_m, exposure_m, event, grade
    (fraction), pace_s_per_km, cadence, descent_prev_m.
    """
    n_runs = len(streams)
    lens = np.array([len(s["distance"]) for s in streams], dtype=np.intp)
    run = np.repeat(np.arange(n_runs), lens)
    dist = _concat(streams, "distance", lens)
    keep = np.isfinite(dist)
    run, dist = run[keep], dist[keep]
    alt = _concat(streams, "altitude", lens)[keep]
    t = _concat(streams, "t", lens)[keep]
    speed = _concat(streams, "speed", lens)[keep]
    cadence = _concat(streams, "cadence", lens)[keep]
    key = np.maximum.accumulate(dist + run * _BIG)  # monotone within each run
    dist = key - run * _BIG
    end = np.zeros(n_runs)
    if run.size:
        last_idx = np.searchsorted(run, np.arange(n_runs), side="right") - 1
        valid = last_idx >= np.searchsorted(run, np.arange(n_runs), side="left")
        end[valid] = dist[last_idx[valid]]
    onset = np.array([np.nan if o is None else float(o) for o in onsets_m])
    is_event = np.isfinite(onset)
    stop = np.where(is_event, np.minimum(onset, end), end)
    n_seg = np.where(stop > 0, np.ceil(stop / segment_m), np.where(is_event, 1, 0)).astype(np.intp)
    seg_run = np.repeat(np.arange(n_runs), n_seg)
    offsets = np.concatenate(([0], np.cumsum(n_seg)[:-1]))
    k = np.arange(seg_run.size) - offsets[seg_run]
    start = k * segment_m
    seg_end = np.minimum(start + segment_m, stop[seg_run])
    # the terrain of a segment: the part run before its exposure ends (never after the onset), at
    # least MIN_GRADE_M long so that a few metres of altitude noise do not make a steep grade
    geo_start = np.maximum(np.minimum(start, seg_end - MIN_GRADE_M), 0.0)
    event = is_event[seg_run] & (k == n_seg[seg_run] - 1)
    exposure = np.maximum(seg_end - start, 1.0)

    def at(values: FloatArray, where: FloatArray) -> FloatArray:
        return _interp_within(where + seg_run * _BIG, seg_run, key, run, values, n_runs)

    length = np.maximum(seg_end - geo_start, 1.0)
    alt_start = at(alt, start)
    grade = (at(alt, seg_end) - at(alt, geo_start)) / length
    descent_prev = np.maximum(at(alt, np.maximum(start - lookback_m, 0.0)) - alt_start, 0.0)
    pace = (at(t, seg_end) - at(t, geo_start)) / length * 1000.0
    # samples -> segment rows for means (cadence, and speed where there is no time stream), only
    # samples up to the onset
    sample_k = np.floor(dist / segment_m).astype(np.intp)
    in_seg = (sample_k < n_seg[run]) & (dist <= stop[run] + 1e-9)
    row = offsets[run[in_seg]] + sample_k[in_seg]

    def seg_mean(values: FloatArray) -> FloatArray:
        v = values[in_seg]
        ok = np.isfinite(v)
        total = np.bincount(row[ok], weights=v[ok], minlength=seg_run.size)
        count = np.bincount(row[ok], minlength=seg_run.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    mean_speed = seg_mean(speed)
    pace = np.where(np.isfinite(pace) & (pace > 0), pace, 1000.0 / mean_speed)
    return pd.DataFrame(
        {
            "run": seg_run,
            "start_m": start,
            "end_m": seg_end,
            "exposure_m": exposure,
            "event": event,
            "grade": grade,
            "pace_s_per_km": pace,
            "cadence": seg_mean(cadence),
            "descent_prev_m": descent_prev,
        }
    )


@dataclass(frozen=True)
class TerrainTerm:
    """A segment covariate: ``make(segments)`` gives its values; rate ratio per ``per`` units."""

    name: str
    label: str
    binary: bool
    per: float = 1.0


#: The default terms: steep descent and climb (binary, 4% grade), net descent in the previous 500 m.
DEFAULT_TERMS: tuple[TerrainTerm, ...] = (
    TerrainTerm("steep_descent", "on descents steeper than 4%", True),
    TerrainTerm("steep_climb", "on climbs steeper than 4%", True),
    TerrainTerm("descent_prev_m", "for each 10 m of descent in the previous 500 m", False, 10.0),
)


def term_values(segments: pd.DataFrame, term: TerrainTerm) -> FloatArray:
    """Values of a term: the two steep-grade flags are derived; anything else is a column."""
    grade = segments["grade"].to_numpy(float)
    if term.name == "steep_descent":
        return np.where(np.isfinite(grade), (grade < -0.04).astype(float), np.nan)
    if term.name == "steep_climb":
        return np.where(np.isfinite(grade), (grade > 0.04).astype(float), np.nan)
    return segments[term.name].to_numpy(float)


@dataclass
class RateRatio(Result):
    """One terrain term: onsets per km with vs without (or per ``per`` units), with its 95% CI."""

    name: str
    label: str
    status: str
    rate_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    events_with: int | None = None
    exposure_km_with: float | None = None
    sentence: str = ""
    q_value: float | None = None

    def text_lines(self) -> list[str]:
        return [self.sentence]


@dataclass
class TerrainResult(Result):
    runs: int
    events: int
    exposure_km: float
    terms: list[RateRatio]
    bands_m: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The first data set's fit (band edges, coefficients, covariance, term names), for the
    #: model-based imputation of :func:`terrain_of_runs`.
    model: dict[str, Any] | None = field(default=None, repr=False, metadata={"json": False})

    def text_lines(self) -> list[str]:
        lines = [f"Terrain ({self.runs} runs, {self.events} onsets, {self.exposure_km:.0f} km pain-free):"]
        return lines + [f"- {t.sentence}" for t in self.terms] + [f"Note: {n}" for n in self.notes]


def _sentence(term: TerrainTerm, rr: float, lo: float, hi: float, p: float) -> str:
    ratio = f"about {fmt_ratio(rr)}x as likely per km {term.label} (95% CI {fmt_ratio_range(lo, hi)})"
    if p < 0.05:
        return f"Onsets are {ratio}."
    return f"No clear difference yet: onsets are {ratio}, p = {fmt_p(p)}."


def analyze_terrain(
    segments: pd.DataFrame | Sequence[pd.DataFrame],
    terms: Sequence[TerrainTerm] = DEFAULT_TERMS,
    max_bands: int = 6,
) -> TerrainResult:
    """Piecewise-exponential model of onsets per km on the segment terms (see module doc). Given
    several segment tables (completed data sets), each is fitted and the rate ratios are pooled by
    Rubin's rules; the data checks use the first."""
    sets = [segments] if isinstance(segments, pd.DataFrame) else list(segments)
    segments = sets[0]
    events_all = segments["event"].to_numpy(bool)
    n_runs = int(segments["run"].nunique())
    total_events = int(events_all.sum())
    result = TerrainResult(n_runs, total_events, float(segments["exposure_m"].sum()) / 1000, [])
    if total_events < MIN_TERRAIN_EVENTS:
        result.notes.append(f"not enough onsets yet for terrain ({total_events}; needs {MIN_TERRAIN_EVENTS})")
        return result
    values = {t.name: term_values(segments, t) for t in terms}
    ok = np.all([np.isfinite(v) for v in values.values()], axis=0)
    usable: list[TerrainTerm] = []
    for t in terms:
        v, e = values[t.name][ok], events_all[ok]
        if t.binary:
            on = v > 0.5
            if e[on].sum() < MIN_EVENTS_PER_LEVEL or e[~on].sum() < MIN_EVENTS_PER_LEVEL:
                result.terms.append(
                    RateRatio(
                        t.name,
                        t.label,
                        "insufficient",
                        sentence=f"Not enough onsets yet to compare {t.label} (needs 3 on and off).",
                    )
                )
                continue
        elif np.unique(v).size < 5:
            result.terms.append(
                RateRatio(t.name, t.label, "insufficient", sentence=f"No variation {t.label}.")
            )
            continue
        usable.append(t)
    if not usable or events_all[ok].sum() < MIN_TERRAIN_EVENTS:
        result.notes.append(
            "not enough onsets on runs with an altitude record to relate them to the terrain"
            if events_all[ok].sum() < MIN_TERRAIN_EVENTS
            else "no terrain term has enough data yet"
        )
        return result
    n_bands = int(min(max_bands, max(1, events_all[ok].sum() // 10)))
    fits = []
    first_x: np.ndarray | None = None
    first_edges: np.ndarray | None = None
    for one in sets:
        vals = {t.name: term_values(one, t) for t in terms}
        keep = np.all([np.isfinite(v) for v in vals.values()], axis=0)
        seg = one[keep]
        e = one["event"].to_numpy(bool)[keep]
        # bands at the quantiles of this data set's onsets (each completed data set gets the whole
        # procedure; only the terrain terms are pooled)
        onsets = seg["end_m"].to_numpy(float)[e]
        cuts = np.linspace(0, 1, n_bands + 1)[1:-1]
        edges = np.unique(np.quantile(onsets, cuts)) if n_bands > 1 else np.array([])
        mid = ((seg["start_m"] + seg["end_m"]) / 2).to_numpy(float)
        band = np.searchsorted(edges, mid, side="right")
        x_band = (band[:, None] == np.arange(edges.size + 1)[None, :]).astype(float)
        x_terms = np.column_stack([vals[t.name][keep] for t in usable]) if usable else np.empty((e.size, 0))
        x = np.hstack([x_band, x_terms])
        names = [f"band{i}" for i in range(edges.size + 1)] + [t.name for t in usable]
        try:
            fit = fit_poisson(
                x, e.astype(float), seg["exposure_m"].to_numpy(float), names, n_baseline=edges.size + 1
            )
        except ConvergenceError as exc:
            result.notes.append(f"the terrain model could not be fitted ({exc})")
            logger.info("%s", result.notes[-1], exc_info=exc)
            return result
        if not np.all(np.isfinite(fit.ci_high)) or np.max(fit.se) > 50:
            result.notes.append(
                "the terrain model could not be fitted: the onsets fall on too few kinds of ground to "
                "compare (for example none on the flat)"
            )
            return result
        fits.append(fit)
        if first_x is None:
            first_x, first_edges = x, edges
            info = (x * np.exp(np.log(seg["exposure_m"].to_numpy(float)) + x @ fit.coef)[:, None]).T @ x
            result.model = {
                "edges": edges,
                "coef": fit.coef,
                "cov": np.linalg.pinv(info),
                "terms": [t.name for t in usable],
            }
    assert first_x is not None and first_edges is not None
    seg0, e0 = segments[ok], events_all[ok]
    result.bands_m = first_edges.tolist()
    for i, t in enumerate(usable):
        pooled = rubin([f.coef[-len(usable) + i] for f in fits], [f.se[-len(usable) + i] ** 2 for f in fits])
        lo_log, hi_log = pooled.ci()
        rr, lo, hi = (
            float(np.exp(pooled.estimate * t.per)),
            float(np.exp(lo_log * t.per)),
            float(np.exp(hi_log * t.per)),
        )
        p = pooled.p_value
        on = first_x[:, first_edges.size + 1 + i] > 0.5
        result.terms.append(
            RateRatio(
                t.name,
                t.label,
                "ok",
                rr,
                lo,
                hi,
                p,
                int(e0[on].sum()) if t.binary else None,
                float(seg0["exposure_m"].to_numpy(float)[on].sum() / 1000) if t.binary else None,
                _sentence(t, rr, lo, hi, p),
            )
        )
    ok_terms = [r for r in result.terms if r.status == "ok"]
    for rr_term, q in zip(ok_terms, benjamini_hochberg([r.p_value or 1.0 for r in ok_terms]), strict=True):
        rr_term.q_value = q
    result.notes.append("associations between terrain and onsets in your runs, not proof of cause")
    return result
