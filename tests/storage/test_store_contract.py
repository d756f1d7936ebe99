"""The metadata store contract, run on every backend: memory, SQLite, real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from aweigh.storage.base import MetadataStore
from aweigh.storage.memory import MemoryStore
from aweigh.storage.sql.store import SqlStore
from aweigh.testing.store_contract import MetadataStoreContract

TABLES = (
    "aweigh_alias_events, aweigh_aliases, aweigh_model_versions, aweigh_models, "
    "aweigh_dataset_versions, aweigh_datasets, aweigh_audit, aweigh_monitor_records, aweigh_alerts"
)


class TestMemoryStore(MetadataStoreContract):
    @pytest.fixture
    def store(self) -> MetadataStore:
        return MemoryStore()


class TestSqliteStore(MetadataStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[MetadataStore]:
        store = SqlStore(f"sqlite:///{tmp_path / 'aweigh.db'}")
        yield store
        store.close()


@pytest.mark.postgres
class TestPostgresStore(MetadataStoreContract):
    @pytest.fixture
    def store(self, postgres_url: str) -> Iterator[MetadataStore]:
        store = SqlStore(postgres_url)
        with store.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        yield store
        store.close()
