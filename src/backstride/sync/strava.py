"""``backstride strava sync``: new runs from the runner's Strava account, through the importer path.

1. The activity list since ``--since`` (else since where the last sync got to, else all of it), page by
   page (``after``, ``page``, ``per_page``), oldest first.
2. Other sports are skipped and counted, as for files; activities entered by hand (no recording) are
   skipped like the Strava bulk export's rows without a file.
3. An activity already stored (its identity ``strava:<athlete>:<id>`` is among the stored file hashes) is
   a duplicate and costs no request.
4. Each new run: its streams (``time, distance, latlng, altitude, heartrate, cadence,
   velocity_smooth, grade_smooth, watts``) and laps, the gear's name (once per gear), then
   :func:`backstride.ingest.saving.store_one`: the same de-duplication (a FIT copy of the run merges with
   it), the same lap-button hook.
5. Resume: after each run the position (``synced_until``: the start of the newest activity up to which
   everything is done) is stored, so an interrupted sync (Ctrl-C, a rate limit, a lost connection)
   carries on from there next time.
6. Rate limits: see :mod:`backstride.sync.strava_api`; with ``wait`` the sync sleeps to the next
   15-minute window, else it stops with a message saying when to run it again. The daily limit always
   stops it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, select

from backstride.errors import BadFileError, NotAuthorised, RateLimited, StravaError
from backstride.importers.strava_api import STREAM_KEYS, activity_from_strava, identity, sport_of, start_of
from backstride.ingest.saving import ImportSummary, Outcome, SavedHook, log_failure, store_one
from backstride.store import strava as links
from backstride.store.activities import known_hashes
from backstride.store.schema import activity_files
from backstride.sync.strava_api import StravaClient
from backstride.sync.strava_auth import client_for, refresh

PAGE_SIZE = 100
logger = logging.getLogger(__name__)


@dataclass
class SyncResult:
    summary: ImportSummary
    listed: int
    stopped: str | None = None  # why the sync stopped before the end (a rate limit ...), None if done

    def as_dict(self) -> dict[str, Any]:
        data = self.summary.as_dict()
        data["listed"] = self.listed
        data["stopped"] = self.stopped
        return data


def _label(summary: dict[str, Any]) -> str:
    name = str(summary.get("name") or "").strip()
    return f"strava {summary.get('id')}" + (f" ({name[:60]})" if name else "")


class Getter(Protocol):
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any: ...


def list_activities(
    client: Getter, after: datetime | None, page_size: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    """Every activity (summary) starting after ``after``, oldest first."""
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        params: dict[str, Any] = {"page": page, "per_page": page_size}
        if after is not None:
            params["after"] = int(after.timestamp())
        batch = client.get("/athlete/activities", params)
        if not isinstance(batch, list):
            raise StravaError("Strava's activity list is not a list")
        found.extend(item for item in batch if isinstance(item, dict) and "id" in item)
        if len(batch) < page_size:
            break
        page += 1
    found.sort(key=lambda item: (str(item.get("start_date") or ""), int(item["id"])))
    return found


def _stored(engine: Engine, user_id: int, identities: list[str]) -> dict[str, int]:
    with engine.connect() as conn:
        known = known_hashes(conn, user_id, identities)
        if not known:
            return {}
        rows = conn.execute(
            select(activity_files.c.sha256, activity_files.c.activity_id).where(
                activity_files.c.user_id == user_id, activity_files.c.sha256.in_(list(known))
            )
        )
        return {row[0]: int(row[1]) for row in rows}


class _Session:
    """One sync's calls, refreshing the token once when Strava answers 401."""

    def __init__(self, engine: Engine, user_id: int, client: StravaClient) -> None:
        self.engine, self.user_id, self.client = engine, user_id, client
        self.gear: dict[str, str | None] = {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self.client.get(path, params)
        except NotAuthorised:
            with self.engine.connect() as conn:
                link = links.get_link(conn, self.user_id)
            if link is None or not link.connected:
                raise
            refresh(self.engine, self.client, link)
            return self.client.get(path, params)

    def gear_name(self, gear_id: Any) -> str | None:
        if not gear_id:
            return None
        key = str(gear_id)
        if key not in self.gear:
            try:
                data = self.get(f"/gear/{key}")
                self.gear[key] = str(data.get("name") or "").strip()[:200] or None
            except StravaError as exc:  # the run is imported without its shoe's name
                logger.info("Strava gear %s: no name (%s)", key, exc, exc_info=exc)
                self.gear[key] = None
        return self.gear[key]


def sync(
    engine: Engine,
    user_id: int,
    *,
    since: datetime | None = None,
    sports: Sequence[str] | None = ("running",),
    wait: bool = True,
    progress: Callable[[int, int], None] | None = None,
    on_wait: Callable[[str, datetime], None] | None = None,
    on_saved: SavedHook | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    page_size: int = PAGE_SIZE,
    **client_options: Any,
) -> SyncResult:
    """Fetch and import the runner's new Strava activities (see the module's docstring)."""
    client = client_for(engine, user_id, wait=wait, on_wait=on_wait, **client_options)
    summary = ImportSummary()
    try:
        with engine.connect() as conn:
            link = links.get_link(conn, user_id)
        assert link is not None
        session = _Session(engine, user_id, client)
        after = since if since is not None else link.synced_until
        if after is not None and since is None:
            after -= timedelta(seconds=1)
        try:
            listed = list_activities(session, after, page_size)
        except RateLimited as exc:
            return SyncResult(summary, 0, str(exc))
        result = SyncResult(summary, len(listed))
        stored = _stored(engine, user_id, [identity(link.athlete_id, int(a["id"])) for a in listed])
        done_until: datetime | None = None
        in_order = True
        total = len(listed)
        if progress:
            progress(0, total)
        for done, item in enumerate(listed, start=1):
            outcome: Outcome | None = None
            try:
                outcome = _one(engine, user_id, session, link.athlete_id, item, stored, sports, on_saved)
            except RateLimited as exc:
                result.stopped = str(exc)
                break
            except (StravaError, BadFileError) as exc:
                reason = exc.reason if isinstance(exc, BadFileError) else str(exc)
                outcome = Outcome(_label(item), "failed", reason)
                log_failure(outcome.name, reason, exc)
            summary.outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
            if outcome.status == "failed":
                in_order = False
            elif in_order:
                done_until = start_of(item)
                with engine.begin() as conn:
                    links.set_synced(conn, user_id, done_until, datetime.now(UTC))
            if progress:
                progress(done, total)
        with engine.begin() as conn:
            links.set_synced(conn, user_id, None, datetime.now(UTC))
        return result
    finally:
        client.close()


def _one(
    engine: Engine,
    user_id: int,
    session: _Session,
    athlete_id: int | None,
    item: dict[str, Any],
    stored: dict[str, int],
    sports: Sequence[str] | None,
    on_saved: SavedHook | None,
) -> Outcome:
    label = _label(item)
    sport, _ = sport_of(item)
    if sports is not None and sport not in sports:
        return Outcome(
            label, "skipped", f"{sport}, not a run (use --sport {sport} or --sport all)", sport=sport
        )
    key = identity(athlete_id, int(item["id"]))
    if key in stored:
        return Outcome(label, "duplicate", "", stored[key], sport)
    if item.get("manual"):
        return Outcome(label, "skipped", "entered by hand on Strava (no recording); skipped", sport=sport)
    activity_id = int(item["id"])
    streams = session.get(
        f"/activities/{activity_id}/streams", {"keys": ",".join(STREAM_KEYS), "key_by_type": "true"}
    )
    laps = session.get(f"/activities/{activity_id}/laps")
    activity = activity_from_strava(
        item,
        streams if isinstance(streams, dict) else {},
        laps if isinstance(laps, list) else [],
        athlete_id,
        session.gear_name(item.get("gear_id")),
    )
    return store_one(engine, label, activity, user_id, sports, on_saved)


__all__ = ["PAGE_SIZE", "SyncResult", "list_activities", "sync"]
