"""The database: an engine for SQLite (the embedded default) or PostgreSQL, migrated by Alembic.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so readers never block the one
writer and a crash loses no committed write. PostgreSQL is reached with psycopg 3
(``postgresql+psycopg://user@host:port/db``).

Example:
    >>> import tempfile
    >>> engine = open_database(f"sqlite:///{tempfile.mkdtemp()}/glassbox.db")
    >>> from sqlalchemy import inspect
    >>> "audit_events" in inspect(engine).get_table_names()
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseURLError(ValueError):
    """A database URL GlassBox cannot use."""


def default_url(data_dir: str | Path) -> str:
    """The embedded SQLite database in ``data_dir``."""
    return f"sqlite:///{Path(data_dir).resolve() / 'glassbox.db'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        if not url.startswith("postgresql+psycopg://"):
            raise DatabaseURLError(
                f"use the psycopg 3 driver for PostgreSQL: postgresql+psycopg://user@host:port/db (got {_safe(url)})"
            )
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise DatabaseURLError(
        f"unsupported database URL {_safe(url)}: use sqlite:///path/to/glassbox.db or "
        "postgresql+psycopg://user@host:port/db"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _safe(url: str) -> str:
    """The URL with any password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def migrate(engine: Engine) -> None:
    """Bring the database's schema to the newest migration (creates it on a fresh database)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str) -> Engine:
    """An engine for ``url`` whose schema is migrated to the newest version."""
    engine = make_engine(url)
    migrate(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
