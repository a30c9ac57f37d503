"""Property-based checks of the API against its own OpenAPI schema (schemathesis, in-process).

Bounded for CI: a few examples per operation, derandomised, no network. What must hold: no 5xx for
any generated input, and only documented status codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance
from sqlalchemy import Engine

from backstride.config import Settings
from backstride.ingest.files import import_paths
from backstride.web.app import create_app
from tests.web.conftest import lap_run


@pytest.fixture
def api_schema(sqlite_engine: Engine, tmp_path: Path) -> Any:
    import_paths(sqlite_engine, [str(lap_run())], workers=1)
    app = create_app(
        Settings(db_url=str(sqlite_engine.url), data_dir=tmp_path),
        engine=sqlite_engine,
        secret=b"test-secret",
        allowed_hosts=["testserver", "localhost", "127.0.0.1"],
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_api_never_answers_5xx(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {
        "GET /api/runs",
        "POST /api/imports",
        "PUT /api/runs/{run_id}/pain",
        "GET /api/analysis",
    } <= labels
    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error, status_code_conformance])
            calls.append(case.operation.label)

        check()
    assert set(calls) == labels  # every operation was exercised
