"""Bring a database's schema to the newest migration, automatically and idempotently.

Every store start calls ``upgrade``; at head it is a no-op. Concurrent starts are
serialised (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory
lock), so two processes starting on an empty database never race.

A database already at :data:`HEAD_REVISION` is recognised with one plain query, without
importing Alembic (about 10 MB of a server's memory); a test keeps the constant equal to
the newest migration's revision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

VERSION_TABLE = "aweigh_alembic_version"
HEAD_REVISION = "0004"
_ADVISORY_LOCK_KEY = 0x617765696768  # "aweigh"


def alembic_config() -> Config:
    """An Alembic config pointing at aweigh's packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate ``engine``'s database to ``revision`` inside one transaction."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
        if revision == "head" and stored_revision(connection) == HEAD_REVISION:
            return
        from alembic import command

        if revision == "head" and current_revision(connection) == head_revision():
            return
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def stored_revision(connection: Connection) -> str | None:
    """The revision recorded in the database (None before the first migration)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return str(rows[0][0]) if len(rows) == 1 else None
