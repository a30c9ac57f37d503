"""``backstride strava connect | sync | status | disconnect``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from backstride.cli.invocation import state
from backstride.cli.output import console, err_console, handle_errors, print_json
from backstride.errors import ValidationError

strava_app = typer.Typer(help="Connect your Strava account and sync new runs from it.", no_args_is_help=True)


def run_line(outcome: Any) -> str:
    """One line per newly arrived run, saying where to log the pain (the quick log: two taps)."""
    text = f"[green]{outcome.status}[/] {escape(outcome.name)}"
    if outcome.activity_id is not None:
        run = outcome.activity_id
        text += f" -> run {run}: log the pain with 'backstride pain {run}' or at /runs/{run}/log"
    return text


def register(app: typer.Typer) -> None:
    app.add_typer(strava_app, name="strava")


@strava_app.command("connect")
@handle_errors
def connect_command(
    ctx: typer.Context,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id", help="Your Strava API application's client id. Env: BACKSTRIDE_STRAVA_CLIENT_ID."
        ),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", help="Loopback port for Strava's redirect (0: any free one).")
    ] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Only print the address to open.")] = False,
) -> None:
    """Authorise backstride to read your Strava activities (your own API application; see the README).

    The client secret is asked for without echo (or read from BACKSTRIDE_STRAVA_CLIENT_SECRET); it and
    the tokens are kept in your database only, never printed, and not written by 'backstride export'.
    """
    import webbrowser

    from backstride.sync.strava_auth import app_credentials, connect_loopback

    st = state(ctx)
    settings = st.settings
    secret = settings.strava_client_secret
    if (client_id or settings.strava_client_id) and not secret:
        secret = typer.prompt("Strava client secret", hide_input=True)
    credentials = app_credentials(client_id, secret, settings)
    if credentials is None:
        raise ValidationError(
            "give your Strava API application's client id (--client-id, from https://www.strava.com/settings/api)"
        )

    def show(url: str) -> None:
        err_console.print("Open this address to let backstride read your Strava activities:", soft_wrap=True)
        err_console.print(url, soft_wrap=True, markup=False)

    link = connect_loopback(
        st.engine,
        st.user_id,
        *credentials,
        port=port,
        show_url=show,
        open_url=None if no_browser else webbrowser.open,
        base=settings.strava_url,
    )
    console.print(
        f"connected to Strava athlete {link.athlete_id}; run 'backstride strava sync' to fetch your runs"
    )


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationError(f"--since must be a date like 2025-03-01, not {text!r}") from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@strava_app.command("sync")
@handle_errors
def sync_command(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Fetch from this day on (default: where the last sync stopped)."),
    ] = None,
    sport: Annotated[
        list[str] | None,
        typer.Option("--sport", help="Sports to import (repeatable), or 'all'. Default: running."),
    ] = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Stop at Strava's 15-minute limit instead of waiting for it.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Fetch new runs from Strava (streams and laps) and import them; resumes where it stopped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from backstride.cli.imports import print_summary
    from backstride.log.pain import onset_from_first_lap_hook
    from backstride.sync.strava import sync

    st = state(ctx)
    sports = None if sport and "all" in sport else (tuple(sport) if sport else ("running",))
    with Progress(
        TextColumn("syncing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        disable=as_json or not console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("sync", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        def on_wait(message: str, until: datetime) -> None:
            err_console.print(escape(message), soft_wrap=True)

        def on_outcome(outcome: Any) -> None:
            if not as_json and outcome.status in ("imported", "merged"):
                bar.console.print(run_line(outcome), soft_wrap=True)

        result = sync(
            st.engine,
            st.user_id,
            since=_since(since),
            sports=sports,
            wait=not no_wait,
            progress=progress,
            on_wait=on_wait,
            on_saved=onset_from_first_lap_hook,
            on_outcome=on_outcome,
            base=st.settings.strava_url,
        )
    if as_json:
        print_json(result.as_dict())
    else:
        print_summary(result.summary, quick_log=False)  # each new run had its line already
        if result.stopped:
            err_console.print(f"[yellow]stopped[/] {escape(result.stopped)}", soft_wrap=True)
    if result.summary.failed or result.stopped:
        raise typer.Exit(1)


@strava_app.command("status")
@handle_errors
def status_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False
) -> None:
    """Whether Strava is connected, and how far syncing got (no secrets are shown)."""
    from backstride.store.strava import get_link

    st = state(ctx)
    with st.engine.connect() as conn:
        link = get_link(conn, st.user_id)
    data = {
        "connected": bool(link and link.connected),
        "athlete_id": link.athlete_id if link else None,
        "client_id": link.client_id if link else None,
        "scope": link.scope if link else None,
        "synced_until": link.synced_until if link else None,
        "last_sync_at": link.last_sync_at if link else None,
    }
    if as_json:
        print_json(data)
    elif not data["connected"]:
        console.print("Strava is not connected: run 'backstride strava connect --client-id ID'")
    else:
        when = (
            link.synced_until.strftime("%Y-%m-%d %H:%M UTC") if link and link.synced_until else "nothing yet"
        )
        console.print(f"connected to Strava athlete {data['athlete_id']}; synced up to {when}")


@strava_app.command("disconnect")
@handle_errors
def disconnect_command(ctx: typer.Context) -> None:
    """Revoke backstride's access at Strava and delete the stored tokens (your runs stay)."""
    from backstride.sync.strava_auth import disconnect

    st = state(ctx)
    if disconnect(st.engine, st.user_id, base=st.settings.strava_url):
        console.print("disconnected: Strava's access is revoked and the tokens are deleted")
    else:
        console.print("Strava was not connected")
