"""Upload, analysis (findings and the report), settings (units, lap button, export, delete)."""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.responses import Response

from backstride.errors import ValidationError
from backstride.log.archive import delete_all, export
from backstride.store.prefs import PREFERENCES, get_pref, set_pref
from backstride.units import default_target_m
from backstride.web.analysis_view import analysis_view
from backstride.web.csrf import check_csrf
from backstride.web.state import State, run_slow
from backstride.web.templating import render
from backstride.web.uploads import import_uploads
from backstride.web.viewer import Who, Writer, units_for

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)

DELETE_WORD = "delete"


@router.get("/upload")
def upload_page(request: Request, who: Writer) -> Response:
    return render(request, who, "upload.html", {"summary": None})


@router.post("/upload")
async def upload_form(
    request: Request, who: Writer, state: State, files: Annotated[list[UploadFile], File()]
) -> Response:
    """The same import as ``POST /api/imports``, for browsers without JavaScript."""
    summary = await import_uploads(state, who.user_id, files)
    failed = summary["counts"]["failed"]
    return render(request, who, "upload.html", {"summary": summary}, status=422 if failed else 200)


@router.get("/analysis")
def analysis_page(request: Request, who: Who, state: State) -> Response:
    view = analysis_view(state.engine, who.user_id, state.overviews, units_for(state, who))
    return render(request, who, "analysis.html", {"view": view, "f": view.findings})


@router.get("/analysis/report")
def report_download(who: Who, state: State) -> Response:
    """The self-contained HTML report of :mod:`backstride.report`, as a download."""
    from backstride.report import render_report

    unit = units_for(state, who)
    html = render_report(
        state.engine,
        who.user_id,
        unit=unit,
        target_m=default_target_m(unit),
        pool_dir=state.settings.pool_dir,
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    return HTMLResponse(
        html, headers={"Content-Disposition": f'attachment; filename="backstride-report-{stamp}.html"'}
    )


@router.get("/settings")
def settings_page(request: Request, who: Who, state: State, saved: str | None = None) -> Response:
    with state.engine.connect() as conn:
        prefs = {name: get_pref(conn, who.user_id, name) for name in PREFERENCES}
    return render(
        request,
        who,
        "settings.html",
        {
            "prefs": prefs,
            "preferences": PREFERENCES,
            "saved": saved == "1",
            "forced_units": state.settings.units,
            "delete_word": DELETE_WORD,
            "deleted": request.query_params.get("deleted"),
        },
    )


@router.post("/settings")
def save_settings(
    who: Writer,
    state: State,
    units: Annotated[str, Form(max_length=5)],
    lap_is_pain: Annotated[str | None, Form(max_length=5)] = None,
) -> Response:
    with state.engine.begin() as conn:
        set_pref(conn, who.user_id, "units", units)
        set_pref(conn, who.user_id, "lap_is_pain", "true" if lap_is_pain == "true" else "false")
    return RedirectResponse("/settings?saved=1", status_code=303)


def _export_zip(state: Any, user_id: int, streams: bool) -> bytes:
    folder = Path(tempfile.mkdtemp(prefix="backstride-export-"))
    try:
        target = folder / "export"
        export(state.engine, target, user_id, streams=streams)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(target.rglob("*")):
                if path.is_file():
                    archive.write(path, str(Path("backstride-export") / path.relative_to(target)))
        return buffer.getvalue()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/settings/export")
async def export_download(
    who: Writer, state: State, streams: Annotated[str | None, Form(max_length=5)] = None
) -> Response:
    """Everything of the runner as a zip of the ``backstride export`` folder."""
    data = await run_slow(state, _export_zip, state, who.user_id, streams == "true")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    return StreamingResponse(
        iter([data]),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="backstride-export-{stamp}.zip"'},
    )


@router.post("/settings/delete")
def delete_everything(
    who: Writer, state: State, confirm: Annotated[str, Form(max_length=50)] = ""
) -> Response:
    """Delete all of the runner's data (the account stays); needs the word typed in."""
    if confirm.strip().lower() != DELETE_WORD:
        raise ValidationError(f"type {DELETE_WORD!r} to confirm deleting everything")
    summary = delete_all(state.engine, who.user_id)
    state.pool_reports.clear()
    state.overviews.clear()
    return RedirectResponse(f"/settings?deleted={summary.total}", status_code=303)
