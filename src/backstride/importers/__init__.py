"""Importers: activity files (FIT, GPX, TCX, each optionally gzipped) into one activity model.

Public entry points:

- :func:`read_activity_stream` reads one file (a binary stream) into activities (a multisport file
  gives one per session), raising :class:`~backstride.errors.BadFileError` with the file's name and
  why; :func:`read_activity_bytes` does the same for bytes in memory.
- :func:`backstride.importers.sources.find_sources` turns paths (files, folders, zips, a Strava
  export) into a list of :class:`~backstride.importers.sources.Source` to read.

Memory stays bounded whatever the input: gzip is decompressed as it is read, with the same ratio
check as zip entries (:data:`MAX_COMPRESSION_RATIO`); GPX and TCX are parsed incrementally; a FIT file
(decoded in memory, vectorised) may be at most :data:`MAX_FIT_BYTES`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib

from backstride.errors import BadFileError
from backstride.importers.model import STREAM_COLUMNS, Activity, Lap, Readable
from backstride.importers.plausible import check_start

#: Decompressed files larger than this are refused (a compression bomb would exhaust memory).
MAX_FILE_BYTES = 512 * 1024 * 1024
#: A FIT file larger than this is refused: a week of one-second records is about 40 MB.
MAX_FIT_BYTES = 128 * 1024 * 1024
#: Compressed data (a zip entry, a .gz file) that grows more than this many times is a bomb ...
MAX_COMPRESSION_RATIO = 100
#: ... once it is larger than this (small files can compress very well).
RATIO_CHECK_MIN_BYTES = 1024 * 1024
_SNIFF_BYTES = 4096
_CHUNK = 1024 * 1024

FORMATS = ("fit", "gpx", "tcx")


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


class _Content:
    """The content of a file as it is read: hashed, counted and held to a size limit."""

    def __init__(self, raw: Readable, name: str, limit: int, too_big: str, gzipped: bool = False) -> None:
        self.raw = raw
        self.gzipped = gzipped
        self.name = name
        self.limit = limit
        self.too_big = too_big
        self.sha = hashlib.sha256()
        self.total = 0
        self.pending = b""

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(_CHUNK):
                chunks.append(chunk)
            return b"".join(chunks)
        if self.pending:
            data, self.pending = self.pending[:size], self.pending[size:]
            return data
        try:
            data = self.raw.read(min(size, self.limit + 1 - self.total))
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
            if not self.gzipped:
                raise BadFileError(self.name, f"cannot be read ({exc})") from exc
            raise BadFileError(self.name, _gzip_reason(exc)) from exc
        self.total += len(data)
        if self.total > self.limit:
            raise BadFileError(self.name, self.too_big)
        self.sha.update(data)
        return data

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes (fewer at the end of the file), read again by the next read."""
        parts = []
        got = 0
        while got < size and (chunk := self.read(size - got)):
            parts.append(chunk)
            got += len(chunk)
        self.pending = b"".join(parts)
        return self.pending

    def finish(self) -> str:
        """Read what is left (for the hash) and return the SHA-256 of the whole content."""
        while self.read(_CHUNK):
            pass
        return self.sha.hexdigest()


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "gzip file is truncated"
    return f"not a valid gzip file ({exc})"


def read_activity_stream(raw: Readable, name: str, size: int | None = None) -> list[Activity]:
    """Read one activity file (optionally gzipped) from a binary stream into activities.

    ``size`` is the stored (compressed) size when known, for the compression-ratio check. Every
    activity gets the file's SHA-256 (of the uncompressed content, so ``x.fit`` and ``x.fit.gz`` are the
    same file) in ``file_hashes``; the second and later sessions of a multisport file get ``#2``, ``#3``
    ... appended.
    """
    start = raw.read(2)
    stream = _Rejoined(start, raw)
    if start == b"\x1f\x8b":
        allowed = MAX_FILE_BYTES
        if size is not None:
            allowed = min(allowed, max(RATIO_CHECK_MIN_BYTES, MAX_COMPRESSION_RATIO * size))
        content = _Content(
            gzip.GzipFile(fileobj=stream, mode="rb"),
            name,
            allowed,
            f"decompresses to more than {allowed / 1024**2:.1f} MB"
            + (
                f" ({MAX_COMPRESSION_RATIO} times its size, like a compression bomb)"
                if allowed < MAX_FILE_BYTES
                else ""
            )
            + "; refused",
            gzipped=True,
        )
    else:
        content = _Content(
            stream, name, MAX_FILE_BYTES, f"larger than {MAX_FILE_BYTES // 1024**2} MB; refused"
        )
    head = content.head(_SNIFF_BYTES)
    if not head:
        raise BadFileError(name, "the file is empty")
    kind = sniff_format(head)
    import numpy as np  # the decoders need it anyway; kept off the import of this package

    try:
        # Corrupt numbers overflow or turn invalid in arithmetic; they become inf or NaN, which the
        # plausibility check then drops with a warning naming the channel.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            found = _read_kind(kind, content, name)
    except (OverflowError, OSError) as exc:  # a date no calendar holds
        raise BadFileError(name, f"a timestamp is out of range ({exc})") from exc
    for activity in found:
        check_start(activity, name)
    digest = content.finish()
    for i, activity in enumerate(found):
        activity.file_hashes = [digest if i == 0 else f"{digest}#{i + 1}"]
        activity.file_names = [name]
    return found


class _Rejoined(io.RawIOBase):
    """A stream whose first bytes were read already, put back in front."""

    def __init__(self, first: bytes, rest: Readable) -> None:
        self.first = first
        self.rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.first:
            if size is None or size < 0:
                data, self.first = self.first + self.rest.read(), b""
                return data
            data, self.first = self.first[:size], self.first[size:]
            return data
        return self.rest.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def read_activity_bytes(data: bytes, name: str) -> list[Activity]:
    """Read one activity file's bytes (optionally gzipped) into activities (see
    :func:`read_activity_stream`)."""
    return read_activity_stream(io.BytesIO(data), name, len(data))


def _read_kind(kind: str | None, content: _Content, name: str) -> list[Activity]:
    if kind == "fit":
        from backstride.importers.fit import read_fit

        if content.limit > MAX_FIT_BYTES:
            content.limit = MAX_FIT_BYTES
            content.too_big = f"a FIT file larger than {MAX_FIT_BYTES // 1024**2} MB; refused"
        found = read_fit(content.read(), name)
    elif kind == "gpx":
        from backstride.importers.gpx import read_gpx

        found = read_gpx(content, name)
    elif kind == "tcx":
        from backstride.importers.tcx import read_tcx

        found = read_tcx(content, name)
    else:
        raise BadFileError(name, "not an activity file (expected FIT, GPX or TCX content)")
    return found


def read_activity_file(path: str) -> list[Activity]:
    """Read an activity file from disk (see :func:`read_activity_stream`)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise BadFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    with handle:
        try:
            size = os.fstat(handle.fileno()).st_size
        except OSError:
            size = None
        return read_activity_stream(handle, path, size)


__all__ = [
    "FORMATS",
    "MAX_COMPRESSION_RATIO",
    "MAX_FILE_BYTES",
    "MAX_FIT_BYTES",
    "RATIO_CHECK_MIN_BYTES",
    "STREAM_COLUMNS",
    "Activity",
    "Lap",
    "read_activity_bytes",
    "read_activity_file",
    "read_activity_stream",
    "sniff_format",
]
