"""Shared fixtures: the Adult data, and a real PostgreSQL server for the whole session.

The PostgreSQL fixture starts a private server with initdb/pg_ctl on a free loopback
port and stops it at the end. Without server binaries the PostgreSQL tests skip
locally, but fail under CI=true: a CI run must never silently lose them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from aweigh.testing.postgres import PostgresServer, find_bindir

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def adult_test() -> pd.DataFrame:
    path = SHARED_DATA / "adult" / "adult_test.csv"
    if not path.exists():
        from aweigh.demo import load_adult

        return load_adult("test")
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def adult_train() -> pd.DataFrame:
    path = SHARED_DATA / "adult" / "adult_train.csv"
    if not path.exists():
        from aweigh.demo import load_adult

        return load_adult("train")
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        message = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found; "
            "run ./scripts/ensure-servers.sh (make test does)."
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """A database for the store tests (tables are emptied between tests)."""
    return postgres_server.create_database("aweigh_test")
