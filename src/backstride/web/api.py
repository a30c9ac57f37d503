"""The JSON API under ``/api`` (OpenAPI at ``/openapi.json``). Each route calls the library."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backstride.errors import NotFoundError
from backstride.jsonready import json_ready
from backstride.log.pain import delete_pain, record_pain
from backstride.log.run_tags import get_context
from backstride.runview import run_detail, run_record
from backstride.store.run_list import RunFilter, runs_page
from backstride.web.analysis_view import analysis_view
from backstride.web.csrf import check_origin
from backstride.web.request_models import (
    MAX_ID,
    PainBody,
    day_end,
    day_start,
    optional_distance,
)
from backstride.web.state import State
from backstride.web.uploads import import_uploads
from backstride.web.viewer import Who, Writer, units_for


class ErrorOut(BaseModel):
    """Every refusal: what was wrong, in plain words."""

    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "not logged in (multi-user server)"},
    403: {"model": ErrorOut, "description": "read-only access, or a cross-site request"},
    404: {"model": ErrorOut, "description": "no such run (for this runner)"},
    422: {"model": ErrorOut, "description": "bad input: the message says what and why"},
}

router = APIRouter(prefix="/api", tags=["api"], dependencies=[Depends(check_origin)], responses=ERRORS)

RunId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="The run's id.")]


def _run_item(row: dict[str, Any]) -> dict[str, Any]:
    item = run_record(row)
    item["pain"] = (
        None
        if row.get("pain_status") is None
        else {
            "status": row["pain_status"],
            "onset_m": row["onset_m"],
            "severity": row["severity"],
            "confirmed": bool(row["confirmed"]),
        }
    )
    return item


@router.get("/me")
def me(who: Who) -> dict[str, Any]:
    """Who is asking, whose data they see, and whether they may change it."""
    return {
        "account_id": who.account_id,
        "username": who.username,
        "user_id": who.user_id,
        "read_only": who.read_only,
    }


@router.get("/runs", response_model=dict[str, Any])
def list_runs(
    who: Who,
    state: State,
    since: Annotated[date | None, Query(description="First day (UTC), inclusive.")] = None,
    until: Annotated[date | None, Query(description="Last day (UTC), inclusive.")] = None,
    pain: Annotated[Literal["pain", "none", "unknown", "draft"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> JSONResponse:
    """Runs, newest first, as ``backstride runs --json`` rows plus a short ``pain`` summary
    (``null`` = no report: unknown). SI units: metres, seconds, metres per second."""
    filters = RunFilter(since=day_start(since), until=day_end(until), pain=pain)
    with state.engine.connect() as conn:
        rows, total = runs_page(conn, who.user_id, filters, limit, offset)
    # Already JSON-ready: answered as is, without FastAPI's second walk through every value.
    body = json_ready(
        {"total": total, "limit": limit, "offset": offset, "runs": [_run_item(r) for r in rows]}
    )
    return JSONResponse(body)


@router.get("/runs/{run_id}")
def get_run(run_id: RunId, who: Who, state: State) -> dict[str, Any]:
    """One run as ``backstride show RUN --json``: laps, files, warnings, ``pain`` and ``context``."""
    with state.engine.connect() as conn:
        detail = run_detail(conn, who.user_id, run_id)
        detail["context"] = get_context(conn, who.user_id, run_id)
    return json_ready(detail)


@router.put("/runs/{run_id}/pain")
def put_pain(run_id: RunId, body: PainBody, who: Writer, state: State) -> dict[str, Any]:
    """Record (or replace) the run's pain report, validated as ``backstride pain`` validates it."""
    unit = units_for(state, who)
    with state.engine.begin() as conn:
        report = record_pain(
            conn,
            who.user_id,
            run_id,
            status=body.status,
            onset=body.onset,
            from_lap=body.from_lap,
            severity=body.severity,
            locations=body.locations,
            qualities=body.qualities,
            stages=body.stages,
            lasted_after=body.lasted_after,
            notes=body.notes,
            source="web",
            default_unit=unit,
        )
    return json_ready(report)


@router.delete("/runs/{run_id}/pain", status_code=204)
def remove_pain(run_id: RunId, who: Writer, state: State) -> Response:
    """Remove the run's pain report (the run becomes unknown again)."""
    with state.engine.begin() as conn:
        if not delete_pain(conn, who.user_id, run_id):
            raise NotFoundError(f"run {run_id} has no pain report")
    return Response(status_code=204)


@router.post(
    "/imports",
    responses={
        200: {"description": "every file was read: the per-file summary"},
        422: {"description": "a file could not be read (the summary says which and why), or no files"},
    },
)
async def post_imports(
    request: Request,
    who: Writer,
    state: State,
    files: Annotated[list[UploadFile], File(description="FIT, GPX, TCX (also .gz) or a Strava export zip")],
) -> JSONResponse:
    """Import uploaded files like ``backstride import --json``; 422 when any file failed."""
    summary = await import_uploads(state, who.user_id, files)
    counts: dict[str, int] = summary["counts"]
    status = 422 if counts["failed"] else 200
    return JSONResponse(json_ready(summary), status_code=status)


@router.get("/analysis")
def analysis(
    who: Who,
    state: State,
    target: Annotated[
        str | None, Query(max_length=20, description="Target distance: 3mi, 5km (default 3 mi or 5 km).")
    ] = None,
) -> dict[str, Any]:
    """The findings as ``backstride analyze --json`` gives them (``findings``; ``null`` with a
    ``reason`` when they cannot be computed), and ``overview``: the pain-free distance of the last 8
    weeks against the 8 weeks that ended 4 weeks ago, with the rolling trend. ``status`` is ``ok``,
    ``not enough data`` or ``not available``. Metres; a median is ``null`` when not reached."""
    unit = units_for(state, who)
    target_m = optional_distance(target, unit)
    return json_ready(analysis_view(state.engine, who.user_id, state.overviews, unit, target_m).to_dict())
