"""Issue 12 item 8: the runner is the unit of the meta-analysis, and only finished experiments count,
at export (the bundle) and at query (the pool: flagged unfinished, or from a version 1 bundle)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from backstride.pool.bundle import Bundle, validate
from backstride.pool.meta import meta_analyses
from backstride.pool.queries import current_bundles, open_pool, remedy_outcomes
from backstride.pool.report import pool_report
from backstride.pool.store import Pool
from tests.pool.helpers import experiment, make_bundle
from tests.pool.test_meta import reference


def _pool(root: Path) -> tuple[Pool, pd.DataFrame]:
    """Ten runners with a finished experiment of foam rolling each (runners 0 and 1 with a second
    one); three of them also with a running one (wildly optimistic); an eleventh runner's version 1
    bundle (experiments of unknown status, wildly pessimistic). Returns the pool and the per-runner
    truth: each runner's finished experiments combined by inverse variance, written out here."""
    rng = np.random.default_rng(21)
    pool = Pool(root)
    rows = []
    for i in range(10):
        theta = rng.normal(0.2, 0.15)
        exps = []
        for _ in range(2 if i < 2 else 1):
            se = round(float(rng.uniform(0.08, 0.25)), 3)
            exps.append(experiment("foam_rolling", theta + rng.normal(0, se), se))
            rows.append({"runner": i, "effect": exps[-1]["effect"], "se": se})
        if i in (3, 5, 7):
            exps.append(experiment("foam_rolling", 2.5, 0.05, finished=False))
        pool.add(make_bundle(rng, experiments=exps))
    old = [experiment("foam_rolling", -2.5, 0.05, finished=None)]
    pool.add(make_bundle(rng, experiments=old, version=1))
    frame = pd.DataFrame(rows)
    frame["iv"] = 1 / frame["se"] ** 2
    frame["ivy"] = frame["effect"] * frame["iv"]
    per = frame.groupby("runner").agg(s=("iv", "sum"), sy=("ivy", "sum"))
    return pool, pd.DataFrame({"effect": per["sy"] / per["s"], "var": 1 / per["s"]})


def test_runners_are_the_units_and_only_finished_experiments_count(tmp_path: Path) -> None:
    pool, truth = _pool(tmp_path / "pool")
    (result,) = meta_analyses(open_pool(pool.root))
    ref = reference(truth["effect"].to_numpy(float), truth["var"].to_numpy(float))
    assert (result.k, result.runners, result.experiments) == (10, 10, 12)
    assert result.mu == pytest.approx(ref["mu"], abs=1e-9)
    assert result.mu_ci == pytest.approx((ref["ci_low"], ref["ci_high"]), abs=1e-9)
    assert result.tau == pytest.approx(ref["tau"], abs=1e-9)

    (entry,) = pool_report(open_pool(pool.root), fields=("all",))["remedies"]
    assert entry["runners"] == 10 and entry["experiments"] == 12 and entry["suppressed"] is False
    assert entry["units"] == "runners" and entry["ci_method"] == "HKSJ"
    assert entry["effect_ci"] == pytest.approx([np.exp(ref["ci_low"]), np.exp(ref["ci_high"])], rel=1e-9)


def test_runners_like_me_count_each_runner_once(tmp_path: Path) -> None:
    pool, truth = _pool(tmp_path / "pool")
    t = open_pool(pool.root)
    every = t.execute(current_bundles(t))["bundle"].astype("int64").tolist()
    (row,) = t.execute(remedy_outcomes(t, every)).itertuples(index=False)
    assert (row.runners, row.experiments, row.benefit) == (10, 12, 10)
    assert row.effect_sum == pytest.approx(truth["effect"].sum(), rel=1e-9)


def _strip_finished(root: Path) -> None:
    """Rewrite every experiments file as the code before bundle version 2 wrote it (no column)."""
    for path in (root / "experiments").glob("bucket=*/*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["finished"]), path)


def test_pool_files_from_before_version_2_are_read_and_their_experiments_left_out(tmp_path: Path) -> None:
    pool, _ = _pool(tmp_path / "old")
    _strip_finished(pool.root)
    assert meta_analyses(open_pool(pool.root)) == []  # nothing is known to be finished

    # a pool mixing old files with new ones: the new bundles' finished experiments count
    mixed = Pool(tmp_path / "mixed")
    rng = np.random.default_rng(3)
    for _ in range(4):
        mixed.add(make_bundle(rng, experiments=[experiment("foam_rolling", 0.3)]))
    _strip_finished(mixed.root)
    for _ in range(5):
        mixed.add(make_bundle(rng, experiments=[experiment("foam_rolling", 0.1)]))
    (result,) = meta_analyses(open_pool(mixed.root))
    assert result.k == 5 and result.mu == pytest.approx(0.1)


def test_version_1_bundles_still_read_with_their_hash(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    old = make_bundle(rng, experiments=[experiment("foam_rolling", 0.2, finished=None)], version=1)
    path = old.write(tmp_path / "old.json")
    again = Bundle.read(path)
    assert again.version == 1 and again.hash == old.hash and "finished" not in again.experiments[0]
    assert Pool(tmp_path / "pool").add(again)
    # a version 2 bundle must say whether each experiment finished; a version 1 bundle must not
    new = make_bundle(rng, experiments=[experiment("foam_rolling", 0.2, finished=None)]).content()
    assert any("fields must be exactly" in p for p in validate(new))
    bad_old = make_bundle(rng, experiments=[experiment("foam_rolling", 0.2)], version=1).content()
    assert any("fields must be exactly" in p for p in validate(bad_old))


def test_export_writes_finished_experiments_only(demo_db: Path, tmp_path: Path) -> None:
    from backstride.config import database_url
    from backstride.experiments.service import new_experiment
    from backstride.experiments.store import set_status
    from backstride.pool.export import build_bundle
    from backstride.store.activities import list_activities
    from backstride.store.engine import open_store
    from backstride.store.schema import LOCAL_USER_ID

    db = tmp_path / "store.sqlite"
    db.write_bytes(demo_db.read_bytes())
    engine = open_store(database_url(str(db)))
    try:
        with engine.begin() as conn:
            first = min(r["start_utc"] for r in list_activities(conn, LOCAL_USER_ID)).date()
            made = new_experiment(
                conn,
                LOCAL_USER_ID,
                "glutes",
                "glute",
                pairs=3,
                period_days=7,
                start=first,
                seed=1,
                today=first,
                power=False,
            ).experiment
            me = ("0" * 32, 1)
            running = build_bundle(conn, LOCAL_USER_ID, identity=me, as_of=made.end_date)
            done = build_bundle(conn, LOCAL_USER_ID, identity=me, as_of=made.end_date + timedelta(days=1))
            set_status(conn, LOCAL_USER_ID, made.id, "stopped")
            stopped = build_bundle(conn, LOCAL_USER_ID, identity=me, as_of=made.end_date + timedelta(days=1))
    finally:
        engine.dispose()
    assert running.experiments == [] and stopped.experiments == []
    (row,) = done.experiments
    assert row["finished"] is True and row["remedy"] == "glute_hip_strengthening" and row["se"] > 0
    assert validate(done.content()) == []
