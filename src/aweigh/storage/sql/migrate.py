"""Bring a database's schema to the newest migration, automatically and idempotently.

Every store start calls ``upgrade``; at head it is a no-op. Concurrent starts are
serialised (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory
lock), so two processes starting on an empty database never race.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

VERSION_TABLE = "aweigh_alembic_version"
_ADVISORY_LOCK_KEY = 0x617765696768  # "aweigh"


def alembic_config() -> Config:
    """An Alembic config pointing at aweigh's packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate ``engine``'s database to ``revision`` inside one transaction."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
        if revision == "head" and current_revision(connection) == head_revision():
            return
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
