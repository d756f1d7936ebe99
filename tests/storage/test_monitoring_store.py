"""What only the SQL store does for monitor results and alerts: the 0004 migration runs
both ways, and writers racing on one window leave exactly one record (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest
from alembic import command
from sqlalchemy import inspect

from aweigh.core.entities import MonitorRecord
from aweigh.storage.sql import migrate
from aweigh.storage.sql.store import SqlStore
from aweigh.testing.monitoring_contract import alert, monitor_record
from aweigh.testing.postgres import PostgresServer

NEW_TABLES = {"aweigh_monitor_records", "aweigh_alerts"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'aweigh.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(f"m_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**8}")
    s = SqlStore(url)
    yield s
    s.close()


def test_the_monitoring_migration_downgrades_and_upgrades_again(store: SqlStore) -> None:
    store.save_alert(alert("churn"))
    config = migrate.alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert not NEW_TABLES & set(inspect(store.engine).get_table_names())
    migrate.upgrade(store.engine)
    assert set(inspect(store.engine).get_table_names()) >= NEW_TABLES
    assert store.alerts() == []


def test_writers_racing_on_one_window_leave_one_record(store: SqlStore) -> None:
    writers = 6
    barrier = Barrier(writers)

    def write(n: int) -> MonitorRecord:
        rec = monitor_record("churn", 0, id=f"race-{n}", summary=f"writer {n}")
        barrier.wait(timeout=30)
        return store.save_monitor_record(rec)

    with ThreadPoolExecutor(writers) as pool:
        saved = list(pool.map(write, range(writers)))
    [kept] = store.monitor_records("churn")
    assert {r.id for r in saved} == {kept.id}
    assert kept.summary in {r.summary for r in saved}
