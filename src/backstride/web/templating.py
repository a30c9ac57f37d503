"""The Jinja2 environment of the pages: filters for units, and the context every page gets."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection, Engine
from starlette.responses import HTMLResponse, Response

from backstride.units import (
    distance_in,
    format_band,
    format_distance,
    format_duration,
    format_elevation,
    format_pace,
    format_short_distance,
    format_speed,
    localize,
)
from backstride.web.csrf import CSRF_FIELD, form_token
from backstride.web.state import web_state
from backstride.web.viewer import Viewer, display_prefs
from backstride.words import plural

TEMPLATES = Path(__file__).with_name("templates")


#: How run times read on the pages: the runner's local time at the run (the watch's offset).
WHEN = "%a %d %b %Y, %H:%M"


def _local(value: datetime | str | None, offset_s: int | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time as local time at the run (``offset_s``: the watch's UTC offset, seconds)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    return (moment + timedelta(seconds=offset_s or 0)).strftime(fmt)


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    # Every number a page shows for people goes through backstride.units, in the runner's unit.
    env.filters["dist"] = lambda m, unit, digits=2: format_distance(m, unit, digits)
    env.filters["dist_value"] = lambda m, unit: "" if m is None else f"{distance_in(m, unit):.2f}"
    env.filters["short"] = format_short_distance
    env.filters["elev"] = format_elevation
    env.filters["speed"] = format_speed
    env.filters["say"] = localize  # sentences the library writes in metres
    env.filters["plural"] = plural  # {{ count | plural("run") }}
    env.filters["band"] = format_band  # categories named in km (the pool's weekly distance)
    env.filters["duration"] = format_duration
    env.filters["local"] = _local
    env.filters["num"] = _number
    env.globals["pace"] = format_pace
    env.globals["when_format"] = WHEN
    env.globals["csrf_field"] = CSRF_FIELD
    return templates


@dataclass(frozen=True)
class PageBasics:
    """What every page shows besides its content: the display unit, the red-flag banner and whether
    the lap button marks the pain (runs without a press are then offered as "pain-free?")."""

    units: str
    banner: tuple[tuple[str, str], ...] | None
    lap_is_pain: bool = False

    @property
    def banner_dict(self) -> dict[str, str] | None:
        return None if self.banner is None else dict(self.banner)


def red_flag_banner(engine: Engine, user_id: int, conn: Connection | None = None) -> dict[str, str] | None:
    """``{"urgency", "text"}`` of the open red flag that matters most, or ``None`` (read on ``conn``
    when given, else on a connection of its own)."""
    from backstride.plan.screens import banner, open_flags

    if conn is not None:
        result = open_flags(conn, user_id)
    else:
        with engine.connect() as own:
            result = open_flags(own, user_id)
    text = banner(result)
    if result is None or not text:
        return None
    return {"urgency": str(result.urgency), "text": text}


def page_basics(request: Request, who: Viewer, conn: Connection | None = None) -> PageBasics:
    """Units and banner, read once per request (on ``conn`` when given)."""
    state = web_state(request)
    if conn is None:
        with state.engine.connect() as own:
            return page_basics(request, who, own)
    flag = red_flag_banner(state.engine, who.user_id, conn)
    unit, lap_is_pain = display_prefs(state, who, conn)
    return PageBasics(unit, None if flag is None else tuple(sorted(flag.items())), lap_is_pain)


def render_text(
    request: Request,
    who: Viewer,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    basics: PageBasics | None = None,
    csrf: str | None = None,
) -> str:
    """The page as text (see :func:`render`); ``csrf`` replaces the browser's token (for caching)."""
    state = web_state(request)
    found = basics or page_basics(request, who)
    base: dict[str, Any] = {
        "request": request,
        "who": who,
        "units": found.units,
        "lap_is_pain": found.lap_is_pain,
        "csrf": form_token(request) if csrf is None else csrf,
        "multi_user": state.multi_user,
        "banner": found.banner_dict,
    }
    base.update(context or {})
    templates: Jinja2Templates = request.app.state.templates
    return templates.get_template(name).render(base)


def render(
    request: Request,
    who: Viewer,
    name: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
    *,
    basics: PageBasics | None = None,
) -> Response:
    """Render a page with what every page shows: who is looking, units, CSRF token, red-flag banner
    (``basics``: units and banner when the caller has read them already)."""
    return HTMLResponse(render_text(request, who, name, context, basics=basics), status_code=status)
