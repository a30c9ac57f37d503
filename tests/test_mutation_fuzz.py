"""Issue 11: a seeded mutation fuzz over every kind of real file (FIT, GPX, TCX, gzip).

Each mutant (bit flips, overwritten bytes, truncation, repeated blocks, absurd numbers and dates in
the XML, absurd field values in the FIT, damaged gzip) is read, then all of them are imported into
one store. Every mutant either gives activities within physical bounds or is refused with the
product's own error; nothing else is raised, no value stored is non-finite, and ``runs --json`` and
``show --json`` stay valid JSON. Bounded: a few hundred mutants, well under a minute.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from backstride.cli import app
from backstride.config import database_url
from backstride.errors import BadFileError
from backstride.importers import read_activity_bytes
from backstride.importers.model import Activity
from backstride.importers.plausible import MIN_START, STREAM_BOUNDS, SUMMARY_BOUNDS
from backstride.ingest.files import import_paths
from backstride.store.activities import load_streams
from backstride.store.engine import open_store
from backstride.store.schema import activities
from tests.conftest import fixtures_dir

SEED = 20_111
MUTANTS_PER_FILE = 30
FILES = [
    "fit/fitparse__garmin-fenix-5-run.fit",
    "fit/geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit",
    "fit/fitparse__2013-02-06-12-11-14.fit",
    "gpx/togeojson__run.gpx",
    "gpx/togeojson__missing_hr.gpx",
    "tcx/tcxparser__test.tcx",
    "tcx/sportslib__unknown_example.tcx",
    "strava_export/activities/12866632127.fit.gz",
]
ABSURD_NUMBERS = ["-99999", "1e308", "inf", "-inf", "nan", "1e400", "99999999", "95.5", "-0", "", "12abc"]
ABSURD_TIMES = ["1900-01-01T00:00:00Z", "2126-06-01T00:00:00Z", "0001-01-01T00:00:00Z", "not a time"]
FIT_VALUES = [
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x00\x80",
    b"\xfe\xff\xff\xff",
    b"\x00\x00\x00\x00",
    b"\x01\x00\x00\x00",
]


def _bytes_mutation(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    kind = int(rng.integers(4))
    if kind == 0:  # bit flips
        for _ in range(int(rng.integers(1, 24))):
            i = int(rng.integers(len(out)))
            out[i] ^= 1 << int(rng.integers(8))
    elif kind == 1:  # overwrite a run of bytes
        i = int(rng.integers(len(out)))
        n = int(rng.integers(1, 64))
        out[i : i + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    elif kind == 2:  # truncate
        return bytes(out[: int(rng.integers(0, len(out)))])
    else:  # repeat a block
        i = int(rng.integers(len(out)))
        n = int(rng.integers(1, 2048))
        out[i:i] = out[i : i + n] * int(rng.integers(1, 4))
    return bytes(out)


def _xml_mutation(data: bytes, rng: np.random.Generator) -> bytes:
    text = data.decode("utf-8", "replace")
    if rng.random() < 0.5:
        numbers = list(re.finditer(r"(?<=>)-?\d+(\.\d+)?(?=<)|(?<=\")-?\d+\.\d+(?=\")", text))
        for _ in range(int(rng.integers(1, 12))):
            if not numbers:
                break
            m = numbers[int(rng.integers(len(numbers)))]
            value = ABSURD_NUMBERS[int(rng.integers(len(ABSURD_NUMBERS)))]
            text = text[: m.start()] + value + text[m.end() :]
            numbers = list(re.finditer(r"(?<=>)-?\d+(\.\d+)?(?=<)|(?<=\")-?\d+\.\d+(?=\")", text))
    else:
        times = list(re.finditer(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", text))
        picks = rng.choice(len(times), size=min(len(times), int(rng.integers(1, 4))), replace=False)
        for k in sorted(picks.tolist(), reverse=True):
            m = times[k]
            value = ABSURD_TIMES[int(rng.integers(len(ABSURD_TIMES)))]
            text = text[: m.start()] + value + text[m.end() :]
    return text.encode("utf-8")


def _fit_mutation(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 40))):
        i = int(rng.integers(14, max(15, len(out) - 6)))
        out[i : i + 4] = FIT_VALUES[int(rng.integers(len(FIT_VALUES)))]
    return bytes(out)


def mutants(path: Path, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    raw = path.read_bytes()
    gz = raw[:2] == b"\x1f\x8b"
    content = gzip.decompress(raw) if gz else raw
    xml = content.lstrip()[:1] == b"<"
    out = []
    for k in range(MUTANTS_PER_FILE):
        choice = rng.random()
        if choice < 0.45:
            mutated = _xml_mutation(content, rng) if xml else _fit_mutation(content, rng)
        else:
            mutated = _bytes_mutation(content, rng)
        if gz:
            mutated = gzip.compress(mutated)
            if rng.random() < 0.3:  # damage the compressed stream itself
                mutated = _bytes_mutation(mutated, rng)
        suffix = "".join(path.suffixes[-2:]) if gz else path.suffix
        out.append((f"{path.stem.split('.')[0]}-m{k:02d}{suffix}", mutated))
    return out


def _check_activity(activity: Activity, label: str) -> None:
    assert activity.start >= MIN_START, label
    for name, (low, high, _unit) in SUMMARY_BOUNDS.items():
        value = getattr(activity, name)
        assert value is None or (math.isfinite(value) and low <= value <= high), (label, name, value)
    for name, values in activity.streams.items():
        assert not np.isinf(values).any(), (label, name)
        if name in STREAM_BOUNDS:
            low, high, _unit = STREAM_BOUNDS[name]
            finite = values[np.isfinite(values)]
            assert ((finite >= low) & (finite <= high)).all(), (label, name)
    t = activity.streams.get("t")
    if t is not None and len(t) > 1:
        assert np.isfinite(t).all() and (np.diff(t) >= 0).all(), label


def _strict_json(text: str) -> object:
    def refuse(token: str) -> None:
        raise AssertionError(f"non-finite number {token} in JSON output")

    return json.loads(text, parse_constant=refuse)


def test_mutated_files_import_what_is_valid_or_fail_cleanly(tmp_path: Path) -> None:
    base = fixtures_dir()
    rng = np.random.default_rng(SEED)
    folder = tmp_path / "mutants"
    folder.mkdir()
    read_ok = refused = 0
    for relative in FILES:
        for label, data in mutants(base / relative, rng):
            try:
                found = read_activity_bytes(data, label)
            except BadFileError as exc:
                assert exc.reason and exc.name == label
                refused += 1
            else:
                read_ok += 1
                for activity in found:
                    _check_activity(activity, label)
            (folder / label).write_bytes(data)
    assert read_ok > 50 and refused > 20, (read_ok, refused)  # the fuzz reaches both paths

    db = tmp_path / "fuzz.sqlite"
    engine = open_store(database_url(str(db)))
    summary = import_paths(engine, [str(folder)], sports=None, workers=1)
    for outcome in summary.outcomes:
        assert not outcome.reason.startswith(("could not be read (", "could not be stored (")), outcome
    assert summary.counts["imported"] + summary.counts["merged"] > 20
    numeric = [c for c in activities.c if c.type.python_type is float]
    with engine.connect() as conn:
        rows = conn.execute(select(activities.c.id, *numeric)).all()
        for row in rows:
            for value in row[1:]:
                assert value is None or math.isfinite(value), row
            for name, values in load_streams(conn, row.id).items():
                assert not np.isinf(values).any(), (row.id, name)
    engine.dispose()
    runner = CliRunner()
    listed = runner.invoke(app, ["--db", str(db), "runs", "--json", "--sport", "all"])
    assert listed.exit_code == 0, listed.output
    runs = _strict_json(listed.stdout)
    assert isinstance(runs, list) and len(runs) == len(rows)
    for run in runs[:: max(1, len(runs) // 10)]:
        shown = runner.invoke(app, ["--db", str(db), "show", str(run["id"]), "--json"])
        assert shown.exit_code == 0, shown.output
        _strict_json(shown.stdout)
    plain = runner.invoke(app, ["--db", str(db), "runs", "--sport", "all"])
    assert plain.exit_code == 0 and "Traceback" not in plain.output


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzz_mutations_are_deterministic(seed: int) -> None:
    path = fixtures_dir() / FILES[3]
    first = mutants(path, np.random.default_rng(seed))
    again = mutants(path, np.random.default_rng(seed))
    assert first == again
