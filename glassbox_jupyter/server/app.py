"""The FastAPI application of ``glassbox serve``: versioned routes under ``/api/v1``.

The OpenAPI schema is at ``/api/v1/openapi.json``. FastAPI's interactive docs pages load their
scripts from a CDN, so they are left out (the server works offline).

Example:
    >>> import tempfile
    >>> from fastapi.testclient import TestClient
    >>> app = create_app(ServerSettings(data_dir=tempfile.mkdtemp()))
    >>> with TestClient(app) as client:
    ...     client.get("/api/v1/health").json()
    {'status': 'ok'}
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from glassbox_jupyter._version import __version__
from glassbox_jupyter.server import dashboard
from glassbox_jupyter.server.artifacts import ArtifactStore
from glassbox_jupyter.server.db import open_database, session_factory
from glassbox_jupyter.server.jobs.runner import JobRunner
from glassbox_jupyter.server.limits import AttemptLimiter
from glassbox_jupyter.server.routes import (
    analyses,
    audit_log,
    datasets,
    endpoint_keys,
    findings,
    me,
    models,
    projects,
    reports,
    session,
)
from glassbox_jupyter.server.settings import API, ServerSettings


def create_app(settings: ServerSettings) -> FastAPI:
    """The app over the database and artifact folder ``settings`` names (migrated on start)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_database(settings.database_url)
    sessions = session_factory(engine)
    jobs = JobRunner(settings, sessions)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs.start()  # first marks jobs a killed server left running as failed
        try:
            yield
        finally:
            jobs.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="GlassBox server",
        version=__version__,
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.jobs = jobs
    app.state.sign_in_limiter = AttemptLimiter(max_attempts=10, window_seconds=60)
    app.state.artifacts = ArtifactStore(settings.artifacts_dir)

    api = APIRouter(prefix=API)

    @api.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for module in (session, me, projects, models, datasets, endpoint_keys, analyses, findings, reports, audit_log):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC, check_dir=False), name="static")
    return app
