"""What to import: files, folders, zip archives and Strava bulk exports, turned into sources to read.

:func:`find_sources` walks the paths and returns the sources in a stable order, with one
:class:`~backstride.errors.BadFileError` per path or archive entry that cannot be used. Rows of a Strava
``activities.csv`` that have no activity file (activities entered by hand, or not exported) come back in
the same list as :class:`SkippedEntry`, a subclass: they are worth a line in the summary, but they are
not failures (check ``isinstance(problem, SkippedEntry)``).

Safety: zip entries with absolute paths or ``..`` are refused one by one; an archive whose declared
sizes are absurd, or an entry whose compression ratio is that of a bomb, is refused; every member is
read through a hard size limit, so a lying header cannot exhaust memory.

A folder (or zip) holding a backstride export (``manifest.json`` that mentions backstride) is not an
activity source: it is skipped here with no error and read by the log's importer.
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from backstride.errors import BadFileError, SkippedEntry, caused_by
from backstride.importers import (
    MAX_COMPRESSION_RATIO,
    MAX_FILE_BYTES,
    RATIO_CHECK_MIN_BYTES,
    read_activity_stream,
)
from backstride.importers.apple_health import export_file, export_in_archive, export_in_folder
from backstride.importers.model import Activity
from backstride.importers.sports import GENERIC, is_generic
from backstride.importers.strava import StravaRow, read_strava_csv

#: File name endings that hold activities.
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")
#: An archive declaring more than this in total (bytes) is refused as a whole.
MAX_ARCHIVE_BYTES = 64 * 1024**3
#: An archive with more entries than this is refused as a whole.
MAX_ARCHIVE_ENTRIES = 500_000
#: Zips inside zips are opened this many levels deep.
MAX_NESTING = 3
#: A zip inside a zip larger than this (uncompressed) is refused.
MAX_NESTED_BYTES = 16 * 1024**3
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One activity file to read: a file on disk, or an entry inside a zip.

    ``overrides`` come from a Strava ``activities.csv`` row: ``name``, ``shoe``, ``sport``, ``sub_sport``.
    ``kind`` is ``activity`` (one file), or ``apple_health``: the XML of an Apple Health export (read by
    :mod:`backstride.ingest.apple_health`, not by :func:`read_source`).
    """

    name: str
    path: str
    member: str | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    kind: str = "activity"

    def read_bytes(self) -> bytes:
        """The file's bytes (still gzipped if it is), at most :data:`MAX_FILE_BYTES`."""
        if self.member is None:
            try:
                with open(self.path, "rb") as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
            except OSError as exc:
                raise BadFileError(self.name, f"cannot be read ({exc.strerror or exc})") from exc
        else:
            data = _read_member(self.path, self.member, self.name)
        if len(data) > MAX_FILE_BYTES:
            raise BadFileError(self.name, f"larger than {MAX_FILE_BYTES // 1024**2} MB; refused")
        return data

    @contextmanager
    def open(self) -> Iterator[tuple[Any, int | None]]:
        """The file as a binary stream (still gzipped if it is) and its stored size, read as it goes."""
        if self.member is None:
            try:
                handle = open(self.path, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise BadFileError(self.name, f"cannot be read ({exc.strerror or exc})") from exc
            with handle:
                size = os.fstat(handle.fileno()).st_size
                if size > MAX_FILE_BYTES:
                    raise BadFileError(self.name, f"larger than {MAX_FILE_BYTES // 1024**2} MB; refused")
                yield handle, size
            return
        with ExitStack() as stack:
            try:
                archive = stack.enter_context(zipfile.ZipFile(self.path))
                info = archive.getinfo(self.member)
                _check_entry(info, self.name)
                member = stack.enter_context(archive.open(info))
            except _ZIP_ERRORS as exc:
                raise BadFileError(self.name, f"cannot be read from the archive ({exc})") from exc
            yield _Member(member, self.name), info.file_size


class _Member:
    """A zip member being read: its errors (a bad CRC, a truncated entry) are the file's own."""

    def __init__(self, handle: Any, name: str) -> None:
        self.handle = handle
        self.name = name

    def read(self, size: int = -1) -> bytes:
        try:
            data: bytes = self.handle.read(size)
        except _ZIP_ERRORS as exc:
            raise BadFileError(self.name, f"cannot be read from the archive ({exc})") from exc
        return data


_ZIP_ERRORS = (OSError, zipfile.BadZipFile, KeyError, EOFError, NotImplementedError, RuntimeError, zlib.error)


def _read_member(path: str, member: str, name: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            _check_entry(info, name)
            chunks: list[bytes] = []
            size = 0
            with archive.open(info) as handle:
                while size <= MAX_FILE_BYTES:
                    chunk = handle.read(min(_CHUNK, MAX_FILE_BYTES + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
    except _ZIP_ERRORS as exc:
        raise BadFileError(name, f"cannot be read from the archive ({exc})") from exc
    return b"".join(chunks)


def _is_activity_name(filename: str) -> bool:
    return filename.lower().endswith(ACTIVITY_SUFFIXES)


def _unsafe(entry: str) -> bool:
    """True for an entry path that is absolute or climbs out of the archive."""
    cleaned = entry.replace("\\", "/")
    if cleaned.startswith("/") or re.match(r"^[A-Za-z]:", cleaned):
        return True
    return ".." in cleaned.split("/")


def _check_entry(info: zipfile.ZipInfo, name: str) -> None:
    if info.file_size > MAX_FILE_BYTES:
        raise BadFileError(name, f"declares {info.file_size} bytes uncompressed; refused (over the limit)")
    if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
        info.compress_size, 1
    ):
        raise BadFileError(
            name,
            f"compressed {info.file_size // max(info.compress_size, 1)}:1, like a compression bomb; refused",
        )


class _Finder:
    """Collects sources and problems while walking the paths."""

    def __init__(self, workdir: str | None = None) -> None:
        self.sources: list[Source] = []
        self.problems: list[BadFileError] = []
        self._seen: set[tuple[str, str | None]] = set()
        self._workdir = workdir
        self._labels: dict[str, str] = {}
        self._depth: dict[str, int] = {}

    def _shown(self, path: str) -> str:
        """How an archive is named in messages: its path, or ``outer.zip!inner.zip`` when nested."""
        return self._labels.get(path, path)

    def add(self, source: Source) -> None:
        key = (os.path.realpath(source.path), source.member)
        if key not in self._seen:
            self._seen.add(key)
            self.sources.append(source)

    def path(self, path: str) -> None:
        if os.path.isdir(path):
            self.folder(path)
        elif os.path.isfile(path):
            if os.path.basename(path).lower() == "activities.csv":
                self.strava_folder(os.path.dirname(path) or ".", explicit=True)
            elif zipfile.is_zipfile(path):
                self.archive(path)
            elif path.lower().endswith(".zip"):
                self.problems.append(BadFileError(path, "not a valid zip file"))
            elif path.lower().endswith(".xml") and (health := export_file(path)) is not None:
                self.add(Source(health.name, health.path, kind="apple_health"))
            else:
                self.add(Source(path, path))  # named explicitly: reading says what is wrong with it
        elif os.path.exists(path):
            self.problems.append(BadFileError(path, "not a regular file or folder"))
        else:
            self.problems.append(BadFileError(path, "no such file or folder"))

    def folder(self, folder: str) -> None:
        if _is_backstride_export(folder):
            return
        health = export_in_folder(folder)
        if health is not None:  # an unpacked Apple Health export: its route files are read with it
            self.add(Source(health.name, health.path, kind="apple_health"))
            return
        if os.path.isfile(os.path.join(folder, "activities.csv")) and self.strava_folder(folder):
            return
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            problem = BadFileError(folder, f"cannot be listed ({exc.strerror or exc})")
            self.problems.append(caused_by(problem, exc))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            full = os.path.join(folder, entry.name)
            if entry.is_dir(follow_symlinks=False):
                self.folder(full)
            elif entry.is_file():
                if _is_activity_name(entry.name):
                    self.add(Source(full, full))
                elif entry.name.lower().endswith(".zip"):
                    self.path(full)

    def strava_folder(self, folder: str, explicit: bool = False) -> bool:
        """Sources of an unpacked Strava export. False (nothing added) when ``activities.csv`` is not
        Strava's, unless the file was named explicitly: then its error is reported."""
        csv_path = os.path.join(folder, "activities.csv")
        rows = self._strava_rows(csv_path, lambda: _read_limited(csv_path), report=explicit)
        if rows is None:
            return False
        listed: set[str] = set()
        for row in rows:
            if not row.filename:
                self.problems.append(_no_file(csv_path, row))
                continue
            rel = row.filename.replace("\\", "/")
            label = os.path.join(folder, rel)
            if _unsafe(rel):
                self.problems.append(BadFileError(label, "refused: the path leaves the export folder"))
                continue
            full = os.path.normpath(os.path.join(folder, rel))
            listed.add(full)
            if not os.path.isfile(full):
                self.problems.append(BadFileError(label, "listed in activities.csv but missing"))
                continue
            self.add(Source(label, full, overrides=_overrides(row)))
        self._unlisted_files(folder, listed)
        return True

    def _unlisted_files(self, folder: str, listed: set[str]) -> None:
        base = os.path.join(folder, "activities")
        if not os.path.isdir(base):
            return
        for root, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for filename in sorted(files):
                full = os.path.normpath(os.path.join(root, filename))
                if not filename.startswith(".") and _is_activity_name(filename) and full not in listed:
                    self.add(Source(full, full))

    def _strava_rows(self, label: str, read: Any, report: bool) -> list[StravaRow] | None:
        """The rows, or ``None`` when the CSV is not Strava's (reported as a problem if ``report``)."""
        try:
            return read_strava_csv(read(), label)
        except BadFileError as exc:
            if report:
                self.problems.append(exc)
                return []
            return None

    def archive(self, path: str) -> None:
        try:
            with zipfile.ZipFile(path) as archive:
                infos = archive.infolist()
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            self.problems.append(caused_by(BadFileError(path, f"not a readable zip file ({exc})"), exc))
            return
        if len(infos) > MAX_ARCHIVE_ENTRIES:
            self.problems.append(BadFileError(path, f"holds {len(infos)} entries; refused"))
            return
        declared = sum(info.file_size for info in infos)
        if declared > MAX_ARCHIVE_BYTES:
            self.problems.append(
                BadFileError(path, f"declares {declared // 1024**3} GB uncompressed; refused as a bomb")
            )
            return
        safe: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            label = f"{self._shown(path)}!{info.filename}"
            if _unsafe(info.filename):
                self.problems.append(
                    BadFileError(label, "refused: the entry's path is absolute or leaves the archive (..)")
                )
            elif not info.is_dir():
                safe[info.filename] = info
        if any(_is_backstride_manifest(path, info) for info in safe.values()):
            return
        health = export_in_archive(path, list(safe))
        if health is not None:
            self.add(Source(health.name, health.path, health.member, kind="apple_health"))
            return
        csvs = sorted(
            (n for n in safe if posixpath.basename(n).lower() == "activities.csv"), key=lambda n: n.count("/")
        )
        if csvs and self.strava_archive(path, csvs[0], safe):
            return
        others: list[str] = []
        for member in sorted(safe):
            if _is_activity_name(member):
                self._archive_member(path, safe[member])
            elif member.lower().endswith(".zip"):
                self._nested(path, safe[member])
            elif not posixpath.basename(member).startswith("."):
                others.append(member)
        if others:
            self.problems.append(_others_skipped(self._shown(path), others))

    def _nested(self, path: str, info: zipfile.ZipInfo) -> None:
        """A zip inside a zip (a Garmin account export holds them): extracted to the work folder, with
        the same checks as any entry, and read like any archive."""
        label = f"{self._shown(path)}!{info.filename}"
        depth = self._depth.get(path, 0) + 1
        if depth > MAX_NESTING:
            self.problems.append(
                SkippedEntry(label, f"a zip nested more than {MAX_NESTING} deep; skipped (unpack it first)")
            )
            return
        if self._workdir is None:
            self.problems.append(SkippedEntry(label, "a zip inside a zip; skipped (unpack it first)"))
            return
        if info.file_size > MAX_NESTED_BYTES:
            self.problems.append(
                BadFileError(label, f"declares {info.file_size // 1024**2} MB uncompressed; refused")
            )
            return
        if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            self.problems.append(
                BadFileError(label, f"compressed {ratio}:1, like a compression bomb; refused")
            )
            return
        target = os.path.join(self._workdir, f"nested-{len(self._labels) + 1}.zip")
        try:
            with zipfile.ZipFile(path) as archive, archive.open(info) as source, open(target, "wb") as out:
                copied = 0
                while chunk := source.read(_CHUNK):
                    copied += len(chunk)
                    if copied > info.file_size or copied > MAX_NESTED_BYTES:
                        raise BadFileError(label, "larger than its archive declares; refused")
                    out.write(chunk)
        except BadFileError as exc:
            self.problems.append(exc)
            return
        except _ZIP_ERRORS as exc:
            problem = BadFileError(label, f"cannot be read from the archive ({exc})")
            self.problems.append(caused_by(problem, exc))
            return
        self._labels[target] = label
        self._depth[target] = depth
        if not zipfile.is_zipfile(target):
            self.problems.append(BadFileError(label, "not a valid zip file"))
            return
        self.archive(target)

    def _archive_member(
        self, path: str, info: zipfile.ZipInfo, overrides: tuple[tuple[str, Any], ...] = ()
    ) -> None:
        label = f"{self._shown(path)}!{info.filename}"
        try:
            _check_entry(info, label)
        except BadFileError as exc:
            self.problems.append(exc)
            return
        self.add(Source(label, path, info.filename, overrides))

    def strava_archive(self, path: str, csv_member: str, safe: dict[str, zipfile.ZipInfo]) -> bool:
        """Sources of a zipped Strava export; False when its ``activities.csv`` is not Strava's."""
        prefix = posixpath.dirname(csv_member)
        csv_label = f"{self._shown(path)}!{csv_member}"

        def read_csv() -> bytes:
            _check_entry(safe[csv_member], csv_label)
            return _read_member(path, csv_member, csv_label)

        rows = self._strava_rows(csv_label, read_csv, report=False)
        if rows is None:
            return False
        listed: set[str] = set()
        for row in rows:
            if not row.filename:
                self.problems.append(_no_file(csv_label, row))
                continue
            rel = row.filename.replace("\\", "/")
            member = posixpath.join(prefix, rel) if prefix else rel
            if _unsafe(rel):
                self.problems.append(
                    BadFileError(f"{self._shown(path)}!{member}", "refused: the path leaves the export")
                )
                continue
            listed.add(member)
            if member not in safe:
                self.problems.append(
                    BadFileError(f"{self._shown(path)}!{member}", "listed in activities.csv but missing")
                )
                continue
            self._archive_member(path, safe[member], _overrides(row))
        activities = posixpath.join(prefix, "activities/") if prefix else "activities/"
        for member in sorted(safe):
            if member.startswith(activities) and member not in listed and _is_activity_name(member):
                self._archive_member(path, safe[member])
        return True


def _read_limited(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BadFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise BadFileError(path, "larger than the size limit; refused")
    return data


def _others_skipped(label: str, members: list[str]) -> SkippedEntry:
    kinds = Counter(posixpath.splitext(m)[1].lower() or "no extension" for m in members)
    listed = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common(6))
    more = "" if len(kinds) <= 6 else ", ..."
    what = "file is not an activity file" if len(members) == 1 else "files are not activity files"
    return SkippedEntry(
        label,
        f"{len(members)} {what} ({listed}{more}); skipped",
    )


def _no_file(csv_label: str, row: StravaRow) -> SkippedEntry:
    what = f"{row.activity_type or 'activity'} {row.activity_id}"
    if row.name:
        what += f" ({row.name})"
    return SkippedEntry(
        f"{csv_label}: {what}",
        "has no activity file in the export (entered by hand or not exported); skipped",
    )


def _overrides(row: StravaRow) -> tuple[tuple[str, Any], ...]:
    pairs: list[tuple[str, Any]] = []
    if row.name:
        pairs.append(("name", row.name))
    if row.gear:
        pairs.append(("shoe", row.gear))
    if row.sport != GENERIC:
        pairs.append(("sport", row.sport))
        if row.sub_sport:
            pairs.append(("sub_sport", row.sub_sport))
    return tuple(pairs)


def _is_backstride_export(folder: str) -> bool:
    manifest = os.path.join(folder, "manifest.json")
    if not os.path.isfile(manifest):
        return False
    try:
        with open(manifest, "rb") as handle:
            return b"backstride" in handle.read(1024 * 1024).lower()
    except OSError:
        return False


def _is_backstride_manifest(path: str, info: zipfile.ZipInfo) -> bool:
    if posixpath.basename(info.filename) != "manifest.json" or info.file_size > 1024 * 1024:
        return False
    try:
        return b"backstride" in _read_member(path, info.filename, info.filename).lower()
    except BadFileError:
        return False


def find_sources(paths: Sequence[str], workdir: str | None = None) -> tuple[list[Source], list[BadFileError]]:
    """Sources to read from files, folders, zips and Strava exports, and what could not be used.

    Folders are walked recursively in name order, skipping hidden entries; only activity files
    (``.fit``, ``.gpx``, ``.tcx`` and their ``.gz``) and zips are taken from them, while a file named
    explicitly is always tried. The problems list holds one :class:`BadFileError` per unusable path or
    archive entry, and one :class:`SkippedEntry` per Strava row that has no file, per archive for the
    files in it that are not activities, and per zip inside a zip that cannot be opened. Zips inside
    zips are extracted into ``workdir`` (which must outlive the reading of the sources); without one
    they are skipped and said.
    """
    finder = _Finder(workdir)
    for path in paths:
        finder.path(os.fspath(path))
    return finder.sources, finder.problems


def _sport_was_guessed(activity: Activity) -> bool:
    return any(w.startswith("sport not stated in the file") for w in activity.warnings)


def apply_overrides(activity: Activity, overrides: dict[str, Any]) -> Activity:
    """Apply a Strava row to an activity read from its file. Changes and returns ``activity``.

    The name and the shoe always win (the runner set them on Strava); the sport only replaces one the
    file does not state (generic, or guessed from speed), and the sub-sport fills a generic one.
    """
    if overrides.get("name"):
        activity.name = overrides["name"]
    if overrides.get("shoe"):
        activity.shoe = overrides["shoe"]
    sport = overrides.get("sport")
    if sport and sport != GENERIC and (is_generic(activity.sport) or _sport_was_guessed(activity)):
        activity.sport = sport
        activity.sub_sport = overrides.get("sub_sport")
        activity.warnings = [w for w in activity.warnings if not w.startswith("sport not stated in the file")]
    elif sport == activity.sport and activity.sub_sport in (None, GENERIC) and overrides.get("sub_sport"):
        activity.sub_sport = overrides["sub_sport"]
    return activity


def read_source(source: Source) -> list[Activity]:
    """Read a source into activities and apply its Strava overrides (see :func:`apply_overrides`)."""
    with source.open() as (stream, size):
        activities = read_activity_stream(stream, source.name, size)
    if source.overrides:
        overrides = dict(source.overrides)
        activities = [apply_overrides(activity, overrides) for activity in activities]
    return activities


__all__ = [
    "ACTIVITY_SUFFIXES",
    "SkippedEntry",
    "Source",
    "apply_overrides",
    "find_sources",
    "read_source",
]
