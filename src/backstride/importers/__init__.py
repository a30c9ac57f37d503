"""Importers: activity files (FIT, GPX, TCX, each optionally gzipped) into one activity model.

Public entry points:

- :func:`read_activity_bytes` reads one file's bytes into activities (a multisport file gives one
  per session), raising :class:`~backstride.errors.BadFileError` with the file's name and why.
- :func:`backstride.importers.sources.find_sources` turns paths (files, folders, zips, a Strava
  export) into a list of :class:`~backstride.importers.sources.Source` to read.
"""

from __future__ import annotations

import hashlib
import zlib

from backstride.errors import BadFileError
from backstride.importers.model import STREAM_COLUMNS, Activity, Lap
from backstride.importers.plausible import check_start

#: Decompressed files larger than this are refused (a compression bomb would exhaust memory).
MAX_FILE_BYTES = 512 * 1024 * 1024

FORMATS = ("fit", "gpx", "tcx")


def gunzip_limited(data: bytes, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """Decompress gzip data, refusing output larger than ``limit`` bytes."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error as exc:
        raise BadFileError(name, f"not a valid gzip file ({exc})") from exc
    if len(out) > limit or decompressor.unconsumed_tail:
        raise BadFileError(name, f"decompresses to more than {limit // (1024 * 1024)} MB; refused")
    if not decompressor.eof:
        raise BadFileError(name, "gzip file is truncated")
    return out


def sniff_format(data: bytes) -> str | None:
    """``fit``, ``gpx``, ``tcx`` or ``None``, from the content (never from the file name)."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") or head.startswith(b"<?xml"):
        if b"<gpx" in head:
            return "gpx"
        if b"<trainingcenterdatabase" in head:
            return "tcx"
    return None


def read_activity_bytes(data: bytes, name: str) -> list[Activity]:
    """Read one activity file's bytes (optionally gzipped) into activities.

    Every activity gets the file's SHA-256 (of the uncompressed content, so ``x.fit`` and ``x.fit.gz``
    are the same file) in ``file_hashes``; the second and later sessions of a multisport file get
    ``#2``, ``#3`` ... appended.
    """
    if data[:2] == b"\x1f\x8b":
        data = gunzip_limited(data, name)
    if not data:
        raise BadFileError(name, "the file is empty")
    kind = sniff_format(data)
    try:
        found = _read_kind(kind, data, name)
    except (OverflowError, OSError) as exc:  # a date no calendar holds
        raise BadFileError(name, f"a timestamp is out of range ({exc})") from exc
    for activity in found:
        check_start(activity, name)
    digest = hashlib.sha256(data).hexdigest()
    for i, activity in enumerate(found):
        activity.file_hashes = [digest if i == 0 else f"{digest}#{i + 1}"]
        activity.file_names = [name]
    return found


def _read_kind(kind: str | None, data: bytes, name: str) -> list[Activity]:
    if kind == "fit":
        from backstride.importers.fit import read_fit

        found = read_fit(data, name)
    elif kind == "gpx":
        from backstride.importers.gpx import read_gpx

        found = read_gpx(data, name)
    elif kind == "tcx":
        from backstride.importers.tcx import read_tcx

        found = read_tcx(data, name)
    else:
        raise BadFileError(name, "not an activity file (expected FIT, GPX or TCX content)")
    return found


def read_activity_file(path: str) -> list[Activity]:
    """Read an activity file from disk (see :func:`read_activity_bytes`)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BadFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise BadFileError(path, "larger than 512 MB; refused")
    return read_activity_bytes(data, path)


__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "STREAM_COLUMNS",
    "Activity",
    "Lap",
    "gunzip_limited",
    "read_activity_bytes",
    "read_activity_file",
    "sniff_format",
]
