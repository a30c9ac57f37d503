"""How the pain-free distance moves over time: rolling windows and earlier vs later half.

* :func:`rolling_pain_free`: the pain-free distance of every 8-week window (Kaplan-Meier, or Turnbull
  when some onsets are known only to a lap; the minimum-data rule of
  :mod:`backstride.analysis.survival`). A window where fewer than half of the runs reached an onset is
  kept and marked ``beyond``: the pain now starts later than most runs go, which is the good news the
  chart must not drop.
* :func:`compare_periods`: log-rank test of the earlier against the later half, on completed data
  sets for onsets known only to a lap (:mod:`backstride.analysis.imputation`).
* :func:`period_trend`: both halves' medians (or "beyond"), the chance of reaching the target
  pain-free in each with the difference and its 95% CI, and one sentence. When the later median is
  not reached the sentence says "longer: fewer than half of recent runs reach an onset", never "no
  clear change".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from backstride.analysis.result_format import Result, fmt_m, fmt_p
from backstride.analysis.survival import (
    MIN_RUNS,
    Estimate,
    LogRankResult,
    PainFreeResult,
    logrank_test,
    pain_free_distance,
    survival_columns,
)

Z95 = 1.959963984540054


@dataclass
class WindowResult(Result):
    """The pain-free distance over one time window (rolling windows show adaptation). ``beyond``:
    fewer than half of the window's runs reached an onset, so its median lies beyond ``longest_m``
    (drawn as "beyond", not dropped)."""

    start: datetime
    end: datetime
    runs: int
    events: int
    median_m: float | None
    ci_m: tuple[float | None, float | None]
    beyond: bool = False
    longest_m: float | None = None
    p_target: Estimate | None = None

    def text_lines(self) -> list[str]:
        median = f"beyond {fmt_m(self.longest_m)}" if self.beyond else fmt_m(self.median_m)
        return [
            f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}: {self.runs} runs, {self.events} onsets, "
            f"median {median}"
        ]


def rolling_pain_free(
    runs: pd.DataFrame,
    window_days: int = 56,
    step_days: int = 7,
    min_runs: int = MIN_RUNS,
    target_m: float | None = None,
    n_boot: int = 100,
) -> list[WindowResult]:
    """The pain-free distance (:func:`pain_free_distance`: Kaplan-Meier, or Turnbull when some onsets
    are known only to a lap) over windows of ``window_days`` ending every ``step_days``. Windows with
    fewer than ``min_runs`` runs are left out (the minimum-data rule); windows where fewer than half
    of the runs reached an onset are kept with ``beyond`` set."""
    if runs.empty:
        return []
    starts = pd.to_datetime(runs["start"]).to_numpy("datetime64[s]")
    order = np.argsort(starts, kind="stable")
    ordered = runs.iloc[order].reset_index(drop=True)
    starts = starts[order]
    first, last = starts[0], starts[-1]
    window = np.timedelta64(window_days, "D")
    step = np.timedelta64(step_days, "D")
    ends = np.arange(first + window, last + step, step)
    if ends.size == 0:
        ends = np.array([last + np.timedelta64(1, "s")])
    lo_idx = np.searchsorted(starts, ends - window, side="left")
    hi_idx = np.searchsorted(starts, ends, side="left")
    out: list[WindowResult] = []
    for lo, hi, end in zip(lo_idx, hi_idx, ends, strict=True):
        if hi - lo < min_runs:
            continue
        result = pain_free_distance(
            ordered.iloc[lo:hi], target_m, n_boot=n_boot, seed=int(lo), min_runs=min_runs
        )
        end_dt = end.astype("datetime64[s]").astype(datetime)
        out.append(
            WindowResult(
                end_dt - timedelta(days=window_days),
                end_dt,
                result.runs,
                result.events,
                result.median_m,
                result.ci_m,
                beyond=result.beyond,
                longest_m=result.longest_m,
                p_target=result.p_target,
            )
        )
    return out


def compare_periods(
    runs: pd.DataFrame, split: datetime, imputations: int = 10, seed: int = 0
) -> LogRankResult:
    """Log-rank test of runs before ``split`` against runs from ``split`` on. Onsets known only to an
    interval enter through completed data sets drawn from the Turnbull curve (p-value by the D2 rule,
    observed and expected onsets averaged), not at their midpoints."""
    from backstride.analysis.imputation import combine_chi2, impute_onsets

    left, right = survival_columns(runs)
    imputed = impute_onsets(left, right, imputations, seed)
    before = (pd.to_datetime(runs["start"]) < pd.Timestamp(split)).to_numpy()
    ev = imputed.events
    tests = [logrank_test(exits[before], ev[before], exits[~before], ev[~before]) for exits in imputed.exits]
    if len(tests) == 1:
        return tests[0]
    observed = tuple(float(np.mean([t.observed[i] for t in tests])) for i in (0, 1))
    expected = tuple(float(np.mean([t.expected[i] for t in tests])) for i in (0, 1))
    stat = float(np.mean([t.statistic for t in tests]))
    return LogRankResult(
        statistic=stat,
        p_value=combine_chi2([t.statistic for t in tests]),
        observed=(observed[0], observed[1]),
        expected=(expected[0], expected[1]),
        runs=tests[0].runs,
        labels=tests[0].labels,
    )


@dataclass
class Trend(Result):
    """How the pain-free distance moved: rolling windows and earlier vs later half.

    ``earlier_median_m``/``later_median_m`` are ``None`` when not reached (``earlier_beyond``/
    ``later_beyond`` then say the median lies beyond the runs) or when there are too few runs;
    ``p_target_change`` is the later minus the earlier chance of reaching ``target_m`` pain-free.
    ``direction`` is ``longer``, ``shorter`` or ``None`` (no clear change, or too few runs)."""

    windows: list[WindowResult]
    split: datetime | None
    earlier_median_m: float | None
    later_median_m: float | None
    comparison: LogRankResult | None
    sentence: str
    target_m: float | None = None
    earlier_beyond: bool = False
    later_beyond: bool = False
    earlier_p_target: Estimate | None = None
    later_p_target: Estimate | None = None
    p_target_change: Estimate | None = None
    direction: str | None = None

    def text_lines(self) -> list[str]:
        return [self.sentence]


def _se(est: Estimate | None) -> float | None:
    if est is None or est.value is None or est.ci_low is None or est.ci_high is None:
        return None
    return (est.ci_high - est.ci_low) / (2 * Z95)


def _change(a: Estimate | None, b: Estimate | None) -> Estimate | None:
    """b - a with a normal-approximation 95% CI from each estimate's CI width (independent halves)."""
    sa, sb = _se(a), _se(b)
    if a is None or b is None or a.value is None or b.value is None or sa is None or sb is None:
        return None
    diff = b.value - a.value
    half = Z95 * math.sqrt(sa**2 + sb**2)
    return Estimate(diff, max(diff - half, -1.0), min(diff + half, 1.0))


def _median_words(part: PainFreeResult) -> str:
    return f"beyond {fmt_m(part.longest_m)}" if part.beyond else fmt_m(part.median_m)


def period_trend(runs: pd.DataFrame, target_m: float | None = None, n_boot: int = 200) -> Trend:
    """Rolling windows, and the earlier vs the later half of ``runs`` (see the module docstring)."""
    windows = rolling_pain_free(runs, target_m=target_m) if len(runs) else []
    if len(runs) < 2 * MIN_RUNS:
        return Trend(windows, None, None, None, None, "not enough runs yet to compare periods", target_m)
    starts = pd.to_datetime(runs["start"])
    split = starts.sort_values().iloc[len(starts) // 2].to_pydatetime()
    later_mask = (starts >= pd.Timestamp(split)).to_numpy()
    early = pain_free_distance(runs[~later_mask], target_m, n_boot=n_boot, seed=1)
    late = pain_free_distance(runs[later_mask], target_m, n_boot=n_boot, seed=2)
    test = compare_periods(runs, split)
    change = _change(early.p_target, late.p_target)
    direction = None
    if test.p_value < 0.05:
        direction = "longer" if test.observed[1] < test.expected[1] else "shorter"
    when = f"{split:%Y-%m-%d}"
    if late.beyond and not early.beyond:
        sentence = (
            f"longer: fewer than half of recent runs reach an onset (since {when}; the median before "
            f"was {fmt_m(early.median_m)})"
        )
        direction = direction or ("longer" if test.p_value < 0.05 else None)
    elif early.beyond and not late.beyond:
        sentence = (
            f"shorter: more than half of recent runs reach an onset (median since {when}: "
            f"{fmt_m(late.median_m)}), where fewer than half did before"
        )
    elif early.beyond and late.beyond:
        sentence = f"fewer than half of the runs reach an onset, both before and since {when}"
    else:
        sentence = (
            f"before {when} the median pain-free distance was {_median_words(early)}, "
            f"since then {_median_words(late)}"
        )
        sentence += f": {direction} now" if direction else "; no clear change yet"
    if early.p_target is not None and late.p_target is not None and target_m is not None:
        a, b = early.p_target.value, late.p_target.value
        if a is not None and b is not None:
            sentence += f"; chance of {fmt_m(target_m)} pain-free {a:.0%} before, {b:.0%} since"
            if (
                change is not None
                and change.ci_low is not None
                and change.ci_high is not None
                and round(change.ci_high * 100) > round(change.ci_low * 100)
            ):
                sentence += (
                    f" (change {change.value:+.0%}, 95% CI {change.ci_low:+.0%} to {change.ci_high:+.0%})"
                )
    sentence += f" (log-rank p = {fmt_p(test.p_value)})."
    return Trend(
        windows,
        split,
        early.median_m,
        late.median_m,
        test,
        sentence,
        target_m,
        early.beyond,
        late.beyond,
        early.p_target,
        late.p_target,
        change,
        direction,
    )
