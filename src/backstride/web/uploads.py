"""Uploaded files (``POST /api/imports`` and the ``/upload`` form): saved to a temporary folder,
imported like ``backstride import``, the folder removed. Both routes call :func:`import_uploads`."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from backstride.errors import ValidationError
from backstride.ingest.files import import_paths
from backstride.log.pain import onset_from_first_lap_hook
from backstride.web.guard import MAX_UPLOAD_BYTES
from backstride.web.request_models import safe_filename
from backstride.web.state import WebState, run_slow


async def _save(files: list[UploadFile], folder: Path) -> dict[str, str]:
    """Write each upload into ``folder``; the saved path -> the name the browser gave."""
    names: dict[str, str] = {}
    for i, upload in enumerate(files):
        target = folder / safe_filename(upload.filename, i)
        size = 0
        with target.open("wb") as out:
            while chunk := await upload.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise ValidationError(f"{upload.filename}: larger than {MAX_UPLOAD_BYTES // 1024**3} GB")
                out.write(chunk)
        names[str(target)] = (upload.filename or target.name).replace("\x00", "")[-200:]
    return names


def _import(state: WebState, user_id: int, folder: Path, names: dict[str, str]) -> dict[str, Any]:
    """Import saved uploads; file names in the summary are the uploaded names, not temp paths."""
    summary = import_paths(
        state.engine, list(names), user_id=user_id, workers=1, on_saved=onset_from_first_lap_hook
    ).as_dict()
    files: list[dict[str, Any]] = summary["files"]  # type: ignore[assignment]
    for entry in files:
        for temp, original in names.items():
            if entry["name"].startswith(temp):
                entry["name"] = original + entry["name"][len(temp) :]
                break
        else:
            entry["name"] = entry["name"].replace(str(folder) + "/", "")
    return summary


async def import_uploads(state: WebState, user_id: int, files: list[UploadFile]) -> dict[str, Any]:
    """Import the uploaded ``files`` for ``user_id`` (in a thread for long jobs): the per-file summary
    of ``backstride import --json``, with the names the browser gave."""
    folder = Path(tempfile.mkdtemp(prefix="backstride-upload-"))
    try:
        names = await _save(files, folder)
        return await run_slow(state, _import, state, user_id, folder, names)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


__all__ = ["import_uploads"]
