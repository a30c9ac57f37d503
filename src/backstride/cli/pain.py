"""``backstride pain RUN ...``, ``backstride pain import FILE.csv``, ``backstride pain list``,
``backstride pain pending`` and ``backstride pain confirm`` (lap-button drafts and "pain-free?" runs)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from backstride.cli.invocation import state
from backstride.cli.log_common import default_group, interactive, maybe, need
from backstride.cli.output import JsonList, console, handle_errors, print_json, print_list
from backstride.cli.pain_text import describe, onset_text
from backstride.errors import ValidationError
from backstride.log.pain import (
    LOCATIONS,
    QUALITIES,
    STAGES,
    confirm_pain,
    delete_pain,
    pain_reports,
    record_pain,
)
from backstride.log.pain_csv import import_pain_csv
from backstride.store.activities import resolve_run
from backstride.units import format_distance

#: Rows matching no run that the text output lists one by one; the rest are counted.
UNMATCHED_SHOWN = 10

pain_app = typer.Typer(
    cls=default_group("record"),
    help="Pain reports: one per run (RUN = an id, a date or 'last'), or --none for a pain-free run.",
    no_args_is_help=True,
)


@pain_app.command("record")
@handle_errors
def record_command(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="The run: its id, a date (2025-03-01) or 'last'.")],
    onset: Annotated[
        str | None,
        typer.Option(help="Where it started: 1.2mi, 2km, 800m, 14:30 (elapsed), 'lap 2', or 'unknown'."),
    ] = None,
    from_lap: Annotated[bool, typer.Option("--from-lap", help="Onset = the first manual lap press.")] = False,
    none: Annotated[bool, typer.Option("--none", help="A pain-free run.")] = False,
    severity: Annotated[int | None, typer.Option(help="Peak pain, 0-10.")] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help=f"Location (repeatable): {', '.join(LOCATIONS)}.")
    ] = None,
    quality: Annotated[
        list[str] | None, typer.Option("--quality", help=f"Quality (repeatable): {', '.join(QUALITIES)}.")
    ] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage", help=f"Stage at a position (repeatable): {', '.join(STAGES)}; e.g. cramp@2.1mi."
        ),
    ] = None,
    lasted: Annotated[
        str | None, typer.Option(help="How long it lasted after stopping: 10:00, 20min.")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="Confirm a draft from the lap button.")] = False,
    delete: Annotated[
        bool, typer.Option("--delete", help="Remove the report (the run becomes unknown).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Record the pain report of one run (replacing any earlier one)."""
    st = state(ctx)
    details = {
        "--onset": onset,
        "--from-lap": from_lap,
        "--severity": severity is not None,
        "--where": where,
        "--quality": quality,
        "--stage": stage,
        "--lasted": lasted,
        "--notes": notes,
    }
    refuse_contradictions({"--delete": delete, "--confirm": confirm, "--none": none}, details)
    unit = st.units
    with st.engine.begin() as conn:
        if delete:
            existed = delete_pain(conn, st.user_id, run)
            console.print("removed the pain report" if existed else "there was no pain report")
            return
        if confirm:
            report = confirm_pain(conn, st.user_id, run)
        elif none:
            report = record_pain(conn, st.user_id, run, status="none", notes=notes)

        else:
            run = str(resolve_run(conn, st.user_id, run)["id"])  # an unknown run fails before any prompt
            if not from_lap:
                onset = need(onset, "--onset", "Where did it start (1.2mi, 14:30, lap 2, unknown)")
            severity = need(severity, "--severity", "Peak pain, 0-10", int)
            where = where or _split(maybe(None, f"Where ({', '.join(LOCATIONS)})"))
            quality = quality or _split(maybe(None, f"Quality ({', '.join(QUALITIES)})"))
            report = record_pain(
                conn,
                st.user_id,
                run,
                onset=onset,
                from_lap=from_lap,
                severity=severity,
                locations=where,
                qualities=quality,
                stages=stage or [],
                lasted_after=lasted,
                notes=notes,
                default_unit=unit,
            )
    if as_json:
        print_json(report)
    else:
        console.print(describe(report, unit))


def refuse_contradictions(modes: dict[str, bool], details: dict[str, Any]) -> None:
    """--delete, --confirm and --none each stand alone (--none takes only --notes): refuse the rest."""
    chosen = [name for name, on in modes.items() if on]
    if len(chosen) > 1:
        raise ValidationError(f"{' and '.join(chosen)} contradict each other: give one")
    if not chosen:
        return
    allowed = ("--notes",) if chosen[0] == "--none" else ()
    extra = [name for name, value in details.items() if value and name not in allowed]
    if extra:
        what = {
            "--none": "a pain-free run",
            "--delete": "removing a report",
            "--confirm": "confirming a draft",
        }
        raise ValidationError(
            f"{chosen[0]} ({what[chosen[0]]}) contradicts {', '.join(extra)}: give one or the other"
        )


def _split(text: str | None) -> list[str]:
    return [] if not text else [text]


@pain_app.command("import")
@handle_errors
def import_command(
    ctx: typer.Context,
    path: Annotated[
        str, typer.Argument(help="CSV with columns start, onset, severity, location, quality, notes.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Import pain reports from a spreadsheet (CSV); rows matching no run are listed."""
    st = state(ctx)
    unit = st.units
    with st.engine.begin() as conn:
        result = import_pain_csv(conn, st.user_id, path, default_unit=unit)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(f"saved {len(result.saved)} pain reports")
    for row, start in result.unmatched[:UNMATCHED_SHOWN]:
        console.print(f"[yellow]no run[/] within 2 minutes of {start} (row {row}): not saved")
    if len(result.unmatched) > UNMATCHED_SHOWN:
        more = len(result.unmatched) - UNMATCHED_SHOWN
        console.print(
            f"[yellow]... and {more:,} more rows[/] matched no run ({len(result.unmatched):,} in all; "
            "--json lists every one)"
        )


@pain_app.command("list")
@handle_errors
def list_command(ctx: typer.Context, as_json: JsonList = False) -> None:
    """Runs with a pain report (runs without one are unknown and not listed)."""
    st = state(ctx)
    with st.engine.connect() as conn:
        frame = pain_reports(conn, st.user_id)
    unit = st.units
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records") if as_json else None
    print_list(
        list(frame.itertuples()),
        as_json,
        ("run", "date", "status", "onset", "severity", "where", "source"),
        lambda r: (
            str(r.activity_id),
            r.start_utc.strftime("%Y-%m-%d"),
            r.status,
            "-" if r.status == "none" else onset_text(r._asdict(), unit, r.distance_m, short=True),
            "-" if r.severity is None else str(r.severity),
            ", ".join(r.locations),
            r.source + ("" if r.confirmed else " (draft)"),
        ),
        json_rows=records,
    )


def _when(item: dict[str, Any]) -> str:
    start = item["start_utc"]
    return start.strftime("%Y-%m-%d %H:%M") if start is not None else "?"


@pain_app.command("pending")
@handle_errors
def pending_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print both lists as JSON.")] = False,
) -> None:
    """What waits for an answer: lap-button drafts to confirm, and runs offered as "pain-free?"."""
    from backstride.log.pending import pain_free_candidates, unconfirmed_drafts
    from backstride.store.prefs import get_pref

    st = state(ctx)
    with st.engine.connect() as conn:
        drafts = unconfirmed_drafts(conn, st.user_id)
        offered = pain_free_candidates(conn, st.user_id)
        lap_is_pain = get_pref(conn, st.user_id, "lap_is_pain") == "true"
    if as_json:
        print_json({"lap_is_pain": lap_is_pain, "drafts": drafts, "pain_free_candidates": offered})
        return
    unit = st.units
    for d in drafts:
        console.print(
            f"run {d['activity_id']} ({_when(d)}, {format_distance(d['distance_m'], unit)}): draft onset at "
            f"{format_distance(d['onset_m'], unit)} from the lap button: confirm or correct it"
        )
    for c in offered:
        console.print(
            f"run {c['activity_id']} ({_when(c)}, {format_distance(c['distance_m'], unit)}): "
            "no report and no lap press: pain-free?"
        )
    if not drafts and not offered:
        console.print("nothing waits for an answer")
    elif offered:
        console.print(
            "confirm with: backstride pain confirm RUN ... (or --all-pain-free, or no RUN to be asked)"
        )
    if not lap_is_pain:
        console.print("[dim]runs without a report are offered as pain-free only with lap_is_pain on[/]")


@pain_app.command("confirm")
@handle_errors
def confirm_command(
    ctx: typer.Context,
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Runs to confirm: a draft is confirmed as it stands; an offered run as pain-free."
        ),
    ] = None,
    all_pain_free: Annotated[
        bool, typer.Option("--all-pain-free", help="Record every offered run as pain-free.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was recorded as JSON.")] = False,
) -> None:
    """One tap per run: confirm a lap-button draft, or record an offered run as pain-free. With no RUN
    at a terminal, asks about each offered run in turn."""
    from backstride.log.pending import (
        confirm_all_pain_free,
        confirm_pain_free,
        confirm_run,
        pain_free_candidates,
    )

    st = state(ctx)
    done: list[dict[str, Any]] = []
    with st.engine.begin() as conn:
        if all_pain_free:
            if runs:
                raise ValidationError("give RUN ... or --all-pain-free, not both")
            ids = confirm_all_pain_free(conn, st.user_id)
            done = [{"activity_id": i, "status": "none"} for i in ids]
        elif runs:
            for run in runs:
                activity_id = int(resolve_run(conn, st.user_id, run)["id"])
                done.append({"activity_id": activity_id, **confirm_run(conn, st.user_id, activity_id)})
        elif interactive():
            for c in pain_free_candidates(conn, st.user_id):
                where = f"{_when(c)}, {format_distance(c['distance_m'], st.units)}"
                answer = typer.prompt(f"run {c['activity_id']} ({where}): pain-free? [y/n/q]", default="y")
                if answer.strip().lower().startswith("q"):
                    break
                if answer.strip().lower().startswith("y"):
                    confirm_pain_free(conn, st.user_id, c["activity_id"])
                    done.append({"activity_id": c["activity_id"], "status": "none"})
        else:
            raise ValidationError("give RUN ... or --all-pain-free (no terminal to ask at)")
    if as_json:
        print_json(done)
        return
    console.print(f"recorded {len(done)} runs" if done else "nothing recorded")


def register(app: typer.Typer) -> None:
    app.add_typer(pain_app, name="pain")
