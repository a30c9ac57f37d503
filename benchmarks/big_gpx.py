"""A large GPX for benchmarks and tests, generated at run time (never committed).

:func:`big_gpx` writes a run sampled every second with position, elevation, heart rate, cadence and
speed in Garmin's TrackPointExtension, as watches export it, until the file reaches the size asked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

#: Bytes of one track point as :func:`big_gpx` writes it (about).
POINT_BYTES = 289


def big_gpx(path: Path, megabytes: float = 60.0, seed: int = 5) -> int:
    """Write a GPX of about ``megabytes`` MB to ``path``; returns the number of track points."""
    rng = np.random.default_rng(seed)
    n = int(megabytes * 1e6 / POINT_BYTES)
    t = np.arange(n, dtype=np.float64)
    speed = 3.0 + 0.3 * np.sin(t / 600.0) + rng.normal(0, 0.05, n)
    heading = np.cumsum(rng.normal(0, 0.01, n))
    lat = 47.0 + np.cumsum(speed * np.cos(heading)) / 111_320.0
    lon = 8.0 + np.cumsum(speed * np.sin(heading)) / (111_320.0 * np.cos(np.radians(47.0)))
    ele = 400 + 50 * np.sin(t / 900.0)
    hr = 140 + 10 * np.sin(t / 700.0)
    cad = 85 + rng.integers(-2, 3, n)
    start = datetime(2025, 3, 1, 7, 0, tzinfo=UTC).timestamp()
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">\n'
        " <trk>\n  <name>Long run</name>\n  <type>running</type>\n  <trkseg>\n"
    )
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        block = 10_000
        for a in range(0, n, block):
            rows = []
            for i in range(a, min(n, a + block)):
                stamp = datetime.fromtimestamp(start + t[i], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                rows.append(
                    f'   <trkpt lat="{lat[i]:.7f}" lon="{lon[i]:.7f}">\n'
                    f"    <ele>{ele[i]:.1f}</ele>\n    <time>{stamp}</time>\n"
                    f"    <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr[i]:.0f}</gpxtpx:hr>"
                    f"<gpxtpx:cad>{cad[i]}</gpxtpx:cad><gpxtpx:speed>{speed[i]:.3f}</gpxtpx:speed>"
                    "</gpxtpx:TrackPointExtension></extensions>\n   </trkpt>\n"
                )
            out.write("".join(rows))
        out.write("  </trkseg>\n </trk>\n</gpx>\n")
    return n
