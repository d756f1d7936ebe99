"""An in-memory event log: for tests, notebooks and throwaway servers."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa

from aweigh.storage.events import _sql
from aweigh.storage.events.base import EventLog, EventLogStats, QueryParams
from aweigh.storage.events.erasure import (
    ErasureOutcome,
    ErasureRegister,
    Key,
    Removed,
    check_moment,
    check_subject_token,
    split_subject,
)
from aweigh.storage.events.model import Event, events_to_table
from aweigh.storage.events.retention import (
    RetentionDrop,
    RetentionOutcome,
    check_periods,
    day_bounds,
)

_STORES = ("event log (memory): flushed events", "event log (memory): queue")

if TYPE_CHECKING:
    import duckdb


class MemoryEventLog(EventLog):
    """Keeps events in lists: appended ones wait until :meth:`flush`, like a real log.

    Nothing is ever spooled or dropped; memory is the only limit. :meth:`query` runs
    DuckDB over an Arrow table of the flushed events. Erasure and retention work as on
    disk, with the model/day partitions of the flushed events in place of segments.
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
        self._register = ErasureRegister()
        self._erased = 0

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
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._pending:
            return
        pending, removed = self._register.screen(self._pending)
        self._erased += len(removed)
        self._pending = []
        if pending:
            self._segments += len({(e.model, e.ts.date()) for e in pending})
            self._stored.extend(pending)
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
                erased=self._erased,
            )

    def query(self, sql: str, params: QueryParams = None) -> pa.Table:
        with self._lock:
            if self._conn is None:
                self._conn = _sql.connect()
            if self._table is None:
                self._table = self._view_table(self._stored)
                _sql.view_over_table(self._conn, self._table)
            return _sql.run(self._conn, sql, params)

    # -- privacy ----------------------------------------------------------------------
    def erase_subject(self, subject_token: str, *, now: datetime) -> ErasureOutcome:
        token = check_subject_token(subject_token)
        at = check_moment(now)
        with self._lock:
            self._register.add(token, at)
            keys: set[Key] = set()
            split_subject(self._pending + self._stored, token, keys)  # every key first
            pending, from_queue = split_subject(self._pending, token, keys)
            stored, from_store = split_subject(self._stored, token, keys)
            self._pending, self._stored = pending, stored
            if from_store:
                self._table = None
        touched = {(e.model, e.ts.date()) for e in from_store}
        left = {(e.model, e.ts.date()) for e in stored}
        tally = Removed()
        tally.add_events(from_queue + from_store)
        return ErasureOutcome(
            subject=token,
            erased_at=at,
            events_removed=tally.count,
            segments_rewritten=len(touched & left),
            segments_deleted=len(touched - left),
            queue_removed=len(from_queue),
            stores_searched=_STORES,
            models=tuple(sorted(tally.models)),
            earliest=tally.earliest,
            latest=tally.latest,
        )

    def apply_retention(
        self, periods: Mapping[str, timedelta], default: timedelta, *, now: datetime
    ) -> RetentionOutcome:
        checked, fallback = check_periods(periods, default)
        at = check_moment(now)
        with self._lock:
            self._flush_locked()
            days: dict[tuple[str, date], list[Event]] = {}
            for e in self._stored:
                days.setdefault((e.model, e.ts.date()), []).append(e)
            kept: list[Event] = []
            drops: list[RetentionDrop] = []
            rewritten = emptied = 0
            for (model, day), group in sorted(days.items()):
                cutoff = at - checked.get(model, fallback)
                start, end = day_bounds(day)
                if end <= cutoff:
                    drops.append(RetentionDrop(model, day, len(group), whole=True))
                    continue
                survivors = [e for e in group if e.ts >= cutoff] if start < cutoff else group
                kept.extend(survivors)
                if len(survivors) < len(group):
                    drops.append(RetentionDrop(model, day, len(group) - len(survivors), False))
                    rewritten += bool(survivors)
                    emptied += not survivors
            if drops:
                order = {id(e): i for i, e in enumerate(self._stored)}
                self._stored = sorted(kept, key=lambda e: order[id(e)])
                self._table = None
            self._register.prune(at - max([fallback, *checked.values()]))
        return RetentionOutcome(
            now=at,
            dropped=tuple(drops),
            partitions_deleted=sum(d.whole for d in drops),
            segments_rewritten=rewritten,
            segments_deleted=emptied,
        )

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
