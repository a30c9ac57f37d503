"""``/api/docs``: Swagger UI for the JSON API, served from the ``swagger-ui-bundle-v2`` package.

Nothing is fetched from a CDN: the page, its script and its style come from this server, under the
same Content-Security-Policy as every page (the start-up script is a file, not inline).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from backstride.errors import NotFoundError

router = APIRouter(include_in_schema=False)

#: The files of Swagger UI the page uses, by the name they are served under.
ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>backstride API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="/openapi.json"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def swagger_dir() -> Path:
    """The folder of the installed Swagger UI files."""
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


@router.get("/api/docs")
def docs_page() -> HTMLResponse:
    swagger_dir()
    return HTMLResponse(PAGE)


@router.get("/api/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    media = ASSETS.get(name)
    if media is None:
        raise NotFoundError(f"no API docs file {name!r}")
    return FileResponse(swagger_dir() / name, media_type=media, headers={"Cache-Control": "max-age=86400"})
