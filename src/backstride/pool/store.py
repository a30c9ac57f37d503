"""The pool: a Parquet dataset of bundles, append-only, partitioned, idempotent.

Layout under the pool folder (one sub-dataset per table, Hive-style partitions by a hash bucket of the
contributor id, one file per bundle and table)::

    bundles/bucket=07/<contributor>-<hash16>.parquet      one row: the bundle's manifest
    profiles/bucket=07/<contributor>-<hash16>.parquet     one row: the profile bands
    runs/bucket=07/<contributor>-<hash16>.parquet         one row per run
    remedies/...  experiments/...

The experiments table gained ``finished`` with bundle version 2, the runs table ``onset_low_m`` and
``onset_high_m`` with version 3: files written before lack them, and the queries read them by name
(:func:`backstride.pool.queries.open_pool`).

Files are never changed or deleted. Adding a bundle that is already there (same contributor, same
hash) changes nothing. A newer bundle of the same contributor (higher ``revision``; on a tie, imported
later) supersedes the older one in every query (:func:`backstride.pool.queries.current_bundles`).
The manifest file is written last, after the data files, and each file is written to a temporary name
and renamed, so a reader never sees half a bundle. Rows refer to their bundle by ``bundle``: the
first 60 bits of its hash as an integer (a cheap join key at tens of millions of rows).

The cohort simulator (:mod:`backstride.pool.cohort`) writes the same layout in bulk.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from backstride.pool.bundle import Bundle
from backstride.pool.schema import PROFILE_FIELDS

BUCKETS = 16
TABLES = ("bundles", "profiles", "runs", "remedies", "experiments")

_KEY = [pa.field("bundle", pa.int64(), nullable=False)]
SCHEMAS: dict[str, pa.Schema] = {
    "bundles": pa.schema(
        [
            *_KEY,
            pa.field("contributor_id", pa.string(), nullable=False),
            pa.field("bundle_hash", pa.string(), nullable=False),
            pa.field("revision", pa.int32(), nullable=False),
            pa.field("imported_seq", pa.int64(), nullable=False),
            pa.field("n_runs", pa.int32(), nullable=False),
        ]
    ),
    "profiles": pa.schema([*_KEY, *(pa.field(n, pa.string(), nullable=False) for n in PROFILE_FIELDS)]),
    "runs": pa.schema(
        [
            *_KEY,
            pa.field("week", pa.int32()),
            pa.field("distance_m", pa.int32()),
            pa.field("pain", pa.bool_()),
            pa.field("onset_m", pa.int32()),
            pa.field("onset_low_m", pa.int32()),
            pa.field("onset_high_m", pa.int32()),
            pa.field("severity", pa.int32()),
            pa.field("descent_share", pa.float64()),
            pa.field("lift_48h", pa.bool_()),
            pa.field("spike", pa.float64()),
            pa.field("surface", pa.string()),
        ]
    ),
    "remedies": pa.schema(
        [
            *_KEY,
            pa.field("remedy", pa.string()),
            pa.field("weeks", pa.int32()),
            pa.field("adherence", pa.float64()),
        ]
    ),
    "experiments": pa.schema(
        [
            *_KEY,
            pa.field("remedy", pa.string()),
            pa.field("design", pa.string()),
            pa.field("outcome", pa.string()),
            pa.field("pairs", pa.int32()),
            pa.field("period_days", pa.int32()),
            pa.field("effect", pa.float64()),
            pa.field("se", pa.float64()),
            pa.field("verdict", pa.string()),
            pa.field("finished", pa.bool_()),
        ]
    ),
}


def bundle_key(bundle_hash: str) -> int:
    """The integer join key of a bundle: the first 15 hex digits of its hash (60 bits)."""
    return int(bundle_hash[:15], 16)


def bucket_of(contributor_id: str) -> int:
    """The partition of a contributor (0 to :data:`BUCKETS` - 1)."""
    return int(contributor_id[:8], 16) % BUCKETS


def write_table(path: Path, table: pa.Table) -> None:
    """Write ``table`` to ``path`` atomically (temporary name, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


class Pool:
    """A pool folder. ``add`` appends a bundle; the queries read the folder with Ibis."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _file(self, table: str, contributor_id: str, bundle_hash: str) -> Path:
        bucket = f"bucket={bucket_of(contributor_id):02d}"
        return self.root / table / bucket / f"{contributor_id}-{bundle_hash[:16]}.parquet"

    def has(self, contributor_id: str, bundle_hash: str) -> bool:
        """Whether this exact bundle is in the pool already."""
        return self._file("bundles", contributor_id, bundle_hash).exists()

    def add(self, bundle: Bundle) -> bool:
        """Append ``bundle``; False (and nothing written) when it is already in the pool."""
        digest, cid = bundle.hash, bundle.contributor_id
        if self.has(cid, digest):
            return False
        key = bundle_key(digest)
        tables = bundle_tables(bundle, key)
        for name in ("profiles", "runs", "remedies", "experiments"):
            write_table(self._file(name, cid, digest), tables[name])
        manifest = {
            "bundle": [key],
            "contributor_id": [cid],
            "bundle_hash": [digest],
            "revision": [bundle.revision],
            "imported_seq": [time.time_ns()],
            "n_runs": [bundle.n_runs],
        }
        write_table(self._file("bundles", cid, digest), pa.table(manifest, schema=SCHEMAS["bundles"]))
        return True

    def import_files(self, paths: Iterable[str | Path]) -> list[tuple[str, bool]]:
        """Read and validate each bundle file and add it: ``(path, added)`` per file."""
        out = []
        for path in paths:
            out.append((str(path), self.add(Bundle.read(path))))
        return out

    def is_empty(self) -> bool:
        return not any((self.root / "bundles").glob("bucket=*/*.parquet"))


def bundle_tables(bundle: Bundle, key: int) -> dict[str, pa.Table]:
    n = bundle.n_runs
    runs = {"bundle": [key] * n, **bundle.runs}
    profile = {"bundle": [key], **{k: [bundle.profile[k]] for k in PROFILE_FIELDS}}

    def rows(items: list[dict[str, object]], schema: pa.Schema) -> pa.Table:
        # .get: a version 1 bundle's experiments have no "finished" (null: not known to be finished)
        cols = {f.name: [r.get(f.name) for r in items] for f in schema if f.name != "bundle"}
        return pa.table({"bundle": [key] * len(items), **cols}, schema=schema)

    return {
        "profiles": pa.table(profile, schema=SCHEMAS["profiles"]),
        "runs": pa.table(runs, schema=SCHEMAS["runs"]),
        "remedies": rows(bundle.remedies, SCHEMAS["remedies"]),
        "experiments": rows(bundle.experiments, SCHEMAS["experiments"]),
    }


__all__ = [
    "BUCKETS",
    "SCHEMAS",
    "TABLES",
    "Pool",
    "bucket_of",
    "bundle_key",
    "bundle_tables",
    "write_table",
]
