"""What only the SQL store does: migrations, schema snapshots, WAL, locks, lost
connections, and real processes racing on one database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect, text

from aweigh.bootstrap import build_store
from aweigh.core.errors import (
    StoreLockedError,
    StoreUnavailableError,
    StoreURLError,
)
from aweigh.storage.sql import migrate
from aweigh.storage.sql.schema import Base
from aweigh.storage.sql.store import SqlStore
from aweigh.testing import concurrency
from aweigh.testing.postgres import PostgresServer
from aweigh.testing.store_contract import T0, spec

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each dialect."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aweigh.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"t_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**8}")


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    s = SqlStore(db_url)
    yield s
    s.close()


def _seed(store: SqlStore, name: str = "churn", versions: int = 5) -> None:
    store.create_model(name, now=T0)
    for n in range(versions):
        store.create_version(spec(name, n))


# -- migrations and schema ------------------------------------------------------------


def test_migrations_run_on_start_and_are_idempotent(db_url: str) -> None:
    for _ in range(3):
        s = SqlStore(db_url)
        with s.engine.connect() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()
        s.close()


def test_models_match_the_migrated_schema(store: SqlStore) -> None:
    """Fails when a change to schema.py has no Alembic migration."""
    with store.engine.connect() as connection:
        ctx = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": migrate.VERSION_TABLE}
        )
        assert compare_metadata(ctx, Base.metadata) == []


def _schema(store: SqlStore) -> dict[str, Any]:
    inspector = inspect(store.engine)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        tables[table] = {
            "columns": [
                [c["name"], str(c["type"]), bool(c["nullable"])]
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                [
                    fk["constrained_columns"],
                    fk["referred_table"],
                    fk.get("options", {}).get("ondelete"),
                ]
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                [i["name"], i["column_names"], bool(i["unique"])]
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                [u["name"], u["column_names"]] for u in inspector.get_unique_constraints(table)
            ),
        }
    return tables


def test_migrated_schema_matches_the_snapshot_of_each_dialect(store: SqlStore) -> None:
    """Set AWEIGH_UPDATE_SNAPSHOTS=1 to rewrite after an intended schema change."""
    snapshot = SNAPSHOTS / f"schema-{store.engine.dialect.name}.json"
    actual = json.loads(json.dumps(_schema(store)))
    if os.environ.get("AWEIGH_UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    assert actual == json.loads(snapshot.read_text())


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    s = SqlStore(f"sqlite:///{tmp_path / 'a.db'}")
    with s.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    s.close()


# -- failures roll back ------------------------------------------------------------------


def test_a_locked_sqlite_database_gives_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    s = SqlStore(f"sqlite:///{path}", busy_timeout_s=0.2)
    _seed(s)
    s.set_alias("churn", "champion", 1, actor="a", reason="", now=T0)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreLockedError, match="locked by another process"):
            s.set_alias("churn", "champion", 2, actor="b", reason="", now=T0)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert s.get_alias("churn", "champion").version == 1
    assert len(s.alias_history("churn")) == 1
    s.set_alias("churn", "champion", 2, actor="b", reason="after unlock", now=T0)
    assert s.get_alias("churn", "champion").version == 2
    s.close()


def _fail_on(store: SqlStore, table: str, action: Callable[[Any], None]) -> None:
    @event.listens_for(store.engine, "before_cursor_execute")
    def _hook(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT") and table in statement:
            event.remove(store.engine, "before_cursor_execute", _hook)
            action(conn)


def test_a_database_gone_mid_call_rolls_the_whole_call_back(store: SqlStore, db_url: str) -> None:
    """The alias row is updated, then the connection dies before the history insert."""
    _seed(store)
    store.set_alias("churn", "champion", 1, actor="a", reason="", now=T0)

    if store.engine.dialect.name == "postgresql":
        killer = create_engine(db_url)

        def cut(conn: Any) -> None:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with killer.connect() as k:
                k.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    else:
        killer = None

        def cut(conn: Any) -> None:
            conn.connection.dbapi_connection.close()  # the file handle vanishes mid-call

    _fail_on(store, "aweigh_alias_events", cut)
    with pytest.raises((StoreUnavailableError, StoreLockedError)) as info:
        store.set_alias("churn", "champion", 2, actor="b", reason="", now=T0)
    assert "nothing was written" in str(info.value) or info.type is StoreLockedError
    if killer is not None:
        killer.dispose()
    fresh = SqlStore(db_url)
    assert fresh.get_alias("churn", "champion").version == 1
    assert [e.to_version for e in fresh.alias_history("churn")] == [1]
    fresh.close()


# -- real processes racing ------------------------------------------------------------------


def _race(fn: Callable[..., Any], arg_lists: list[tuple[Any, ...]]) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(len(arg_lists))
        with ProcessPoolExecutor(len(arg_lists), mp_context=ctx) as pool:
            futures = [pool.submit(fn, *args, barrier) for args in arg_lists]
            return [f.result(timeout=180) for f in futures]


def test_two_processes_moving_one_alias_keep_history_consistent(
    store: SqlStore, db_url: str
) -> None:
    _seed(store)
    _race(concurrency.move_alias_many, [(db_url, "churn", 25, 1), (db_url, "churn", 25, 2)])
    history = store.alias_history("churn", "champion")
    assert len(history) == 50
    previous = None
    for e in history:
        assert e.from_version == previous, "a move was lost or interleaved"
        previous = e.to_version
    assert store.get_alias("churn", "champion").version == previous
    assert {e.actor for e in history} == {"worker-1", "worker-2"}


def test_two_processes_compare_and_set_exactly_one_wins(store: SqlStore, db_url: str) -> None:
    _seed(store)
    store.set_alias("churn", "champion", 1, actor="a", reason="", now=T0)
    outcomes = _race(
        concurrency.compare_and_set_once, [(db_url, "churn", 2, 1), (db_url, "churn", 3, 1)]
    )
    assert sorted(outcomes) == ["concurrent_update", "won"]
    history = store.alias_history("churn")
    assert len(history) == 2
    assert history[1].from_version == 1
    assert store.get_alias("churn", "champion").version == history[1].to_version


def test_two_processes_registering_a_new_model_get_distinct_version_numbers(
    store: SqlStore, db_url: str
) -> None:
    numbers = _race(concurrency.create_versions, [(db_url, "churn", 10), (db_url, "churn", 10)])
    assert sorted(numbers[0] + numbers[1]) == list(range(1, 21))


# -- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["", "   ", "nonsense", "mysql://u@h/db", "ftp://x/y", "sqlite", "://nothing"]
)
def test_a_store_url_that_does_not_parse_is_refused_clearly(url: str) -> None:
    with pytest.raises(StoreURLError, match="store URL"):
        build_store(url)


def test_an_unreachable_postgres_is_named_without_its_password() -> None:
    with pytest.raises(StoreUnavailableError) as info:
        build_store("postgresql://alice:s3cr3t-pw@127.0.0.1:1/aweigh", busy_timeout_s=1)
    message = str(info.value)
    assert "s3cr3t-pw" not in message
    assert "postgresql://alice:***@127.0.0.1:1/aweigh" in message


def test_an_unwritable_sqlite_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailableError, match="Choose a writable path"):
        build_store(f"sqlite:///{blocker / 'sub' / 'aweigh.db'}")
