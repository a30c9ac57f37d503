"""The same Ibis expressions on DuckDB and on Spark (local mode) give the same results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from backstride.pool import queries as q
from backstride.pool.cohort import CohortSummary
from backstride.pool.report import pool_report

#: One worker runs every Spark test, so `pytest -n 2 --dist loadgroup` starts one Spark session.
pytestmark = pytest.mark.xdist_group("spark")


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], exact: bool = True) -> None:
    a = a.sort_values(keys).reset_index(drop=True)
    b = b[list(a.columns)].sort_values(keys).reset_index(drop=True)
    assert len(a) == len(b) and len(a) > 0
    for col in a.columns:
        if exact or not np.issubdtype(a[col].dtype, np.floating):
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col
        else:
            np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, err_msg=col)


@pytest.fixture(scope="module")
def both(small_cohort: tuple[Path, CohortSummary], spark: Any) -> tuple[q.PoolTables, q.PoolTables]:
    root, _ = small_cohort
    return q.open_pool(root), q.open_pool(root, "pyspark", spark)


def test_counts_are_identical(both: tuple[q.PoolTables, q.PoolTables]) -> None:
    duck, sp = both
    by = ["lifts", "sex"]
    _same(
        duck.execute(q.lifetable_cells(duck, 250, 200, by)),
        sp.execute(q.lifetable_cells(sp, 250, 200, by)),
        [*by, "bin"],
    )
    _same(duck.execute(q.runner_counts(duck, by)), sp.execute(q.runner_counts(sp, by)), by)
    _same(
        duck.execute(q.runner_cells(duck, 250, 200)),
        sp.execute(q.runner_cells(sp, 250, 200)),
        ["bundle", "bin"],
    )
    _same(duck.execute(q.current_bundles(duck)), sp.execute(q.current_bundles(sp)), ["bundle"])
    cols = [
        "bundle",
        "n",
        "n_pain",
        "onset_sum",
        "n_hilly",
        "pain_hilly",
        "n_lift",
        "pain_lift",
        "contributor_id",
    ]
    _same(
        duck.execute(q.contributor_patterns(duck))[cols],
        sp.execute(q.contributor_patterns(sp))[cols],
        ["bundle"],
    )
    chosen = duck.execute(q.current_bundles(duck))["bundle"].head(40).tolist()
    _same(
        duck.execute(q.remedy_outcomes(duck, chosen)),
        sp.execute(q.remedy_outcomes(sp, chosen)),
        ["remedy"],
        exact=False,
    )


def test_the_whole_report_agrees(both: tuple[q.PoolTables, q.PoolTables]) -> None:
    duck, sp = both
    a = pool_report(duck, fields=("all", "lifts"))
    b = pool_report(sp, fields=("all", "lifts"))
    assert a["runners"] == b["runners"] == 300
    assert a["groups"] == b["groups"]
    assert [r["remedy"] for r in a["remedies"]] == [r["remedy"] for r in b["remedies"]]
    for x, y in zip(a["remedies"], b["remedies"], strict=True):
        assert x["runners"] == y["runners"]
        assert x["effect"] == pytest.approx(y["effect"], rel=1e-9)
        assert x["tau"] == pytest.approx(y["tau"], rel=1e-9, abs=1e-12)


def test_experiment_files_from_before_version_2_on_both_backends(tmp_path: Path, spark: Any) -> None:
    """Experiments files without the ``finished`` column (written before bundle version 2) beside
    new ones: both backends read them (as not known to be finished) and agree."""
    from backstride.pool.meta import meta_analyses
    from backstride.pool.store import Pool
    from tests.pool.helpers import experiment, make_bundle
    from tests.pool.test_meta_units import _strip_finished

    pool = Pool(tmp_path / "pool")
    rng = np.random.default_rng(3)
    for _ in range(4):
        pool.add(make_bundle(rng, experiments=[experiment("foam_rolling", 0.3)]))
    _strip_finished(pool.root)
    for i in range(6):
        pool.add(make_bundle(rng, experiments=[experiment("foam_rolling", 0.1 + 0.02 * i, 0.1 + 0.01 * i)]))
    (a,) = meta_analyses(q.open_pool(pool.root))
    (b,) = meta_analyses(q.open_pool(pool.root, "pyspark", spark))
    assert a.k == b.k == 6
    assert a.mu == pytest.approx(b.mu, rel=1e-12) and a.mu_ci == pytest.approx(b.mu_ci, rel=1e-12)
