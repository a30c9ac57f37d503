"""Apple Health's "Export All Health Data" archive: ``export.zip``, or the unpacked folder.

The archive holds ``apple_health_export/export.xml`` (every record and workout; the name is localised
in some languages, so any XML file whose root is ``<HealthData>`` is taken, except the clinical
``export_cda.xml``) and ``apple_health_export/workout-routes/*.gpx`` (one or more per workout with a
route). :func:`find_export` recognises one; :class:`HealthExport` reads its XML as a stream and its
route files by the paths that ``FileReference`` elements give.

The work is split by concept: :mod:`.scan` (the one streaming pass), :mod:`.workout` (a workout and
its samples as an activity), :mod:`.units`; the import job that stores the result is
:mod:`backstride.ingest.apple_health`.
"""

from __future__ import annotations

import os
import posixpath
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO

from backstride.errors import BadFileError

#: Bytes read from the start of an XML file to recognise ``<HealthData>`` (the DTD comes first).
SNIFF_BYTES = 64 * 1024
CDA = "export_cda.xml"
#: Largest route file read (a route of a 24-hour ultra at 1 Hz is about 20 MB).
MAX_ROUTE_BYTES = 256 * 1024 * 1024


def looks_like_export_xml(head: bytes) -> bool:
    return b"<HealthData" in head or b"<!DOCTYPE HealthData" in head


@dataclass(frozen=True)
class HealthExport:
    """Where an export's XML is: a file on disk (``member`` None), or a member of a zip."""

    path: str
    member: str | None = None

    @property
    def name(self) -> str:
        return self.path if self.member is None else f"{self.path}!{self.member}"

    @property
    def size(self) -> int:
        if self.member is None:
            return os.path.getsize(self.path)
        with zipfile.ZipFile(self.path) as archive:
            return archive.getinfo(self.member).file_size

    @contextmanager
    def open_xml(self) -> Iterator[IO[bytes]]:
        """The XML as a binary stream (read sequentially; a zip member is decompressed as read)."""
        with ExitStack() as stack:
            try:
                if self.member is None:
                    handle: IO[bytes] = stack.enter_context(open(self.path, "rb"))
                else:
                    archive = stack.enter_context(zipfile.ZipFile(self.path))
                    handle = stack.enter_context(archive.open(self.member))
            except (OSError, zipfile.BadZipFile, KeyError) as exc:
                raise BadFileError(self.name, f"cannot be read ({exc})") from exc
            yield handle

    def read_route(self, reference: str) -> tuple[str, bytes]:
        """(label, bytes) of the route file a ``FileReference`` names (``/workout-routes/x.gpx``)."""
        rel = reference.replace("\\", "/").lstrip("/")
        if ".." in rel.split("/") or not rel:
            raise BadFileError(f"{self.name}: {reference}", "refused: the route path leaves the export")
        if self.member is None:
            full = os.path.join(os.path.dirname(self.path), *rel.split("/"))
            try:
                with open(full, "rb") as handle:
                    data = handle.read(MAX_ROUTE_BYTES + 1)
            except OSError as exc:
                raise BadFileError(full, f"route file cannot be read ({exc.strerror or exc})") from exc
            label = full
        else:
            member = posixpath.join(posixpath.dirname(self.member), rel)
            label = f"{self.path}!{member}"
            try:
                with zipfile.ZipFile(self.path) as archive, archive.open(member) as handle:
                    data = handle.read(MAX_ROUTE_BYTES + 1)
            except KeyError as exc:
                raise BadFileError(
                    label, "route file named in export.xml is missing from the archive"
                ) from exc
            except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
                raise BadFileError(label, f"route file cannot be read ({exc})") from exc
        if len(data) > MAX_ROUTE_BYTES:
            raise BadFileError(label, "route file larger than 256 MB; refused")
        return label, data


def _head(handle: IO[bytes]) -> bytes:
    return handle.read(SNIFF_BYTES)


def export_in_folder(folder: str) -> HealthExport | None:
    """The export whose XML lies directly in ``folder`` (``apple_health_export/``), if any."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for filename in names:
        if not filename.lower().endswith(".xml") or filename.lower() == CDA:
            continue
        full = os.path.join(folder, filename)
        if os.path.isfile(full) and export_file(full) is not None:
            return HealthExport(full)
    return None


def export_file(path: str) -> HealthExport | None:
    """``path`` as an export when it is an XML file rooted at ``<HealthData>``."""
    try:
        with open(path, "rb") as handle:
            return HealthExport(path) if looks_like_export_xml(_head(handle)) else None
    except OSError:
        return None


def export_in_archive(path: str, members: list[str]) -> HealthExport | None:
    """The export inside a zip, given the names of its (safe) members, if any."""
    candidates = sorted(
        (
            m
            for m in members
            if m.lower().endswith(".xml") and posixpath.basename(m).lower() != CDA and m.count("/") <= 2
        ),
        key=lambda m: (m.count("/"), posixpath.basename(m).lower() != "export.xml", m),
    )
    for member in candidates[:5]:
        try:
            with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
                if looks_like_export_xml(_head(handle)):
                    return HealthExport(path, member)
        except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError):
            continue
    return None


__all__ = ["HealthExport", "export_file", "export_in_archive", "export_in_folder", "looks_like_export_xml"]
