"""Pages about runs: the dashboard, the runs list, one run with its chart, and the quick log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from backstride.errors import ValidationError
from backstride.log.pain import confirm_pain, get_pain, record_pain
from backstride.log.pending import offered_pain_free
from backstride.log.run_tags import LOADS, SURFACES, get_context, set_context
from backstride.runview import run_detail
from backstride.store.activities import stored_streams
from backstride.store.codec import decode_streams
from backstride.store.data_version import overview_key, version_and_runs
from backstride.store.run_list import PAIN_FILTERS, RunFilter, runs_page, runs_rows
from backstride.web import quicklog
from backstride.web.chart import Chart, build_chart
from backstride.web.csrf import check_csrf, form_token
from backstride.web.request_models import (
    MAX_ID,
    day_end,
    day_start,
    no_nul_text,
    optional_day,
    optional_distance,
)
from backstride.web.state import State, WebState
from backstride.web.templating import page_basics, render, render_text
from backstride.web.viewer import Viewer, Who, Writer, units_for

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)

PAGE_SIZE = 50
#: What the run page says after the quick log, by what its Save did (see quicklog.save).
LOGGED = {
    "saved": "Saved.",
    "unchanged": "Nothing changed: the report stays as it was.",
    "confirmed": "Confirmed as it stands.",
    "pain-free": "Saved as pain-free.",
}


def _run_id(run_id: int) -> int:
    if not 1 <= run_id <= MAX_ID:
        from backstride.errors import NotFoundError

        raise NotFoundError(f"no run with id {run_id}")
    return run_id


RECENT_RUNS = 10


def _offers(conn: Connection, rows: list[dict[str, Any]]) -> frozenset[int]:
    """The runs of a page to offer as "pain-free?" (those with no report: :func:`offered_pain_free`)."""
    return offered_pain_free(conn, [int(r["id"]) for r in rows if r.get("pain_status") is None])


@router.get("/")
async def dashboard(request: Request, who: Who, state: State) -> Response:
    """The dashboard. Its data is read afresh every time; the page is rendered again only when that
    data (or who looks, units, the banner, the day) changed: see :mod:`backstride.web.pagecache`.

    On SQLite the reads behind the key are a few indexed queries in this process, Python work that
    a worker thread would only slow down (the hop there and back, and the GIL): they run on the
    event loop, and a page already rendered goes out from there. On PostgreSQL they wait on the
    network, so they run in a worker thread like every other page's. Rendering a new page (the
    pain-free overview can take a second or more) always runs in a worker thread."""
    if state.engine.dialect.name != "sqlite":
        return await run_in_threadpool(_dashboard_page, request, who, state)
    key, make = _dashboard_key(request, who, state)
    token = form_token(request)
    stored = state.pages.cached(key, token)
    if stored is not None:
        return stored
    return await run_in_threadpool(state.pages.page, key, token, make)


def _dashboard_page(request: Request, who: Viewer, state: WebState) -> Response:
    key, make = _dashboard_key(request, who, state)
    return state.pages.page(key, form_token(request), make)


def _dashboard_key(
    request: Request, who: Viewer, state: WebState
) -> tuple[tuple[Any, ...], Callable[[str], str]]:
    """The dashboard's cache key (everything it shows but the overview, read now) and what renders
    it (given the CSRF placeholder)."""
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        recent = runs_rows(conn, who.user_id, RunFilter(), limit=RECENT_RUNS)
        data, total = version_and_runs(conn, who.user_id)
        offers = _offers(conn, recent) if basics.lap_is_pain else frozenset()
    key = (
        "dashboard",
        (who.account_id, who.user_id, who.username, who.read_only, who.owner_name),
        state.multi_user,
        basics,
        total,
        tuple(tuple(row.items()) for row in recent),
        offers,
        overview_key(who.user_id, data),
    )

    def make(placeholder: str) -> str:
        from backstride.analysis.overview import cached_overview
        from backstride.plan.referral import referral_for_user

        with state.engine.connect() as conn:
            overview = cached_overview(conn, who.user_id, state.overviews)
            referral = referral_for_user(conn, who.user_id, unit=basics.units)
        context = {
            "recent": recent,
            "total": total,
            "overview": overview,
            "offers": offers,
            "referral": referral,
        }
        return render_text(request, who, "dashboard.html", context, basics=basics, csrf=placeholder)

    return key, make


@router.get("/runs")
def runs_list(
    request: Request,
    who: Who,
    state: State,
    since: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    pain: Annotated[str | None, Query()] = None,
    min_distance: Annotated[str | None, Query()] = None,
    max_distance: Annotated[str | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
    unit = basics.units
    filters = RunFilter(
        since=day_start(optional_day(since, "from")),
        until=day_end(optional_day(until, "to")),
        pain=pain if pain in PAIN_FILTERS else None,
        min_m=optional_distance(min_distance, unit),
        max_m=optional_distance(max_distance, unit),
        text=no_nul_text(q).strip() if q else None,
    )
    with state.engine.connect() as conn:
        rows, total = runs_page(conn, who.user_id, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        offers = _offers(conn, rows) if basics.lap_is_pain else frozenset()
    args = {
        "since": since or "",
        "until": until or "",
        "pain": filters.pain or "",
        "min_distance": min_distance or "",
        "max_distance": max_distance or "",
        "q": q or "",
    }
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        who,
        "runs.html",
        {
            "runs": rows,
            "total": total,
            "page": page,
            "pages": pages,
            "args": args,
            "filters": PAIN_FILTERS,
            "offers": offers,
        },
        basics=basics,
    )


def _chart(state: WebState, conn: Connection, detail: dict[str, Any], unit: str) -> Chart | None:
    """The run's chart, drawn again only when its streams (hash of the stored bytes), laps, pain
    report or the unit changed."""
    row = stored_streams(conn, detail["id"])
    if row is None:
        return None
    marks = json.dumps([detail["lap_list"], detail["pain"]], sort_keys=True, default=str)
    key = (
        detail["id"],
        hashlib.blake2b(row.data, digest_size=16).digest(),
        row.codec,
        row.columns,
        marks,
        unit,
    )
    found: Chart | None = state.charts.get_or_make(
        key,
        lambda: build_chart(
            decode_streams(row.codec, row.columns, row.data), detail["lap_list"], detail["pain"], unit
        ),
    )
    return found


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: int, who: Who, state: State) -> Response:
    with state.engine.connect() as conn:
        detail = run_detail(conn, who.user_id, _run_id(run_id))
        context = get_context(conn, who.user_id, detail["id"])
        basics = page_basics(request, who, conn)
        chart = _chart(state, conn, detail, basics.units)
    offer = basics.lap_is_pain and detail.get("pain") is None and not _pressed(detail)
    logged = request.query_params.get("logged")
    return render(
        request,
        who,
        "run.html",
        {
            "run": detail,
            "chart": chart,
            "context": context,
            "surfaces": SURFACES,
            "loads": LOADS,
            "offer_pain_free": offer,
            "logged": LOGGED.get(logged or "", LOGGED["saved"] if logged else None),
        },
        basics=basics,
    )


def _pressed(detail: dict[str, Any]) -> bool:
    """Whether the run has a manual lap press (not counting the final lap, closed by stopping)."""
    triggers = [lap.get("trigger") for lap in detail.get("lap_list") or []]
    return "manual" in triggers[:-1]


@router.get("/runs/{run_id}/log")
def quick_log(request: Request, run_id: int, who: Writer, state: State) -> Response:
    """The quick log, opened on the run's stored report (or its first lap press)."""
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        run = run_detail(conn, who.user_id, _run_id(run_id))
        view = quicklog.view_for(conn, run, basics.units, basics.lap_is_pain)
    return render(
        request,
        who,
        "quicklog.html",
        {"run": run, "view": view, "form": view.form, "choices": quicklog.CHOICES},
        basics=basics,
    )


@router.post("/runs/{run_id}/log")
def quick_log_save(
    run_id: int,
    who: Writer,
    state: State,
    pain: Annotated[str, Form(max_length=20)],
    onset: Annotated[str | None, Form(max_length=100)] = None,
    severity: Annotated[str | None, Form(max_length=5)] = None,
    locations: Annotated[list[str] | None, Form(max_length=20)] = None,
    notes: Annotated[str | None, Form(max_length=5000)] = None,
) -> Response:
    """Save the quick log (see :mod:`backstride.web.quicklog`): a form sent back as it was shown
    writes nothing; a changed one keeps what the form does not show."""
    sent = quicklog.read_form(pain, onset, severity, locations, notes)
    unit = units_for(state, who)
    with state.engine.begin() as conn:
        run = run_detail(conn, who.user_id, _run_id(run_id))
        outcome = quicklog.save(conn, who.user_id, run, sent, unit)
    return RedirectResponse(f"/runs/{run_id}?logged={outcome}#saved", status_code=303)


def _back_to(target: str | None, run_id: int) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"/runs/{run_id}?logged=pain-free#saved"


@router.post("/runs/{run_id}/pain-free")
def pain_free(
    run_id: int, who: Writer, state: State, next: Annotated[str | None, Form(max_length=500)] = None
) -> Response:
    """One tap: the run had no pain (offered for runs with no report and no lap press when the lap
    button marks the pain). A run that has a report keeps it: change that on the quick log."""
    with state.engine.begin() as conn:
        run = run_detail(conn, who.user_id, _run_id(run_id))
        if get_pain(conn, who.user_id, int(run["id"])) is not None:
            raise ValidationError(f"run {run_id} has a report already: change it with Change on its page")
        record_pain(conn, who.user_id, int(run["id"]), status="none", source="web")
    return RedirectResponse(_back_to(next, run_id), status_code=303)


@router.post("/runs/{run_id}/confirm")
def confirm(run_id: int, who: Writer, state: State) -> Response:
    """Confirm a draft report made from the lap button, as it stands."""
    with state.engine.begin() as conn:
        confirm_pain(conn, who.user_id, _run_id(run_id))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/context")
def save_context(
    run_id: int,
    who: Writer,
    state: State,
    surface: Annotated[str | None, Form(max_length=20)] = None,
    loads: Annotated[list[str] | None, Form(max_length=10)] = None,
    headphones: Annotated[str | None, Form(max_length=5)] = None,
    sleep_h: Annotated[str | None, Form(max_length=10)] = None,
    drank: Annotated[str | None, Form(max_length=500)] = None,
    ate: Annotated[str | None, Form(max_length=500)] = None,
    notes: Annotated[str | None, Form(max_length=5000)] = None,
) -> Response:
    """Set the run's context tags (fields left empty keep their value)."""
    from backstride.errors import ValidationError

    try:
        sleep = float(sleep_h) if sleep_h and sleep_h.strip() else None
    except ValueError as exc:
        raise ValidationError(f"sleep: not a number of hours: {sleep_h!r}") from exc
    flags = {"yes": True, "no": False}
    with state.engine.begin() as conn:
        set_context(
            conn,
            who.user_id,
            _run_id(run_id),
            surface=no_nul_text(surface) if surface else None,
            loads=[no_nul_text(x) for x in loads] if loads else None,
            headphones=flags.get(headphones or ""),
            sleep_h=sleep,
            drank=no_nul_text(drank).strip() or None if drank else None,
            ate=no_nul_text(ate).strip() or None if ate else None,
            notes=no_nul_text(notes).strip() or None if notes else None,
        )
    return RedirectResponse(f"/runs/{run_id}#context", status_code=303)
