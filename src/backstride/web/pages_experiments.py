"""The n-of-1 experiments: the list, one experiment (calendar, analysis, report, .ics), and starting one.

- ``GET /experiments``, ``GET /experiments/{id}``, ``GET /experiments/{id}.ics``: the runner's
  experiments from :mod:`backstride.experiments` (every query scoped to the runner: another runner's id
  is a 404). An experiment past its last day reads "finished" even while its stored status is running.
- Starting one: :mod:`backstride.web.pages_experiment_new`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from backstride.errors import NotFoundError
from backstride.experiments.store import Experiment
from backstride.units import localize
from backstride.web.csrf import check_csrf
from backstride.web.request_models import MAX_ID
from backstride.web.state import State
from backstride.web.templating import page_basics, render
from backstride.web.viewer import Who, units_for

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)

#: The chart of an experiment's report is drawn this wide (SVG units = CSS px at its natural size), so
#: its 10-unit labels stay readable on a phone (about 9.5 px at 375 px), 10 px on a desktop.
CHART_WIDTH = 360


def _experiment_id(experiment_id: int) -> int:
    if not 1 <= experiment_id <= MAX_ID:
        raise NotFoundError(f"no experiment with id {experiment_id}")
    return experiment_id


def shown_status(exp: Experiment, day: date) -> str:
    """What the pages call the experiment's state: ``finished`` once its last day has passed,
    ``planned`` before its first, else the stored status (``running`` or ``stopped``)."""
    if exp.status == "running" and day > exp.end_date:
        return "finished"
    if exp.status == "running" and day < exp.start_date:
        return "planned"
    return exp.status


@dataclass(frozen=True)
class CalendarDay:
    """One day of an experiment's calendar: its period's condition (``None`` outside the schedule)."""

    day: date
    condition: str | None
    period: int | None  # 1-based
    washout: bool
    today: bool


def calendar_weeks(exp: Experiment, today: date) -> list[list[CalendarDay]]:
    """The experiment's days as weeks Monday to Sunday, from the week of its start to that of its end."""
    by_day: dict[date, tuple[str, int, bool]] = {}
    for p in exp.schedule:
        for offset in range((p.end - p.start).days + 1):
            day = p.start + timedelta(days=offset)
            by_day[day] = (p.condition, p.index + 1, p.in_washout(day))
    first = exp.start_date - timedelta(days=exp.start_date.weekday())
    last = exp.end_date + timedelta(days=6 - exp.end_date.weekday())
    weeks: list[list[CalendarDay]] = []
    day = first
    while day <= last:
        found = by_day.get(day)
        cell = CalendarDay(
            day,
            None if found is None else found[0],
            None if found is None else found[1],
            False if found is None else found[2],
            day == today,
        )
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(cell)
        day += timedelta(days=1)
    return weeks


@router.get("/experiments")
def experiments_page(request: Request, who: Who, state: State) -> Response:
    from backstride.experiments import follow, service, store

    day = follow.now_local_day()
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        found = store.list_experiments(conn, who.user_id)
    rows = []
    for exp in found:
        now = None
        if exp.status == "running" and exp.start_date <= day <= exp.end_date:
            now = follow.today(exp, service.resolve_remedy(exp.remedy), day)
        rows.append({"exp": exp, "today": now, "status": shown_status(exp, day)})
    return render(request, who, "experiments.html", {"rows": rows, "day": day}, basics=basics)


@router.get("/experiments/today")
def experiments_today(who: Who, state: State) -> Response:
    """A fragment for the dashboard (loaded by HTMX, so the cached dashboard stays valid): what each
    running experiment asks for today, or nothing when none runs."""
    from backstride.experiments import follow, service, store

    day = follow.now_local_day()
    with state.engine.connect() as conn:
        found = store.list_experiments(conn, who.user_id)
    items = []
    for exp in found:
        if exp.status == "running" and exp.start_date <= day <= exp.end_date:
            now = follow.today(exp, service.resolve_remedy(exp.remedy), day)
            unit = units_for(state, who)
            items.append(
                Markup('<li><a href="/experiments/{}">{}</a>: {}</li>').format(
                    exp.id, exp.title, localize(now["do"], unit)
                )
            )
    if not items:
        return Response("", media_type="text/html")
    body = Markup('<section class="card" data-testid="dashboard-experiment"><h2>Experiment today</h2><ul>')
    return Response(body + Markup("").join(items) + Markup("</ul></section>"), media_type="text/html")


@router.get("/experiments/{experiment_id}.ics")
def experiment_ics(who: Who, state: State, experiment_id: int) -> Response:
    """The schedule as an iCalendar file (one all-day event per day, with a morning reminder)."""
    from backstride.experiments import follow, service, store

    with state.engine.connect() as conn:
        exp = store.get_experiment(conn, who.user_id, _experiment_id(experiment_id))
    text = follow.to_ics(exp, service.resolve_remedy(exp.remedy))
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="backstride-experiment-{exp.id}.ics"'},
    )


@router.get("/experiments/{experiment_id}")
def experiment_page(request: Request, who: Who, state: State, experiment_id: int) -> Response:
    from backstride.experiments import follow, service, store
    from backstride.report.experiment import report_html

    day = follow.now_local_day()
    with state.engine.connect() as conn:
        basics = page_basics(request, who, conn)
        exp = store.get_experiment(conn, who.user_id, _experiment_id(experiment_id))
        remedy = service.resolve_remedy(exp.remedy)
        logged = store.logged_days(conn, who.user_id, exp.id)
        obs, _, _ = service.experiment_observations(conn, who.user_id, exp)
        analysis = report = None
        if len(obs):
            _, result = service.analyze_experiment(conn, who.user_id, exp.id, as_of=day)
            analysis = result.to_dict()
            # the library escapes what it quotes
            report = Markup(report_html(exp, result, obs, unit=basics.units, chart_width=CHART_WIDTH))
    context = {
        "status": shown_status(exp, day),
        "exp": exp,
        "remedy": remedy,
        "weeks": calendar_weeks(exp, day),
        "periods": exp.schedule,
        "day": day,
        "today": follow.today(exp, remedy, day),
        "adherence": follow.adherence(exp, logged, day),
        "analysis": analysis,
        "report": report,
    }
    return render(request, who, "experiment.html", context, basics=basics)
