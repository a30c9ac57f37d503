"""Pages about runs: the dashboard, the runs list, one run with its chart, and the quick log."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection, select
from starlette.responses import Response

from backstride.log.context import LOADS, SURFACES, get_context, set_context
from backstride.log.onset import first_manual_press
from backstride.log.pain import LOCATIONS, confirm_pain, record_pain
from backstride.runview import run_detail
from backstride.store.activities import load_laps
from backstride.store.codec import decode_streams
from backstride.store.schema import streams
from backstride.units import distance_in
from backstride.web import services
from backstride.web.chart import Chart, build_chart
from backstride.web.context import State, WebState, Who, Writer, check_csrf, form_token, units_for
from backstride.web.inputs import MAX_ID, day_end, day_start, no_nul_text, optional_day, optional_distance
from backstride.web.templating import page_basics, render, render_text

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)

PAGE_SIZE = 50
#: The quick log's answers to "Pain?", and what each records.
QUICK_CHOICES = ("none", "pump", "cramp", "stopped")
QUICK_LOCATIONS = ("lower-back", "upper-glute", "hamstring", "hip-flexor", "other")


def _run_id(run_id: int) -> int:
    if not 1 <= run_id <= MAX_ID:
        from backstride.errors import NotFoundError

        raise NotFoundError(f"no run with id {run_id}")
    return run_id


RECENT_RUNS = 10


@router.get("/")
def dashboard(request: Request, who: Who, state: State) -> Response:
    """The dashboard. Its data is read afresh every time; the page is rendered again only when that
    data (or who looks, units, the banner, the day) changed: see :mod:`backstride.web.pagecache`."""
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        recent = services.runs_rows(conn, who.user_id, services.RunFilter(), limit=RECENT_RUNS)
        data, total = services.version_and_runs(conn, who.user_id)
        version = services.overview_key(who.user_id, data)
        key = (
            "dashboard",
            (who.account_id, who.user_id, who.username, who.read_only, who.owner_name),
            state.multi_user,
            basics,
            total,
            tuple(tuple(row.items()) for row in recent),
            version,
        )

        def make(placeholder: str) -> str:
            from backstride.plan.referral import referral_for_user

            overview = services.pain_free_overview(state.engine, who.user_id, state.cache, conn=conn)
            referral = referral_for_user(conn, who.user_id, unit=units_for(state, who, conn))
            context = {"recent": recent, "total": total, "overview": overview, "referral": referral}
            return render_text(request, who, "dashboard.html", context, basics=basics, csrf=placeholder)

        return state.pages.page(key, form_token(request), make)


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
    unit = units_for(state, who)
    filters = services.RunFilter(
        since=day_start(optional_day(since, "from")),
        until=day_end(optional_day(until, "to")),
        pain=pain if pain in services.PAIN_FILTERS else None,
        min_m=optional_distance(min_distance, unit),
        max_m=optional_distance(max_distance, unit),
        text=no_nul_text(q).strip() if q else None,
    )
    with state.engine.connect() as conn:
        rows, total = services.runs_page(conn, who.user_id, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
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
            "filters": services.PAIN_FILTERS,
        },
    )


def _chart(state: WebState, conn: Connection, detail: dict[str, Any], unit: str) -> Chart | None:
    """The run's chart, drawn again only when its streams (hash of the stored bytes), laps, pain
    report or the unit changed."""
    row = conn.execute(
        select(streams.c.codec, streams.c.columns, streams.c.data).where(
            streams.c.activity_id == detail["id"]
        )
    ).first()
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
    found: Chart | None = state.charts.get(key)
    if found is None:
        found = build_chart(
            decode_streams(row.codec, row.columns, row.data), detail["lap_list"], detail["pain"], unit
        )
        state.charts.put(key, found)
    return found


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: int, who: Who, state: State) -> Response:
    with state.engine.connect() as conn:
        detail = run_detail(conn, who.user_id, _run_id(run_id))
        context = get_context(conn, who.user_id, detail["id"])
        basics = page_basics(request, who, conn)
        chart = _chart(state, conn, detail, basics.units)
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
        },
        basics=basics,
    )


def _prefill(conn: Any, run: dict[str, Any], unit: str) -> tuple[str, str]:
    """The onset to prefill (display unit) and where it came from."""
    report = run.get("pain")
    if report and report.get("onset_m") is not None:
        return f"{distance_in(report['onset_m'], unit):.2f}{unit}", "your report"
    press = first_manual_press(load_laps(conn, run["id"]))
    if press is not None and press.end_m is not None:
        return f"{distance_in(press.end_m, unit):.2f}{unit}", "your first lap press"
    return "", ""


@router.get("/runs/{run_id}/log")
def quick_log(request: Request, run_id: int, who: Writer, state: State) -> Response:
    unit = units_for(state, who)
    with state.engine.connect() as conn:
        run = run_detail(conn, who.user_id, _run_id(run_id))
        onset, origin = _prefill(conn, run, unit)
    return render(
        request,
        who,
        "quicklog.html",
        {
            "run": run,
            "onset": onset,
            "onset_origin": origin,
            "choices": QUICK_CHOICES,
            "locations": QUICK_LOCATIONS,
            "all_locations": LOCATIONS,
        },
    )


@router.post("/runs/{run_id}/log")
def quick_log_save(
    run_id: int,
    who: Writer,
    state: State,
    pain: Annotated[str, Form()],
    onset: Annotated[str | None, Form(max_length=100)] = None,
    severity: Annotated[int | None, Form(ge=0, le=10)] = None,
    locations: Annotated[list[str] | None, Form(max_length=20)] = None,
    notes: Annotated[str | None, Form(max_length=5000)] = None,
) -> Response:
    """Save the quick log: none = pain-free; pump/cramp = pain of that quality from the onset;
    stopped = pain from the onset that made the runner stop at the end of the run."""
    from backstride.errors import ValidationError

    if pain not in QUICK_CHOICES:
        raise ValidationError(f"Pain? must be one of {', '.join(QUICK_CHOICES)}")
    unit = units_for(state, who)
    with state.engine.begin() as conn:
        run = run_detail(conn, who.user_id, _run_id(run_id))
        text = no_nul_text(notes).strip() if notes else None
        if pain == "none":
            record_pain(conn, who.user_id, run_id, status="none", notes=text, source="web")
        else:
            where = no_nul_text(onset).strip() if onset and onset.strip() else None
            stages: list[tuple[str, str]] = []
            if where and pain in ("pump", "cramp"):
                stages.append((pain, where))
            if pain == "stopped" and run.get("distance_m"):
                stages.append(("stopped", f"{run['distance_m']:.1f}m"))
            record_pain(
                conn,
                who.user_id,
                run_id,
                onset=where,
                severity=severity,
                locations=[no_nul_text(x) for x in locations or []],
                qualities=[pain] if pain in ("pump", "cramp") else [],
                stages=stages,
                notes=text,
                source="web",
                default_unit=unit,
            )
    return RedirectResponse(f"/runs/{run_id}?logged=1#chart", status_code=303)


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
    except ValueError:
        raise ValidationError(f"sleep: not a number of hours: {sleep_h!r}") from None
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
