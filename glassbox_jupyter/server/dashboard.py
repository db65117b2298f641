"""The browser dashboard of ``glassbox serve``: one HTML shell for every page, the bundled scripts.

The pages (``/``, ``/projects/<id>``, ``/reports/<id>``, ``/jobs``, ``/audit``) are drawn in the browser by
``static/dashboard.js`` (TypeScript in ``js/src/dashboard/``, bundled by esbuild) from the REST API
under ``/api/v1``; the server answers each page path with the same shell. Nothing loads from
another origin: the Content-Security-Policy allows only this server's own scripts and styles.

Example:
    >>> sorted(route.path for route in router.routes)[:2]
    ['/', '/audit']
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

STATIC = Path(__file__).resolve().parents[1] / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
)
SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GlassBox</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/shared.css">
<link rel="stylesheet" href="/static/dashboard.css">
<script type="module" src="/static/dashboard.js"></script>
</head>
<body>
<a class="gb-skip" href="#gb-main">Skip to content</a>
<div id="gb-dashboard"><main id="gb-main" tabindex="-1"><p>Loading…</p></main></div>
<noscript>The GlassBox dashboard needs JavaScript; the REST API is at /api/v1.</noscript>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def shell() -> HTMLResponse:
    if not (STATIC / "dashboard.js").exists():
        raise HTTPException(
            503, "the dashboard's scripts are not built: run `cd js && npm run build` (scripts/setup.sh does it)"
        )
    return HTMLResponse(SHELL, headers=HEADERS)


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    return shell()


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(project_id: str) -> HTMLResponse:
    return shell()


@router.get("/projects/{project_id}/distill", response_class=HTMLResponse)
def distill_page(project_id: str) -> HTMLResponse:
    return shell()


@router.get("/projects/{project_id}/transformer", response_class=HTMLResponse)
def transformer_page(project_id: str) -> HTMLResponse:
    return shell()


@router.get("/projects/{project_id}/endpoint", response_class=HTMLResponse)
def endpoint_page(project_id: str) -> HTMLResponse:
    return shell()


@router.get("/audit", response_class=HTMLResponse)
def audit_page() -> HTMLResponse:
    return shell()


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page() -> HTMLResponse:
    return shell()


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(report_id: str) -> HTMLResponse:
    return shell()
