"""A database already at the newest migration opens without importing Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aweigh.storage.sql import migrate
from aweigh.storage.sql.store import SqlStore

PROBE = """
import sys
from aweigh.storage.sql.store import SqlStore
SqlStore({url!r}).close()
print("alembic" in sys.modules)
"""


def test_the_head_constant_names_the_newest_migration() -> None:
    assert migrate.head_revision() == migrate.HEAD_REVISION


def _opens_with_alembic(url: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(url=url)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip() == "True"


def test_an_up_to_date_database_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'aweigh.db'}"
    assert _opens_with_alembic(url)  # the first start migrates, with Alembic
    assert not _opens_with_alembic(url)  # later starts only read the revision


def test_a_database_behind_head_is_still_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'aweigh.db'}"
    store = SqlStore(url)
    migrate.upgrade(store.engine)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '0003'")
        connection.exec_driver_sql("DROP TABLE IF EXISTS aweigh_monitor_records")
        connection.exec_driver_sql("DROP TABLE IF EXISTS aweigh_alerts")
    store.close()
    assert _opens_with_alembic(url)
    with SqlStore(url).engine.connect() as connection:
        assert migrate.stored_revision(connection) == migrate.HEAD_REVISION
