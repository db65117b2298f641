"""Alembic environment: runs migrations on the connection db.migrate passes in (no alembic.ini)."""

from alembic import context

from glassbox_jupyter.server.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through db.migrate
    raise RuntimeError("run migrations through glassbox_jupyter.server.db.migrate(engine)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
