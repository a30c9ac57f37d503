"""The pool folder: partitioned, append-only, idempotent; a newer bundle supersedes; server opt-in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import insert

from backstride.config import database_url
from backstride.pool.export import contribute_opted_in
from backstride.pool.queries import current_bundles, open_pool, runner_counts
from backstride.pool.store import Pool, bucket_of
from backstride.store.engine import open_store
from backstride.store.prefs import set_pref
from backstride.store.schema import LOCAL_USER_ID
from tests.pool.helpers import make_bundle


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_reimport_changes_nothing_and_layout_is_partitioned(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    bundles = [make_bundle(rng) for _ in range(3)]
    paths = [b.write(tmp_path / f"b{i}.json") for i, b in enumerate(bundles)]
    pool = Pool(tmp_path / "pool")
    assert [added for _, added in pool.import_files(paths)] == [True, True, True]
    before = {p: p.stat().st_mtime_ns for p in _files(pool.root)}
    assert [added for _, added in pool.import_files(paths)] == [False, False, False]
    assert {p: p.stat().st_mtime_ns for p in _files(pool.root)} == before
    for b in bundles:
        f = (
            pool.root
            / "runs"
            / f"bucket={bucket_of(b.contributor_id):02d}"
            / f"{b.contributor_id}-{b.hash[:16]}.parquet"
        )
        assert f.exists()
    t = open_pool(pool.root)
    counts = t.execute(runner_counts(t, ["sex"]))
    assert int(counts["runners"].sum()) == 3 and int(counts["runs"].sum()) == sum(b.n_runs for b in bundles)


def test_newer_bundle_supersedes_older(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    old = make_bundle(rng, n=30)
    new = make_bundle(rng, n=50, revision=2, contributor_id=old.contributor_id)
    pool = Pool(tmp_path / "pool")
    pool.add(new)
    pool.add(old)  # imported later, but an older revision
    t = open_pool(pool.root)
    current = t.execute(current_bundles(t))
    assert len(current) == 1
    counts = t.execute(runner_counts(t, ["sex"]))
    assert int(counts["runners"].sum()) == 1 and int(counts["runs"].sum()) == 50
    assert len(list((pool.root / "runs").rglob("*.parquet"))) == 2, "append-only: the old file stays"


def test_server_contributes_only_opted_in_runners(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite"
    db.write_bytes(demo_db.read_bytes())
    engine = open_store(database_url(str(db)))
    try:
        from datetime import UTC, datetime

        from backstride.store.schema import users

        with engine.begin() as conn:
            conn.execute(insert(users).values(id=2, username="other", created_at=datetime.now(UTC)))
        pool_dir = tmp_path / "pool"
        assert contribute_opted_in(engine, pool_dir) == []
        with engine.begin() as conn:
            set_pref(conn, LOCAL_USER_ID, "pool_opt_in", "true")
        added = contribute_opted_in(engine, pool_dir)
        assert len(added) == 1
        assert contribute_opted_in(engine, pool_dir) == [], "unchanged data adds nothing"
        t = open_pool(pool_dir)
        assert len(t.execute(current_bundles(t))) == 1
    finally:
        engine.dispose()
