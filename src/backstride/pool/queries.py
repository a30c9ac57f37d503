"""The pooled queries, written once with Ibis: DuckDB on one machine, Spark (PySpark) on a cluster.

:func:`open_pool` binds the Parquet folders of a pool to a backend; every other function here takes
the bound :class:`PoolTables` and returns an Ibis expression, so the same code runs on both. The
expressions return integer counts wherever they can (life-table cells, per-contributor pain
patterns), so both backends give identical numbers; the meta-analysis sums are floating point and
agree to rounding.

Only the current bundle of each contributor counts (:func:`current_bundles`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from backstride.pool.schema import PROFILE_FIELDS
from backstride.pool.store import TABLES

#: Runs with at least this share of their distance on descents count as "hilly" for descent sensitivity.
DESCENT_SPLIT = 0.15


@dataclass
class PoolTables:
    """The pool's tables bound to one backend connection."""

    con: Any
    bundles: ir.Table
    profiles: ir.Table
    runs: ir.Table
    remedies: ir.Table
    experiments: ir.Table

    def execute(self, expr: ir.Expr) -> pd.DataFrame:
        out = self.con.execute(expr)
        return out if isinstance(out, pd.DataFrame) else pd.DataFrame(out)


def open_pool(root: str | Path, backend: str = "duckdb", spark: Any = None) -> PoolTables:
    """Bind the pool at ``root`` to ``backend``: ``duckdb`` (in-process) or ``pyspark`` (``spark``: a
    SparkSession, e.g. one connected to a cluster; a path there may be ``s3a://`` or ``hdfs://``)."""
    root_s = str(root).rstrip("/")
    if backend == "duckdb":
        con = ibis.duckdb.connect()
        # files from before bundle version 2 lack "finished", from before version 3 the onset bounds
        # (union by name: null there)
        tables = {
            name: con.read_parquet(
                f"{root_s}/{name}/*/*.parquet",
                table_name=f"pool_{name}",
                hive_partitioning=False,
                **({"union_by_name": True} if name in ("experiments", "runs") else {}),
            )
            for name in TABLES
        }
    elif backend == "pyspark":
        if spark is None:
            raise ValueError("the pyspark backend needs a SparkSession")
        con = ibis.pyspark.connect(spark)
        tables = {
            name: con.read_parquet(
                f"{root_s}/{name}",
                table_name=f"pool_{name}",
                **({"mergeSchema": "true"} if name in ("experiments", "runs") else {}),
            )
            for name in TABLES
        }
    else:
        raise ValueError(f"unknown backend {backend!r} (duckdb or pyspark)")
    if "finished" not in tables["experiments"].columns:  # a pool written before bundle version 2
        tables["experiments"] = tables["experiments"].mutate(finished=ibis.null().cast("boolean"))
    runs = tables["runs"]
    if "onset_low_m" not in runs.columns:  # a pool written before bundle version 3: exact onsets only
        tables["runs"] = runs.mutate(onset_low_m=runs.onset_m, onset_high_m=runs.onset_m)
    return PoolTables(con=con, **tables)


def current_bundles(t: PoolTables) -> ir.Table:
    """``bundle``, ``contributor_id``: each contributor's latest bundle (highest revision, then the
    latest import)."""
    b = t.bundles
    w = ibis.window(group_by=b.contributor_id, order_by=[b.revision.desc(), b.imported_seq.desc()])
    ranked = b.mutate(rank=ibis.row_number().over(w))
    return ranked.filter(ranked["rank"] == 0).select("bundle", "contributor_id")


def current_profiles(t: PoolTables) -> ir.Table:
    """``bundle``, ``contributor_id`` and the profile bands of every current bundle."""
    return current_bundles(t).join(t.profiles, "bundle").select("bundle", "contributor_id", *PROFILE_FIELDS)


def _run_time(runs: ir.Table) -> ir.IntegerValue:
    """Metres to the onset, or the run's length when pain-free (censored). An onset known only to an
    interval (``onset_m`` null, kept as ``onset_low_m``-``onset_high_m`` in the bundle) enters this
    binned life table at the interval's middle, to the 10 m grid: an approximation of the life table,
    not of the data, which keep the interval."""
    middle = ((runs.onset_low_m + runs.onset_high_m) / 20).round().cast("int64") * 10
    return runs.pain.ifelse(runs.onset_m.coalesce(middle), runs.distance_m)


def lifetable_cells(t: PoolTables, bin_m: int, max_bin: int, by: Sequence[str] = PROFILE_FIELDS) -> ir.Table:
    """Per profile cell (``by``) and distance bin ``[bin*bin_m, (bin+1)*bin_m)`` (the last bin is open):
    ``events`` (onsets) and ``exits`` (runs whose onset or end fell in the bin). Integer counts."""
    runs = t.runs.join(current_profiles(t), "bundle")
    time_m = _run_time(runs)
    binned = runs.mutate(
        bin=ibis.least((time_m / bin_m).floor().cast("int64"), max_bin),
        event=runs.pain.cast("int64"),
    )
    return binned.group_by([*by, "bin"]).aggregate(events=binned.event.sum(), exits=binned.count())


def runner_cells(t: PoolTables, bin_m: int, max_bin: int) -> ir.Table:
    """Per current bundle (one runner) and distance bin (as in :func:`lifetable_cells`): ``events``
    and ``exits``. Integer counts; the input of the runner-level intervals and the runner-weighted
    curve (:func:`backstride.pool.lifetable.pooled_life_table`)."""
    runs = t.runs.join(current_bundles(t), "bundle")
    time_m = _run_time(runs)
    binned = runs.mutate(
        bin=ibis.least((time_m / bin_m).floor().cast("int64"), max_bin),
        event=runs.pain.cast("int64"),
    )
    return binned.group_by(["bundle", "bin"]).aggregate(events=binned.event.sum(), exits=binned.count())


def runner_counts(t: PoolTables, by: Sequence[str] = PROFILE_FIELDS) -> ir.Table:
    """Per profile cell: ``runners`` (contributors with at least one run) and ``runs``."""
    per = t.runs.group_by("bundle").aggregate(n=t.runs.count())
    joined = per.join(current_profiles(t), "bundle")
    return joined.group_by(list(by)).aggregate(runners=joined.count(), runs=joined.n.sum())


def finished_experiments(t: PoolTables, outcome: str = "onset") -> ir.Table:
    """The current bundles' experiments for ``outcome`` that had finished when exported (a bundle of
    version 1 does not say, and exported running experiments too: its experiments do not count)."""
    e = t.experiments
    return e.filter((e.outcome == outcome) & (e.finished == True))  # noqa: E712 (an Ibis expression)


def experiment_rows(t: PoolTables, outcome: str = "onset") -> ir.Table:
    """Current finished experiments with an estimate for ``outcome``: ``bundle``, ``contributor_id``,
    profile bands, ``remedy``, ``effect`` (log ratio for onset), ``var`` (se squared), ``verdict``."""
    e = finished_experiments(t, outcome)
    e = e.filter(e.se > 0)
    joined = e.join(current_profiles(t), "bundle")
    return joined.select(
        "bundle",
        "contributor_id",
        *PROFILE_FIELDS,
        "remedy",
        "effect",
        var=joined.se * joined.se,
        verdict=joined.verdict,
    )


def runner_effects(rows: ir.Table) -> ir.Table:
    """One estimate per runner and remedy from :func:`experiment_rows`: a runner's experiments of one
    remedy share that runner's true effect, so they combine by inverse variance (``effect`` = sum
    (y/v) / sum (1/v), ``var`` = 1 / sum (1/v)); ``experiments`` counts them. Columns ``remedy``,
    ``bundle``, ``contributor_id``, ``effect``, ``var``, ``experiments``."""
    m = rows.mutate(iv=1.0 / rows["var"], ivy=rows.effect / rows["var"])
    g = m.group_by(["remedy", "bundle", "contributor_id"]).aggregate(
        s=m.iv.sum(), sy=m.ivy.sum(), experiments=m.count()
    )
    return g.select(
        "remedy", "bundle", "contributor_id", effect=g.sy / g.s, var=1.0 / g.s, experiments=g.experiments
    )


def q_profile_sums(rows: ir.Table, tau2_grid: Sequence[float]) -> ir.Table:
    """Per remedy and candidate tau^2: ``k``, ``s1`` = sum w, ``sy`` = sum w*y, ``syy`` = sum w*y^2,
    ``s2`` = sum w^2, with w = 1 / (var + tau^2). Cochran's Q(tau^2) = syy - sy^2 / s1."""
    grid = ibis.memtable(pd.DataFrame({"tau2": [float(x) for x in tau2_grid]}))
    crossed = rows.cross_join(grid)
    w = 1.0 / (crossed["var"] + crossed.tau2)
    y = crossed.effect
    agg = crossed.mutate(w=w, wy=w * y, wyy=w * y * y, ww=w * w)
    return agg.group_by(["remedy", "tau2"]).aggregate(
        k=agg.count(), s1=agg.w.sum(), sy=agg.wy.sum(), syy=agg.wyy.sum(), s2=agg.ww.sum()
    )


def random_effects_sums(rows: ir.Table, tau2: pd.DataFrame) -> ir.Table:
    """Per remedy, with its tau^2 (``tau2``: columns remedy, tau2), over the rows of
    :func:`runner_effects`: ``k``, ``runners``, ``experiments``, ``s1`` = sum w, ``sy`` = sum w*y,
    ``syy`` = sum w*y^2 (w = 1 / (var + tau^2); the Hartung-Knapp variance needs syy)."""
    joined = rows.join(ibis.memtable(tau2), "remedy")
    w = 1.0 / (joined["var"] + joined.tau2)
    agg = joined.mutate(w=w, wy=w * joined.effect, wyy=w * joined.effect * joined.effect)
    return agg.group_by("remedy").aggregate(
        k=agg.count(),
        runners=agg.contributor_id.nunique(),
        experiments=agg.experiments.sum(),
        s1=agg.w.sum(),
        sy=agg.wy.sum(),
        syy=agg.wyy.sum(),
    )


def contributor_patterns(t: PoolTables, runs: ir.Table | None = None) -> ir.Table:
    """Per current bundle: integer counts describing its pain pattern.

    ``n``, ``n_pain``, ``onset_sum`` (metres, pain runs), ``n_hilly``/``pain_hilly`` (runs with
    descent share >= :data:`DESCENT_SPLIT`), ``n_flat``/``pain_flat``, ``n_lift``/``pain_lift``
    (back-loading lifting in the previous 48 h) and ``n_nolift``/``pain_nolift``. ``runs`` defaults
    to the pool's runs; pass another table of the same columns (one runner's) to describe it the
    same way."""
    r = t.runs if runs is None else runs
    pain = r.pain.cast("int64")
    hilly = (r.descent_share >= DESCENT_SPLIT).fill_null(False).cast("int64")
    flat = (r.descent_share < DESCENT_SPLIT).fill_null(False).cast("int64")
    lift = (r.lift_48h == True).fill_null(False).cast("int64")  # noqa: E712 (an Ibis expression)
    nolift = (r.lift_48h == False).fill_null(False).cast("int64")  # noqa: E712
    m = r.mutate(
        p=pain,
        on=r.pain.ifelse(r.onset_m.coalesce(((r.onset_low_m + r.onset_high_m) / 20).round() * 10), 0).cast(
            "int64"
        ),
        h=hilly,
        hp=hilly * pain,
        f=flat,
        fp=flat * pain,
        li=lift,
        lp=lift * pain,
        nl=nolift,
        np_=nolift * pain,
    )
    out = m.group_by("bundle").aggregate(
        n=m.count(),
        n_pain=m.p.sum(),
        onset_sum=m.on.sum(),
        n_hilly=m.h.sum(),
        pain_hilly=m.hp.sum(),
        n_flat=m.f.sum(),
        pain_flat=m.fp.sum(),
        n_lift=m.li.sum(),
        pain_lift=m.lp.sum(),
        n_nolift=m.nl.sum(),
        pain_nolift=m.np_.sum(),
    )
    if runs is not None:
        return out
    return out.join(current_profiles(t), "bundle")


def remedy_outcomes(t: PoolTables, bundles: Sequence[int], outcome: str = "onset") -> ir.Table:
    """What worked for the given bundles, from their finished experiments, one runner counted once:
    per remedy, ``runners`` who tried it, ``experiments``, ``benefit``/``harm``/``no_difference``
    (runners with at least one such verdict) and ``effect_sum`` (the sum over runners of each
    runner's inverse-variance combined effect, for the mean over runners)."""
    chosen = ibis.memtable(pd.DataFrame({"bundle": pd.Series(list(bundles), dtype="int64")}))
    e = finished_experiments(t, outcome).join(chosen, "bundle")
    e = e.filter(e.se > 0)
    v = e.se * e.se
    m = e.mutate(
        b=(e.verdict == "benefit").cast("int64"),
        h=(e.verdict == "harm").cast("int64"),
        z=(e.verdict == "no meaningful difference").cast("int64"),
        iv=1.0 / v,
        ivy=e.effect / v,
    )
    per = m.group_by(["remedy", "bundle"]).aggregate(
        n=m.count(), b=m.b.max(), h=m.h.max(), z=m.z.max(), s=m.iv.sum(), sy=m.ivy.sum()
    )
    per = per.mutate(y=per.sy / per.s)
    return per.group_by("remedy").aggregate(
        runners=per.count(),
        experiments=per.n.sum(),
        benefit=per.b.sum(),
        harm=per.h.sum(),
        no_difference=per.z.sum(),
        effect_sum=per.y.sum(),
    )


__all__ = [
    "DESCENT_SPLIT",
    "PoolTables",
    "contributor_patterns",
    "current_bundles",
    "current_profiles",
    "experiment_rows",
    "finished_experiments",
    "lifetable_cells",
    "open_pool",
    "q_profile_sums",
    "random_effects_sums",
    "remedy_outcomes",
    "runner_cells",
    "runner_counts",
    "runner_effects",
]
