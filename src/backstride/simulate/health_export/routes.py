"""Workout routes: where a simulated run is at each second, and its GPX files in ``workout-routes/``."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone

from backstride.simulate.health_export.runs import HealthRun


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Track:
    """Where a generated run is at each second: an out-and-back along a bearing, with hills."""

    def __init__(self, run: HealthRun, rng: random.Random) -> None:
        self.run = run
        self.lat0 = 52.37 + rng.uniform(-0.05, 0.05)
        self.lon0 = 4.89 + rng.uniform(-0.05, 0.05)
        self.bearing = rng.uniform(0, 2 * math.pi)

    def at(self, epoch: float) -> tuple[float, float, float, float]:
        """(lat, lon, altitude, distance so far) at ``epoch``."""
        metres = self.run.speed_ms * self.run.active_at(epoch - self.run.start)
        along = metres if metres < self.run.distance_m / 2 else self.run.distance_m - metres
        north = along * math.cos(self.bearing)
        east = along * math.sin(self.bearing)
        lat = self.lat0 + north / 111_320.0
        lon = self.lon0 + east / (111_320.0 * math.cos(math.radians(self.lat0)))
        alt = 12.0 + 8.0 * math.sin(along / 400.0)
        return lat, lon, alt, metres


def route_name(run: HealthRun, part: int) -> str:
    local = datetime.fromtimestamp(run.start, tz=timezone(timedelta(seconds=run.offset_s)))
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    name = f"route_{local:%Y-%m-%d}_{hour}.{local:%M}{suffix}"
    return f"{name}_{part + 1}.gpx" if part else f"{name}.gpx"


def route_gpx(run: HealthRun, track: Track, t0: float, t1: float) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="Apple Health Export" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f" <metadata>\n  <time>{iso(t0)}</time>\n </metadata>\n <trk>\n  <name>Route {iso(t0)[:10]}</name>\n"
        "  <trkseg>\n"
    ]
    epoch = t0
    while epoch <= t1:
        if not run.paused(epoch):
            lat, lon, alt, _ = track.at(epoch)
            parts.append(
                f'   <trkpt lon="{lon:.6f}" lat="{lat:.6f}"><ele>{alt:.2f}</ele><time>{iso(epoch)}</time>'
                f"<extensions><speed>{run.speed_ms:.2f}</speed><course>{math.degrees(track.bearing):.1f}"
                "</course><hAcc>3.2</hAcc><vAcc>2.1</vAcc></extensions></trkpt>\n"
            )
        epoch += 1.0
    parts.append("  </trkseg>\n </trk>\n</gpx>\n")
    return "".join(parts)


__all__ = ["Track", "iso", "route_gpx", "route_name"]
