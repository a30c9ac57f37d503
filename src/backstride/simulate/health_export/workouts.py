"""``Workout`` elements: the metadata, the pause, resume, segment and marker events, the statistics
(newer exports) or total attributes (older ones), and the references to the route files."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from backstride.simulate.health_export.records import WATCH, WATCH_DEVICE, Q, stamp
from backstride.simulate.health_export.routes import Track
from backstride.simulate.health_export.runs import MILE_M, HealthRun


def workout_events(run: HealthRun, track: Track) -> list[str]:
    off = run.offset_s
    events: list[str] = []
    for a, b in run.pauses:
        events.append(f'  <WorkoutEvent type="HKWorkoutEventTypePause" date="{stamp(a, off)}"/>\n')
        events.append(f'  <WorkoutEvent type="HKWorkoutEventTypeResume" date="{stamp(b, off)}"/>\n')
    # Automatic splits: a segment per kilometre (or mile), with its duration.
    unit = run.split_unit_m
    previous = run.start
    k = 1
    epoch = run.start
    while epoch < run.end:
        epoch += 1.0
        if track.at(epoch)[3] >= k * unit:
            events.append(
                f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{stamp(previous, off)}" '
                f'duration="{(epoch - previous) / 60:.6f}" durationUnit="min"/>\n'
            )
            previous = epoch
            k += 1
    if run.marker_at_s is not None:
        events.append(
            f'  <WorkoutEvent type="HKWorkoutEventTypeMarker" date="{stamp(run.start + run.marker_at_s, off)}"/>\n'
        )
    return events


def workout_element(run: HealthRun, track: Track, routes: list[str]) -> str:
    off = run.offset_s
    metres = run.distance_m
    dist = metres / 1000 if run.distance_unit == "km" else metres / MILE_M
    distance_type = "DistanceWalkingRunning"
    if run.activity == "HKWorkoutActivityTypeCycling":
        distance_type = "DistanceCycling"
    attrs = f'workoutActivityType="{run.activity}" duration="{run.duration_s / 60:.6f}" durationUnit="min" '
    if run.old_style:
        attrs += (
            f'totalDistance="{dist:.6f}" totalDistanceUnit="{run.distance_unit}" '
            'totalEnergyBurned="512.3" totalEnergyBurnedUnit="kcal" '
        )
    attrs += (
        f'sourceName={quoteattr(WATCH)} sourceVersion="10.1" device="{WATCH_DEVICE}" '
        f'creationDate="{stamp(run.end + 30, off)}" startDate="{stamp(run.start, off)}" '
        f'endDate="{stamp(run.end, off)}"'
    )
    body = [
        f'  <MetadataEntry key="HKIndoorWorkout" value="{1 if run.indoor else 0}"/>\n',
        '  <MetadataEntry key="HKTimeZone" value="Europe/Amsterdam"/>\n',
        '  <MetadataEntry key="HKWeatherTemperature" value="54.5 degF"/>\n',
    ]
    if run.route:
        body.append('  <MetadataEntry key="HKElevationAscended" value="4512 cm"/>\n')
    body.extend(workout_events(run, track))
    if not run.old_style:
        hr_avg = run.hr_base + run.duration_s / 60 / 4
        body.append(
            f'  <WorkoutStatistics type="{Q}{distance_type}" startDate="{stamp(run.start, off)}" '
            f'endDate="{stamp(run.end, off)}" sum="{dist:.6f}" unit="{run.distance_unit}"/>\n'
        )
        body.append(
            f'  <WorkoutStatistics type="{Q}HeartRate" startDate="{stamp(run.start, off)}" '
            f'endDate="{stamp(run.end, off)}" average="{hr_avg:.3f}" minimum="{run.hr_base - 3:.0f}" '
            f'maximum="{hr_avg + run.duration_s / 240 + 3:.0f}" unit="count/min"/>\n'
        )
        body.append(
            f'  <WorkoutStatistics type="{Q}ActiveEnergyBurned" startDate="{stamp(run.start, off)}" '
            f'endDate="{stamp(run.end, off)}" sum="512.3" unit="Cal"/>\n'
        )
    if routes:
        body.append(
            f'  <WorkoutRoute sourceName={quoteattr(WATCH)} sourceVersion="10.1" '
            f'creationDate="{stamp(run.end + 60, off)}" startDate="{stamp(run.start, off)}" '
            f'endDate="{stamp(run.end, off)}">\n'
            '   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>\n'
            '   <MetadataEntry key="HKMetadataKeySyncIdentifier" value="6F1A2B3C-0D4E-4F5A-8B6C-7D8E9F0A1B2C"/>\n'
        )
        for name in routes:
            body.append(f'   <FileReference path="/workout-routes/{name}"/>\n')
        body.append("  </WorkoutRoute>\n")
    return f" <Workout {attrs}>\n{''.join(body)} </Workout>\n"


__all__ = ["workout_element", "workout_events"]
