"""GET /docs: Swagger UI for the API, served from the app's own files under a strict CSP (no CDN)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Swagger UI's own stylesheet sets inline styles; scripts come only from this app.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lähde API</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


def swagger_assets() -> Path:
    """The folder of Swagger UI's files in the installed fastapi-offline package."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """The interactive API documentation."""
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": DOCS_CSP, "Referrer-Policy": "no-referrer"})


def mount_assets(app: FastAPI) -> None:
    """Serve Swagger UI's script and stylesheet at /docs-assets."""
    app.mount("/docs-assets", StaticFiles(directory=swagger_assets()), name="docs-assets")
