"""Reading a runner's spreadsheet export (CSV) from disk, whatever phone or computer wrote it.

:func:`read_text_file` detects the encoding: UTF-8 (with or without a byte-order mark), UTF-16 (with a
BOM, or without one when every other byte is zero), and Windows-1252 as the last resort (a German or
French phone's export). Every failure is one :class:`~backstride.errors.ValidationError` naming the
file and the reason: a missing file, a folder, a binary file, an encoding it cannot be, a file too large.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from backstride.errors import ValidationError

#: A spreadsheet export larger than this is refused (a year of daily sets is well under 10 MB).
MAX_TEXT_BYTES = 256 * 1024 * 1024
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f"}


def read_text_file(path: str | Path, what: str = "CSV file") -> str:
    """The text of ``path`` with its encoding detected (see the module docstring)."""
    file = Path(path)
    if not file.exists():
        raise ValidationError(f"{file}: no such file")
    if file.is_dir():
        raise ValidationError(f"{file}: a folder, not a {what}")
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise ValidationError(f"{file}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_TEXT_BYTES:
        raise ValidationError(f"{file}: larger than {MAX_TEXT_BYTES // 1024**2} MB; not a {what}")
    return decode_text(data, str(file), what)


def decode_text(data: bytes, name: str, what: str = "CSV file") -> str:
    """``data`` as text: UTF-8 (BOM or not), UTF-16 (BOM, or zero bytes in every other place), cp1252."""
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, encoding in boms:
        if data.startswith(bom):
            return _checked(_decode(data, encoding, name, what), name, what)
    if b"\x00" in data[:4096]:
        sample = data[:4096]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.3 * len(sample) / 2 and even < odd / 4:
            return _checked(_decode(data, "utf-16-le", name, what), name, what)
        if even > 0.3 * len(sample) / 2 and odd < even / 4:
            return _checked(_decode(data, "utf-16-be", name, what), name, what)
        raise ValidationError(f"{name}: a binary file, not a {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"{name}: not text in UTF-8, UTF-16 or Windows-1252; save it as UTF-8 CSV and try again"
            ) from exc
    return _checked(text, name, what)


def _decode(data: bytes, encoding: str, name: str, what: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{name}: not valid {encoding.upper()} text ({exc.reason})") from exc


def _checked(text: str, name: str, what: str) -> str:
    sample = text[:65536]
    if sample and sum(c in _CONTROL for c in sample) > 0.01 * len(sample) + 2:
        raise ValidationError(f"{name}: a binary file, not a {what}")
    return text


def delimiter_of(header_line: str, choices: str = ",;\t") -> str:
    """The delimiter of a CSV file from its header line: the most frequent of ``choices`` outside
    quotes (a comma when there is none)."""
    counts = dict.fromkeys(choices, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(choices, key=lambda c: counts[c])
    return best if counts[best] else ","


def csv_problem(name: str, line: int, exc: csv.Error) -> ValidationError:
    """A ``csv.Error`` (a field over the size limit, a NUL ...) as one clear line."""
    reason = str(exc)
    if "field larger than field limit" in reason:
        reason = (
            f"a field is longer than {csv.field_size_limit():,} characters (an unclosed quote, "
            "or not a CSV export)"
        )
    return ValidationError(f"{name}: line {line}: not a readable CSV ({reason})")


__all__ = ["MAX_TEXT_BYTES", "csv_problem", "decode_text", "delimiter_of", "read_text_file"]
