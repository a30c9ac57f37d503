"""FIT activity files: a vectorised decoder of our own, and a small encoder.

- :func:`read_fit` reads a FIT file's bytes into one :class:`~backstride.importers.model.Activity` per
  session (a triathlon gives five; the caller filters sports).
- :func:`backstride.importers.fit.decode.decode` is the raw decoder (message tables, scaled columns).
- :func:`backstride.importers.fit.writer.write_fit` writes an activity as a FIT file.

The message and field profile comes from garmin-fit-sdk at run time
(:mod:`backstride.importers.fit.profile`).
"""

from __future__ import annotations

from backstride.errors import BadFileError, FitHeaderError, FitTimeError, FitTooLargeError, SkippedFile
from backstride.importers.fit.activity import build_activities
from backstride.importers.fit.decode import FitData, decode
from backstride.importers.fit.profile import profile
from backstride.importers.model import Activity

#: ``file_id.type`` of an activity file.
ACTIVITY_FILE_TYPE = "activity"


def _decode_or_fail(data: bytes, name: str) -> FitData:
    if not data:
        raise BadFileError(name, "the file is empty")
    if len(data) < 12:
        raise BadFileError(name, f"too short for a FIT file ({len(data)} bytes)")
    try:
        return decode(data)
    except FitHeaderError as exc:
        raise BadFileError(name, f"not a valid FIT file: {exc}") from exc
    except FitTooLargeError as exc:
        raise BadFileError(name, f"{exc} (a week at one record a second is about 600,000); refused") from exc


def read_fit(data: bytes, name: str) -> list[Activity]:
    """Read a FIT activity file into activities, one per session, in time order.

    Raises :class:`~backstride.errors.BadFileError` for an empty or too-short file, a bad header, a FIT
    file that is not an activity (a course, settings ...), or a file without any record. A file that
    breaks part-way keeps the records before the damage; CRC mismatches and device-relative
    timestamps are noted in ``Activity.warnings``.
    """
    fit = _decode_or_fail(data, name)
    prof = profile()
    walked = fit.scan
    file_id = fit.table("file_id")
    if file_id is not None:
        kind_value = file_id.column("type")
        kind = prof.enum_name("file", kind_value[0]) if kind_value is not None else None
        if kind is not None and kind != ACTIVITY_FILE_TYPE:
            raise SkippedFile(name, f"a FIT {kind} file, not an activity; skipped")
    records = fit.count("record")
    if records == 0:
        if walked.break_reason is not None:
            raise BadFileError(
                name, f"file breaks at byte {walked.break_at}: {walked.break_reason}; no records before it"
            )
        raise BadFileError(name, "a FIT file without any record (no samples)")
    warnings: list[str] = []
    if walked.break_reason is not None:
        warnings.append(
            f"file breaks at byte {walked.break_at}: {walked.break_reason}; "
            f"kept the {records} records before it"
        )
    warnings.extend(f"{problem}; decoded anyway" for problem in walked.crc_errors)
    if walked.trailing_bytes:
        warnings.append(f"{walked.trailing_bytes} bytes after the last FIT file were ignored")
    try:
        return build_activities(fit, prof, warnings)
    except FitTimeError as exc:
        raise BadFileError(name, f"corrupt timestamps: {exc}") from exc


__all__ = ["BadFileError", "FitData", "decode", "read_fit"]
