"""Fixtures of the server tests: the real app over SQLite and over a real PostgreSQL server.

``database_url`` runs a test once per database: ``sqlite`` (a file in tmp_path, WAL mode) and
``postgresql`` (a fresh database on a throwaway cluster started once per session, on loopback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassbox_jupyter.server.app import create_app
from glassbox_jupyter.server.db import open_database, session_factory
from glassbox_jupyter.server.settings import ServerSettings
from glassbox_jupyter.server.users import add_user

from .postgres import PostgresServer, postgres_bin, postgres_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is not installed: run scripts/setup.sh (it installs Debian's postgresql)")
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'glassbox.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture()
def settings(tmp_path: Path, database_url: str) -> ServerSettings:
    return ServerSettings(data_dir=tmp_path / "data", database=database_url)


class Api:
    """The app under test, and a way to make users whose tokens it accepts."""

    def __init__(self, settings: ServerSettings):
        self.settings = settings
        self.app = create_app(settings)
        self.client = TestClient(self.app)
        self.client.__enter__()  # runs the app's lifespan: the job runner starts

    def user(self, name: str, role: str, projects: tuple[str, ...] = ()) -> dict[str, str]:
        """Make a user (as ``glassbox users add`` does); returns its Authorization header."""
        with self.app.state.sessions() as session:
            _, token = add_user(session, name, role, projects)
        return {"Authorization": f"Bearer {token}"}

    def close(self) -> None:
        self.client.__exit__(None, None, None)  # stops the job runner
        self.app.state.engine.dispose()

    def call(self, method: str, path: str, who: dict[str, str] | None = None, **kw: Any) -> Any:
        headers = {**(who or {}), **kw.pop("headers", {})}
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kw)


@pytest.fixture()
def api(settings: ServerSettings) -> Iterator[Api]:
    api = Api(settings)
    yield api
    api.close()


@pytest.fixture()
def sessions(settings: ServerSettings) -> Callable[[], Any]:
    return session_factory(open_database(settings.database_url))
