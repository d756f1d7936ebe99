"""Alembic environment: runs on the connection ``aweigh.storage.sql.migrate`` hands in."""

from __future__ import annotations

from alembic import context

from aweigh.storage.sql.migrate import VERSION_TABLE
from aweigh.storage.sql.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
