"""A generator of Apple Health "Export All Health Data" archives, for tests and benchmarks.

It writes what the Health app writes: ``apple_health_export/export.xml`` opening with Apple's DTD (the
internal subset at the top of every export), ``Record`` elements grouped by type, then ``Correlation``,
``Workout`` and ``ActivitySummary`` elements, and one GPX file per route in
``apple_health_export/workout-routes/``. The quirks of real exports are reproduced on purpose:

- dates as ``2024-03-05 07:12:45 +0100``: local wall-clock time with the offset of that day (daylight
  saving time changes it within one export);
- the unit on every record (``count/min``, ``km`` or ``mi``, ``kg`` or ``lb``, ``km/hr``, ``cm`` ...), a
  runner's choice that can change between records of one type;
- two sources recording at once (``Anna’s Apple Watch`` and ``Anna’s iPhone`` both count steps and
  distance, so adding both double-counts), with a typographic apostrophe in the names;
- workouts from older exports with ``totalDistance`` attributes and from newer ones with
  ``WorkoutStatistics`` only; a run with no route (treadmill, ``HKIndoorWorkout``); a run whose route
  is split over two GPX files; pauses and resumes; segment, marker and lap events;
- records with children (heart rate variability with ``InstantaneousBeatsPerMinute``), correlations.

:func:`write_health_export` returns the truth of every generated run so tests can compare the import
against it. ``filler_bytes`` pads the export with day-long background records (heart rate, steps,
energy) up to about that size, for the memory and speed benchmark.
"""

from __future__ import annotations

from backstride.simulate.health_export.runs import LB_KG, MILE_M, HealthRun, Weighing, default_runs
from backstride.simulate.health_export.writer import HealthExport, write_health_export

__all__ = ["LB_KG", "MILE_M", "HealthExport", "HealthRun", "Weighing", "default_runs", "write_health_export"]
