"""An in-memory event log: for tests, notebooks and throwaway servers."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from aweigh.storage.events import _sql
from aweigh.storage.events.base import EventLog, EventLogStats, QueryParams
from aweigh.storage.events.model import Event, events_to_table

if TYPE_CHECKING:
    import duckdb


class MemoryEventLog(EventLog):
    """Keeps events in lists: appended ones wait until :meth:`flush`, like a real log.

    Nothing is ever spooled or dropped; memory is the only limit. :meth:`query` runs
    DuckDB over an Arrow table of the flushed events.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Event] = []
        self._stored: list[Event] = []
        self._appended = 0
        self._segments = 0
        self._dropped = 0
        self._last_error: str | None = None
        self._table: pa.Table | None = None
        self._conn: duckdb.DuckDBPyConnection | None = None

    def append(self, events: Sequence[Event]) -> None:
        try:
            batch = list(events)
        except Exception as exc:  # append never raises into the request path
            with self._lock:
                self._last_error = f"{type(exc).__name__}: {exc}"
            return
        good = [e for e in batch if isinstance(e, Event)]
        with self._lock:
            self._pending.extend(good)
            self._appended += len(batch)
            if len(good) < len(batch):
                self._dropped += len(batch) - len(good)
                self._last_error = f"{len(batch) - len(good)} appended items were not Events"

    def flush(self, timeout_s: float | None = None) -> None:
        with self._lock:
            if not self._pending:
                return
            self._segments += len({(e.model, e.ts.date()) for e in self._pending})
            self._stored.extend(self._pending)
            self._pending = []
            self._table = None

    def close(self, timeout_s: float | None = None) -> None:
        self.flush()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def stats(self) -> EventLogStats:
        with self._lock:
            return EventLogStats(
                appended=self._appended,
                written=len(self._stored),
                spooled=0,
                replayed=0,
                dropped=self._dropped,
                queue_depth=len(self._pending),
                segments=self._segments,
                last_error=self._last_error,
            )

    def query(self, sql: str, params: QueryParams = None) -> pa.Table:
        with self._lock:
            if self._conn is None:
                self._conn = _sql.connect()
            if self._table is None:
                self._table = self._view_table(self._stored)
                _sql.view_over_table(self._conn, self._table)
            return _sql.run(self._conn, sql, params)

    @property
    def events(self) -> list[Event]:
        """The flushed events, oldest first (a copy)."""
        with self._lock:
            return list(self._stored)

    @staticmethod
    def _view_table(events: list[Event]) -> pa.Table:
        table = events_to_table(events)
        days = pa.array([e.ts.date() for e in events], type=pa.date32())
        return table.add_column(_sql.VIEW_SCHEMA.get_field_index("date"), "date", days).cast(
            _sql.VIEW_SCHEMA
        )
