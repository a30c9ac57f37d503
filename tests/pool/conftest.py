"""Fixtures of the pool tests: a demo store, simulated cohorts written as pools, a shared Spark session.

Spark: one local session for the whole test session (starting one costs ~10 s). Without pyspark or
Java the Spark cases skip with a reason, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import gc
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backstride.pool.cohort import CohortSpec, CohortSummary, generate_cohort
from tests.conftest import missing


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled by ``backstride demo`` (6 weeks): real names, notes, devices, GPS streams."""
    from backstride.demo import run_demo

    out = tmp_path_factory.mktemp("pool_demo")
    return run_demo(out, weeks=6, report=False).db_path


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CohortSummary]:
    """300 runners, about 20 runs each: small enough for Spark in local mode."""
    root = tmp_path_factory.mktemp("pool_small") / "pool"
    return root, generate_cohort(root, CohortSpec(runners=300, mean_runs=20, seed=11, chunk=120))


@pytest.fixture(scope="session")
def validation_cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CohortSummary]:
    """2,000 runners, about 100 runs each (200k runs)."""
    root = tmp_path_factory.mktemp("pool_validation") / "pool"
    return root, generate_cohort(root, CohortSpec(runners=2000, mean_runs=100, seed=20250601, chunk=1000))


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[test]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (Spark needs Java 17)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local SparkSession shared by every Spark test of the session."""
    reason = _spark_missing()
    if reason:
        missing(reason)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("backstride-pool-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "1")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session.stop()
        gc.collect()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """py4j (Spark's bridge) leaves sockets to the garbage collector: in this folder that is not an
    error of the code under test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"))
