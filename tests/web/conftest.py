"""Web test helpers: the app in-process through httpx's ASGITransport, driven synchronously.

``local`` is an app in local mode (user 1, no login) on a fresh database (SQLite and PostgreSQL);
``server`` is a multi-user app (https base URL, so Secure cookies round-trip). ``Web`` keeps the
cookies of one browser and knows its CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from sqlalchemy import Engine

from backstride.config import Settings
from backstride.web.app import create_app
from tests.conftest import fixtures_dir

#: A run with two manual lap presses (the first closes lap 2), 3.3 km, with every chart column.
LAP_RUN = "fit/geoactivity__2022-05-29-15-53-35_Laufen_Landal_Park.fit"


class Web:
    """One browser: cookies kept across requests, requests run on the portal's event loop."""

    def __init__(self, portal: BlockingPortal, app: Any, base_url: str) -> None:
        self.portal = portal
        self.app = app
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.portal.call(lambda: self.client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def csrf(self, page: str = "/settings") -> str:
        found = re.search(r'data-csrf="([0-9a-f]+)"', self.get(page).text)
        assert found, "every page carries the CSRF token"
        return found.group(1)

    def form(self, url: str, data: dict[str, Any], page: str = "/settings", **kwargs: Any) -> httpx.Response:
        """POST a form with this browser's CSRF token, as the page's form would."""
        return self.post(url, data={**data, "csrf_token": self.csrf(page)}, **kwargs)

    def upload(self, *paths: Path) -> httpx.Response:
        files = [("files", (p.name, p.read_bytes())) for p in paths]
        return self.post("/api/imports", files=files)

    def close(self) -> None:
        self.portal.call(self.client.aclose)


@pytest.fixture
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as found:
        yield found


@pytest.fixture
def web_settings(engine: Engine, tmp_path: Path) -> Settings:
    """The settings of the ``local`` and ``server`` apps (a test module may override this fixture)."""
    return Settings(db_url=str(engine.url), data_dir=tmp_path)


@pytest.fixture
def local(engine: Engine, web_settings: Settings, portal: BlockingPortal) -> Iterator[Web]:
    app = create_app(web_settings, engine=engine, secret=b"test-secret")
    web = Web(portal, app, "http://127.0.0.1")
    yield web
    web.close()


@pytest.fixture
def server(engine: Engine, web_settings: Settings, portal: BlockingPortal) -> Iterator[Any]:
    """A multi-user app; call it for a new browser."""
    app = create_app(
        web_settings,
        multi_user=True,
        engine=engine,
        secret=b"test-secret",
        allowed_hosts=["backstride.test"],
    )
    browsers: list[Web] = []

    def browser() -> Web:
        web = Web(portal, app, "https://backstride.test")
        browsers.append(web)
        return web

    yield browser
    for web in browsers:
        web.close()


def signup(web: Web, username: str, password: str = "correct horse battery") -> None:
    response = web.post(
        "/register", data={"username": username, "password": password, "csrf_token": web.csrf("/register")}
    )
    assert response.status_code == 303, response.text


def lap_run() -> Path:
    return fixtures_dir() / LAP_RUN


def gpx_run() -> Path:
    """A GPX run with a track and no laps (so no lap press)."""
    return fixtures_dir() / "gpx" / "togeojson__run.gpx"


class _FormReader(HTMLParser):
    """The fields a browser would send for one form of a page, as it stands (unchanged)."""

    def __init__(self, form_testid: str) -> None:
        super().__init__()
        self.testid = form_testid
        self.inside = False
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form" and found.get("data-testid") == self.testid:
            self.inside = True
        if not self.inside or tag != "input" or "name" not in found or "disabled" in found:
            return
        kind = found.get("type", "text")
        if kind in ("radio", "checkbox") and "checked" not in found:
            return
        self.fields.append((found["name"], found.get("value", "on" if kind == "checkbox" else "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_fields(html: str, form_testid: str) -> list[tuple[str, str]]:
    """What submitting the form ``data-testid=form_testid`` untouched would send."""
    reader = _FormReader(form_testid)
    reader.feed(html)
    assert reader.fields, f"no form {form_testid!r} on the page"
    return reader.fields


#: The demo lives up to the week before its ``today``: this day keeps its calendar in Jan-Jun 2024,
#: which the page tests are written against.
DEMO_TODAY = date(2024, 6, 17)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo runner's store, made once per test process; tests work on copies."""
    from backstride.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo"), report=False, today=DEMO_TODAY).db_path


@pytest.fixture
def demo(demo_db: Path, tmp_path: Path, portal: BlockingPortal) -> Iterator[Web]:
    """The app in local mode on a fresh copy of the demo store."""
    import shutil

    from backstride.config import database_url
    from backstride.store.engine import open_store

    db = tmp_path / "demo.sqlite"
    shutil.copy(demo_db, db)
    engine = open_store(database_url(str(db)))
    settings = Settings(db_url=str(engine.url), data_dir=tmp_path)
    web = Web(portal, create_app(settings, engine=engine, secret=b"test-secret"), "http://127.0.0.1")
    yield web
    web.close()
    engine.dispose()
