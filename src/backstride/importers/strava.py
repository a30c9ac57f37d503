"""A Strava bulk export's ``activities.csv``, read defensively.

The file changes over the years and follows the account's language:

- since mid-2019, 87 to 101 columns with five names twice (``Elapsed Time``, ``Distance``,
  ``Max Heart Rate``, ``Relative Effort``, ``Commute``); the first ``Distance`` is in km, the second in
  metres; dates like ``May 29, 2022, 3:53:35 PM`` (UTC); German exports say ``Aktivitäts-ID``,
  ``Distanz``, ``29.05.2022, 15:53:35`` ...
- before mid-2019, ``id,date,name,type,description,elapsed_time,distance,commute,gear,filename`` with
  metres and ISO dates.

Columns are matched by name (English and German), the duplicated ones by occurrence; a header in another
language falls back to the positions of the modern layout when its rows look like it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from backstride.errors import BadFileError
from backstride.importers.sports import sport_and_sub_sport


@dataclass(frozen=True)
class StravaRow:
    """One activity listed in ``activities.csv`` (times in seconds, distance in metres, start in UTC)."""

    activity_id: str
    start_utc: datetime | None
    name: str | None
    sport: str
    sub_sport: str | None
    gear: str | None
    filename: str | None
    distance_m: float | None
    elapsed_s: float | None
    moving_s: float | None
    activity_type: str = ""


#: Header names per field, folded (see :func:`_fold`), in order of preference.
_MODERN: dict[str, tuple[str, ...]] = {
    "activity_id": ("activityid", "aktivitatsid"),
    "date": ("activitydate", "aktivitatsdatum"),
    "name": ("activityname", "namederaktivitat", "aktivitatsname"),
    "type": ("activitytype", "aktivitatsart", "sporttype", "sportart"),
    "gear": ("activitygear", "aktivitatsausrustung", "ausrustung", "gear"),
    "filename": ("filename", "dateiname"),
    "elapsed": ("elapsedtime", "verstrichenezeit", "gesamtzeit"),
    "moving": ("movingtime", "bewegungszeit"),
    "distance": ("distance", "distanz", "strecke"),
}
_LEGACY = (
    "id",
    "date",
    "name",
    "type",
    "description",
    "elapsed_time",
    "distance",
    "commute",
    "gear",
    "filename",
)
#: Positions in the modern layout (2019 on), for headers in a language we do not know.
_MODERN_POSITIONS = {
    "activity_id": 0,
    "date": 1,
    "name": 2,
    "type": 3,
    "elapsed": 5,
    "distance_km": 6,
    "gear": 11,
    "filename": 12,
    "elapsed_2": 15,
    "moving": 16,
    "distance_m": 17,
}
_EXPECTED = (
    "Activity ID, Activity Date, Activity Name, Activity Type, Elapsed Time, Distance, Activity Gear, "
    "Filename (or in German Aktivitäts-ID, Aktivitätsdatum, Name der Aktivität, Aktivitätsart, "
    "Verstrichene Zeit, Distanz, Dateiname; or the pre-2019 id, date, name, type, description, "
    "elapsed_time, distance, commute, gear, filename)"
)

_MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {
    **{
        m: i + 1
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
    "sept": 9,
    "mar": 3,
    "marz": 3,
    "mrz": 3,
    "mai": 5,
    "okt": 10,
    "dez": 12,
    "januar": 1,
    "februar": 2,
    "juni": 6,
    "juli": 7,
    "oktober": 10,
    "dezember": 12,
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lstrip("\ufeff"))
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def _month(word: str) -> int | None:
    key = _fold(word)
    if key in _MONTHS:
        return _MONTHS[key]
    return _MONTHS.get(key[:3])


_EN_DATE = re.compile(
    r"^(?P<mon>[A-Za-zäÄ]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?$"
)
_DMY_DATE = re.compile(
    r"^(?P<day>\d{1,2})\.\s*(?:(?P<num>\d{1,2})\.|(?P<mon>[A-Za-zäÄ]+)\.?)\s*(?P<year>\d{4}),?\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?$"
)


def parse_strava_date(text: str) -> datetime | None:
    """A UTC datetime from an ``activities.csv`` date, in any of the forms Strava has written.

    ``May 29, 2022, 3:53:35 PM``, ``29.05.2022, 15:53:35``, ``29. Mai 2022, 15:53:35``,
    ``2022-05-29 15:53:35`` and ISO 8601 with an offset. ``None`` when it is none of them.
    """
    text = text.replace("\u202f", " ").replace("\xa0", " ").strip()
    if not text:
        return None
    match = _EN_DATE.match(text)
    if match:
        month = _month(match["mon"])
        hour = int(match["h"])
        if match["ampm"]:
            pm = match["ampm"].lower().startswith("p")
            hour = hour % 12 + (12 if pm else 0)
        day, year = int(match["day"]), int(match["year"])
    else:
        match = _DMY_DATE.match(text)
        if not match:
            return _iso(text)
        month = int(match["num"]) if match["num"] else _month(match["mon"])
        hour, day, year = int(match["h"]), int(match["day"]), int(match["year"])
    if month is None:
        return None
    try:
        return datetime(year, month, day, hour, int(match["mi"]), int(match["s"] or 0), tzinfo=UTC)
    except ValueError:
        return None


def _iso(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text.replace(" UTC", "").strip())
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _number(text: str | None) -> float | None:
    """A float from a cell: ``3.32``, ``3,32`` (decimal comma), ``1.234,5``; ``None`` when blank."""
    if text is None:
        return None
    text = text.strip().replace("\xa0", "").replace(" ", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".") if "." in text or text.count(",") == 1 else text
    try:
        return float(text)
    except ValueError:
        return None


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _by_name(header: list[str]) -> dict[str, int] | None:
    """Column index per field for the modern layout, from the names; ``None`` if it is not that."""
    folded = [_fold(h) for h in header]
    found: dict[str, list[int]] = {}
    for field_name, aliases in _MODERN.items():
        for alias in aliases:
            hits = [i for i, h in enumerate(folded) if h == alias]
            if hits:
                found[field_name] = hits
                break
    if not {"activity_id", "date", "type"} <= found.keys():
        return None
    cols = {key: hits[0] for key, hits in found.items() if key not in ("distance", "elapsed")}
    if "distance" in found:
        hits = found["distance"]
        cols["distance_km" if len(hits) > 1 else "distance_km_or_m"] = hits[0]
        if len(hits) > 1:
            cols["distance_m"] = hits[1]
    if "elapsed" in found:
        cols["elapsed"] = found["elapsed"][0]
        if len(found["elapsed"]) > 1:
            cols["elapsed_2"] = found["elapsed"][1]
    return cols


def _by_position(header: list[str], rows: list[list[str]]) -> dict[str, int] | None:
    """The modern layout's positions, when the header is in an unknown language but the rows fit."""
    if len(header) < 87 or not rows:
        return None
    for row in rows[:20]:
        if len(row) <= 17 or not row[0].strip().isdigit():
            return None
        filename = row[12].strip()
        if filename and not filename.lower().startswith("activities/"):
            return None
    return dict(_MODERN_POSITIONS)


def _legacy(header: list[str]) -> dict[str, int] | None:
    folded = [h.strip().lstrip("\ufeff").lower() for h in header]
    if folded[: len(_LEGACY)] != list(_LEGACY) and not {"id", "date", "type", "filename"} <= set(folded):
        return None
    keys = ("id", "date", "name", "type", "gear", "filename")
    cols: dict[str, int] = {key: folded.index(key) for key in keys if key in folded}
    cols["activity_id"] = cols.pop("id")
    if "elapsed_time" in folded:
        cols["elapsed"] = folded.index("elapsed_time")
    if "moving_time" in folded:
        cols["moving"] = folded.index("moving_time")
    if "distance" in folded:
        cols["distance_m"] = folded.index("distance")
    return cols


def _cell(row: list[str], cols: dict[str, int], key: str) -> str | None:
    index = cols.get(key)
    if index is None or index >= len(row):
        return None
    value = row[index].strip()
    return value or None


def _row(row: list[str], cols: dict[str, int]) -> StravaRow | None:
    activity_id = _cell(row, cols, "activity_id")
    if not activity_id:
        return None
    distance = _number(_cell(row, cols, "distance_m"))
    if distance is None and (km := _number(_cell(row, cols, "distance_km"))) is not None:
        distance = km * 1000.0
    if distance is None:
        # A single Distance column in the modern layout: km in every export seen; guard by size.
        either = _number(_cell(row, cols, "distance_km_or_m"))
        distance = None if either is None else (either * 1000.0 if either < 1000 else either)
    elapsed = _number(_cell(row, cols, "elapsed"))
    if elapsed is None:
        elapsed = _number(_cell(row, cols, "elapsed_2"))
    activity_type = _cell(row, cols, "type") or ""
    sport, sub_sport = sport_and_sub_sport(activity_type)
    date = _cell(row, cols, "date")
    return StravaRow(
        activity_id=activity_id,
        start_utc=parse_strava_date(date) if date else None,
        name=_cell(row, cols, "name"),
        sport=sport,
        sub_sport=sub_sport,
        gear=_cell(row, cols, "gear"),
        filename=_cell(row, cols, "filename"),
        distance_m=distance,
        elapsed_s=elapsed,
        moving_s=_number(_cell(row, cols, "moving")),
        activity_type=activity_type,
    )


def read_strava_csv(data: bytes, name: str = "activities.csv") -> list[StravaRow]:
    """Every row of a Strava ``activities.csv``, in file order.

    Raises :class:`BadFileError` listing the expected columns when the header matches no known layout.
    """
    text = _decode(data)
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadFileError(name, f"not a readable CSV file ({exc}); expected {_EXPECTED}") from exc
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise BadFileError(name, f"the file is empty; expected a header with {_EXPECTED}")
    header, rows = table[0], table[1:]
    cols = _by_name(header) or _legacy(header) or _by_position(header, rows)
    if cols is None:
        shown = ", ".join(h.strip() for h in header[:8]) + (" ..." if len(header) > 8 else "")
        raise BadFileError(
            name, f"not a Strava activities.csv: its columns are {shown}; expected {_EXPECTED}"
        )
    return [parsed for row in rows if (parsed := _row(row, cols)) is not None]
