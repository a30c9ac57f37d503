"""The figures of issue 12, before and after, on the two generators.

    .venv/bin/python scripts/issue12_figures.py [--base COMMIT] [--runners N] [--only NAME ...]

"Before" runs the analysis of ``COMMIT`` (default: the commit this branch started from) on the same
simulated runs, from a copy of its ``src`` made with ``git archive``; "after" runs this tree. Every
figure uses fixed seeds. Sections: spike, unknown, logging, ties, trend, terrain, size, coverage,
experiments.
"""

from __future__ import annotations

import argparse
import math
import pickle
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MILES_3 = 3 * 1609.344


def old_code(base: str) -> Path:
    """The ``src`` of ``base`` in a temporary folder."""
    out = Path(tempfile.mkdtemp(prefix="bs-base-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", base, "src"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out / "src"


def run_old(src: Path, code: str, payload: object) -> object:
    """Run ``code`` (which reads ``payload`` and sets ``result``) with the old package on the path."""
    with tempfile.TemporaryDirectory() as tmp:
        data, result = Path(tmp) / "in.pkl", Path(tmp) / "out.pkl"
        data.write_bytes(pickle.dumps(payload))
        script = (
            "import pickle, sys, warnings\nwarnings.simplefilter('ignore')\n"
            f"payload = pickle.load(open({str(data)!r}, 'rb'))\n{textwrap.dedent(code)}\n"
            f"pickle.dump(result, open({str(result)!r}, 'wb'))\n"
        )
        env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
        subprocess.run([sys.executable, "-c", script], check=True, env=env)
        return pickle.loads(result.read_bytes())


def frames(scenario: object, n: int, seed: int, answered: bool = True) -> list[pd.DataFrame]:
    from backstride.simulate.field import after_prompt, analysis_frame, simulate_field

    field = simulate_field(scenario, n, seed)  # type: ignore[arg-type]
    out = []
    for _, g in field.runs.groupby("runner"):
        frame = analysis_frame(after_prompt(g) if answered else g)
        frame["start"] = pd.to_datetime(frame["start"])
        out.append(frame)
    return out


def spike(src: Path, n: int) -> None:
    from dataclasses import replace

    from backstride.analysis.factors import analyze_factors
    from backstride.analysis.features import MODEL_FACTORS
    from backstride.simulate.field import FieldScenario

    print("== Fault 1: the spike factor (field generator, half of painful runs cut short after the onset)")
    new = next(f for f in MODEL_FACTORS if f.name == "spike")
    typical = FieldScenario(weeks=52, cut_short=0.5, cut_to=(0.0, 0.1))
    spiky = FieldScenario(weeks=78, run_prob=(0.2, 0.4), run_sd_log=0.45, scale_median_m=8000.0)
    spiky = replace(spiky, cut_short=0.5, cut_to=(0.0, 0.1))
    for label, scenario in (("typical runners", typical), ("runners who often go past it", spiky)):
        for truth in (0.0, math.log(2.0)):
            sc = replace(scenario, log_hr={"spike": truth})
            runs = frames(sc, n, seed=100)
            payload = [r.assign(spike=r["spike"].fillna(0.0)) for r in runs]
            old = run_old(
                src,
                """
                from backstride.analysis.factors import Factor, analyze_factors
                f = Factor("spike", "per 10%", "continuous", 0.1)
                result = [analyze_factors(r, [f]).univariable[0] for r in payload]
                result = [(x.status, x.hazard_ratio, x.p_value) for x in result]
                """,
                payload,
            )
            old_ok = [(hr, p) for s, hr, p in old if s == "ok"]  # type: ignore[attr-defined]
            now = [analyze_factors(r, [new]).univariable[0] for r in runs]
            ok = [x for x in now if x.status == "ok"]
            ests = [math.log(x.hazard_ratio) for x in ok if x.hazard_ratio]
            print(
                f"  {label}, true HR {math.exp(truth):.1f} past 110% of the 30-day longest, {n} runners:\n"
                f"    before (final length, per +10%): median HR {np.median([h for h, _ in old_ok]):.2f}, "
                f"rejects (p<0.05) in {np.mean([p < 0.05 for _, p in old_ok]):.1%} of {len(old_ok)}\n"
                f"    after (inside the run): estimable in {len(ok)} of {n}; "
                + (
                    f"median HR {math.exp(np.median(ests)):.2f}, rejects in "
                    f"{np.mean([x.p_value < 0.05 for x in ok]):.1%}, CI covers {math.exp(truth):.0f} in "
                    f"{np.mean([x.ci_low <= math.exp(truth) <= x.ci_high for x in ok]):.1%}"
                    if ok
                    else "too little running past it in every runner"
                )
            )


def unknown(src: Path, n: int) -> None:
    from backstride.analysis.factors import analyze_factors
    from backstride.analysis.features import MODEL_FACTORS
    from backstride.simulate.field import FieldScenario

    print("== Fault 2: onsets known only to a lap or 'unknown' (no true effect; runs grow over the weeks)")
    sc = FieldScenario(
        run_frailty_var=0.0,
        typed_share=0.1,
        interval_share=0.3,
        unknown_share=0.55,
        press=(0.0, 0.2),
        progression=(0.8, 1.2),
    )
    weeks = next(f for f in MODEL_FACTORS if f.name == "weeks")
    runs = frames(sc, n, seed=41)
    old = run_old(
        src,
        """
        from backstride.analysis.factors import Factor, analyze_factors
        f = Factor("weeks", "per 4 weeks", "continuous", 4.0)
        result = [analyze_factors(r, [f]).univariable[0].p_value for r in payload]
        """,
        runs,
    )
    now = [analyze_factors(r, [weeks]).univariable[0].p_value for r in runs]
    rate = lambda ps: np.mean([p < 0.05 for p in ps if p is not None])  # noqa: E731
    print(
        f"  'weeks of training' rejects at p<0.05: before (midpoints) {rate(old):.1%}, "
        f"after (MI) {rate(now):.1%}"
    )


def logging(src: Path, n: int) -> None:
    from backstride.analysis.survival import pain_free_distance
    from backstride.simulate.field import FieldScenario, after_prompt, analysis_frame, simulate_field

    print("== Fault 3: selective logging (field generator, stationary runners)")
    sc = FieldScenario(
        stationary=True, press=(1.0, 1.0), confirm=(0.0, 0.0), stray_press=0.0, answer=(1.0, 1.0)
    )
    field = simulate_field(sc, n, seed=12)
    rows = []
    for r, g in field.runs.groupby("runner"):
        everything = g.assign(report=np.where(g["event"], "lap", "none"))
        everything["onset_m"] = np.where(g["event"], g["onset_true_m"], np.nan)
        everything["onset_low_m"] = everything["onset_high_m"] = everything["onset_m"]
        rng = np.random.default_rng(int(r))
        sparse = everything.copy()
        drop = ~g["event"].to_numpy() & (rng.random(len(g)) > 0.2)
        sparse.loc[drop, "report"] = "missing"
        res = {}
        for name, frame in (("all logged", everything), ("20% of pain-free logged", sparse)):
            pf = pain_free_distance(analysis_frame(frame, drafts=True), target_m=MILES_3, n_boot=20)
            res[name] = (pf.median_m, pf.p_target.value if pf.p_target else None)
        # the product now: drafts (here every lap press) wait for confirmation; the rest is offered
        drafts = g.assign(report=np.where(g["event"], "draft", np.where(drop, "missing", "none")))
        now = pain_free_distance(analysis_frame(after_prompt(drafts)), target_m=MILES_3, n_boot=20)
        res["after the prompts"] = (now.median_m, now.p_target.value if now.p_target else None)
        truth_p = float(field.true_survival(int(r), np.array([MILES_3]))[0])
        res["truth"] = (field.true_median_m(int(r)), truth_p)
        rows.append(res)
    for name in ("truth", "all logged", "20% of pain-free logged", "after the prompts"):
        med = np.nanmedian([x[name][0] if x[name][0] is not None else np.nan for x in rows])
        p3 = np.nanmedian([x[name][1] if x[name][1] is not None else np.nan for x in rows])
        print(f"  {name:28s} median of runners' medians {med:,.0f} m; chance of 3 mi pain-free {p3:.2f}")


def ties(n: int) -> None:
    from backstride.analysis.cox import fit_cox

    print("== Fault 4: ties (n = 80 runs, binary factor HR 2, onsets typed to 0.1 mi)")
    for shape, share in ((2.0, 0.4), (3.0, 0.5), (1.5, 0.3)):
        diffs, efron, breslow = [], [], []
        for seed in range(n):
            rng = np.random.default_rng(seed)
            a = (rng.random(80) < share).astype(float)
            onset = rng.weibull(shape, 80) * 3000 * np.exp(-math.log(2.0) * a / shape)
            onset = np.maximum(np.round(onset / 160.9344), 1) * 160.9344
            length = rng.uniform(2000, 6000, 80)
            t, e = np.minimum(onset, length), (onset < length).astype(float)
            try:
                ef = fit_cox(t, e, a[:, None]).coef[0]
                br = fit_cox(t, e, a[:, None], ties="breslow").coef[0]
            except Exception:
                continue
            efron.append(ef)
            breslow.append(br)
            diffs.append(ef - br)
        print(
            f"  Weibull shape {shape}, {share:.0%} with the factor: mean log HR Efron {np.mean(efron):.3f}, "
            f"Breslow {np.mean(breslow):.3f} (truth {math.log(2):.3f}); attenuation {np.mean(diffs):.3f} "
            f"on average, {np.percentile(diffs, 90):.3f} at the 90th percentile"
        )


def trend(src: Path) -> None:
    from backstride.analysis.trend import period_trend
    from backstride.simulate.field import FieldScenario

    print("== Fault 5: the trend when most recent runs are pain-free")
    sc = FieldScenario(
        weeks=40,
        log_hr={"weeks": -0.15},
        scale_median_m=4000.0,
        logged_pain_free=(1.0, 1.0),
        answer=(1.0, 1.0),
    )
    runs = frames(sc, 1, seed=5)[0]
    old = run_old(
        src,
        """
        from backstride.analysis.findings import _trend
        t = _trend(payload)
        result = (t.sentence, len(t.windows), sum(w.median_m is None for w in t.windows))
        """,
        runs,
    )
    now = period_trend(runs, target_m=MILES_3)
    dropped = f"{old[2]} of {old[1]} windows without a median: dropped from the chart"  # type: ignore[index]
    print(f"  before: {old[0]}  ({dropped})")
    beyond = sum(w.beyond for w in now.windows)
    print(f"  after: {now.sentence}  ({beyond} of {len(now.windows)} windows drawn 'beyond')")


def terrain(src: Path, n: int) -> None:
    from backstride.analysis.terrain_runs import terrain_of_runs
    from backstride.simulate.field import FieldScenario, after_prompt, analysis_frame, simulate_field

    print("== Fault 10 (and 2): terrain, short pitches, onsets 3x as likely per km on steep descents")
    sc = FieldScenario(terrain=True, descent_log_rr=math.log(3.0), weeks=30, run_frailty_var=0.0)
    field = simulate_field(sc, n, seed=3)
    payload, now = [], []
    for _, g in field.runs.groupby("runner"):
        answered = after_prompt(g)
        kept = answered[(answered["report"] != "missing") & (answered["report"] != "draft")]
        runs = analysis_frame(answered)
        runs["activity_id"] = np.arange(len(runs))
        streams = {i: field.streams(int(row)) for i, row in enumerate(kept.index)}
        payload.append((runs, streams))
        result = terrain_of_runs(runs, streams)
        term = next((t for t in result.terms if t.name == "steep_descent"), None) if result else None
        if term is not None and term.rate_ratio:
            now.append((math.log(term.rate_ratio), term.ci_low, term.ci_high))
    old = run_old(
        src,
        """
        import math
        from backstride.analysis.terrain import analyze_terrain, segment_runs
        result = []
        for runs, streams in payload:
            use = runs[(runs["pain_status"] == "none") | runs["onset_m"].notna()]
            seg = segment_runs([streams[int(i)] for i in use["activity_id"]],
                               [None if math.isnan(o) else o for o in use["onset_m"]])
            t = next((t for t in analyze_terrain(seg).terms if t.name == "steep_descent"), None)
            if t is not None and t.rate_ratio:
                result.append((math.log(t.rate_ratio), t.ci_low, t.ci_high))
        """,
        payload,
    )
    for name, est in (("before (look-ahead, lap-only runs dropped)", old), ("after", now)):
        e = np.array(est)
        se = (np.log(e[:, 2]) - np.log(e[:, 1])) / 3.92
        w = 1 / se**2
        pooled = (w * e[:, 0]).sum() / w.sum()
        cover = np.mean((e[:, 1] <= 3) & (e[:, 2] >= 3))
        print(
            f"  {name}: pooled rate ratio {math.exp(pooled):.2f} (truth 3), "
            f"CIs cover 3 in {cover:.0%} of {len(e)}"
        )


def size(n: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.simulate.checks import collect
    from tests.simulate.test_field_validation import NULL

    from backstride.analysis.features import MODEL_FACTORS
    from backstride.simulate import RUN_COVARIATES, simulate_runner, validation_scenario

    print(f"== Size per factor (no true effect, {n} runners per generator; Holm-adjusted p of 'size > 5%')")
    primary = [f for f in MODEL_FACTORS if f.name in RUN_COVARIATES]
    sc = validation_scenario(null=True)
    res = collect((simulate_runner(sc, 10_000 + s).analysis_runs() for s in range(n)), primary)
    field_res = collect(frames(NULL, n, 1234), list(MODEL_FACTORS))
    for name, runs in (("primary simulator", res), ("field generator", field_res)):
        adj = runs.holm_adjusted()
        cells = ", ".join(
            f"{k} {r}/{m} = {rate:.1%} (Holm p {adj[k]:.2f})" for k, (r, m, rate) in runs.table().items()
        )
        print(f"  {name}: {cells}; any factor flagged by BH in {runs.flagged_runners / runs.runners:.1%}")


def coverage(n: int) -> None:
    from backstride.analysis.factors import analyze_factors
    from backstride.analysis.features import MODEL_FACTORS
    from backstride.analysis.survival import pain_free_distance
    from backstride.simulate import RUN_COVARIATES, simulate_runner, stationary_scenario, validation_scenario
    from backstride.simulate.field import FieldScenario, after_prompt, analysis_frame, simulate_field

    print("== Coverage of 95% intervals (two-sided checks: 0.90-0.98 for hazard ratios, 0.90-0.985 medians)")
    factors = [f for f in MODEL_FACTORS if f.name in RUN_COVARIATES]
    sc = validation_scenario()
    cov: dict[str, list[bool]] = {}
    for seed in range(n):
        for f in analyze_factors(simulate_runner(sc, seed).analysis_runs(), factors).primary:
            if f.status == "ok":
                true = sc.truth.hazard_ratio(f.name, f.per)
                cov.setdefault(f.name, []).append(f.ci_low <= true <= f.ci_high)
    covered = ", ".join(f"{k} {np.mean(v):.1%} of {len(v)}" for k, v in cov.items())
    print("  hazard ratios, primary: " + covered)
    st = stationary_scenario()
    med = []
    for seed in range(n):
        r = simulate_runner(st, 20_000 + seed)
        lo, hi = pain_free_distance(r.analysis_runs(), n_boot=100, seed=seed).ci_m
        t = r.true_median_m()
        med.append((lo is None or lo <= t) and (hi is None or t <= hi))
    field = simulate_field(FieldScenario(stationary=True, answer=(1.0, 1.0)), n, seed=21)
    fmed = []
    for r, g in field.runs.groupby("runner"):
        lo, hi = pain_free_distance(analysis_frame(after_prompt(g)), n_boot=100, seed=int(r)).ci_m
        t = field.true_median_m(int(r))
        fmed.append((lo is None or lo <= t) and (hi is None or t <= hi))
    print(f"  median pain-free distance: primary {np.mean(med):.1%}, field {np.mean(fmed):.1%} ({n} each)")


def experiments(n: int) -> None:
    from backstride.experiments.simulate import Setting, run_study

    print(f"== Experiments' verdict rule ({n} experiments each, 4 pairs of 7 days)")
    for outcomes in ("model", "field"):
        for ratio, seed in ((1.0, 404), (1.5, 505)):
            s, v = run_study(Setting(ratio=ratio, outcomes=outcomes), n, seed=seed)
            v = np.array(v)
            cover = np.mean((s.low <= math.log(ratio)) & (math.log(ratio) <= s.high))
            print(
                f"  {outcomes} generator, true ratio {ratio}: benefit {np.mean(v == 'benefit'):.1%}, "
                f"harm {np.mean(v == 'harm'):.1%}, credible interval covers {cover:.1%}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="9117233", help="the commit before the fixes")
    parser.add_argument("--runners", type=int, default=200)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    want = set(args.only) or {
        "spike", "unknown", "logging", "ties", "trend", "terrain", "size", "coverage", "experiments"
    }
    src = old_code(args.base)
    n = args.runners
    if "spike" in want:
        spike(src, n)
    if "unknown" in want:
        unknown(src, min(n, 100))
    if "logging" in want:
        logging(src, n)
    if "ties" in want:
        ties(2000)
    if "trend" in want:
        trend(src)
    if "terrain" in want:
        terrain(src, min(n, 24))
    if "size" in want:
        size(1000)
    if "coverage" in want:
        coverage(200)
    if "experiments" in want:
        experiments(600)


if __name__ == "__main__":
    main()
