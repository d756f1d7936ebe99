"""The embedded event log: Parquet segments on local disk, queried with DuckDB."""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import pyarrow as pa
import pyarrow.parquet as pq

from aweigh.core.clock import Clock, SystemClock
from aweigh.core.errors import ConfigError
from aweigh.storage.events._spool import Spool, fsync_dir, new_stem
from aweigh.storage.events.base import EventLog, EventLogStats, QueryParams
from aweigh.storage.events.model import Event, events_to_table
from aweigh.storage.events.reader import SegmentReader, check_root, query_folder

__all__ = ["ParquetEventLog", "SegmentReader", "partition_value", "query_folder", "write_segment"]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MAX_BACKOFF_S = 30.0
_EXIT_TIMEOUT_S = 30.0
# Events converted per call into Arrow: each call holds the GIL throughout, so slices
# keep the pauses a busy writer causes to request threads to about a millisecond.
_SLICE = 4096


def partition_value(model: str) -> str:
    """The folder-safe form of a model name (``model=<this>``), decoded back by DuckDB.

    Valid aweigh names pass unchanged. Anything else is percent-encoded, dots
    included, so no name can contain a path separator or be ``.``/``..``; very
    long names are cut and suffixed with a hash of the full name.
    """
    if _SAFE_NAME.fullmatch(model) and ".." not in model:
        return model
    escaped = quote(model, safe="").replace(".", "%2E")
    if len(escaped) > 160:
        cut = escaped[:120]
        cut = cut[: cut.rfind("%")] if "%" in cut[-2:] else cut
        escaped = f"{cut}~{hashlib.sha256(model.encode('utf-8', 'replace')).hexdigest()[:16]}"
    return escaped


def write_segment(table: pa.Table, path: Path) -> None:
    """Write one segment atomically: a hidden temporary file, fsync, rename, fsync folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


class _UnsafePathError(Exception):
    """A segment path that would land outside the root (a symlink, say): never written."""


def _positive(owner: str, name: str, value: float, *, integer: bool) -> None:
    ok = isinstance(value, int) if integer else isinstance(value, int | float)
    if not ok or isinstance(value, bool) or value <= 0:
        kind = "an int >= 1" if integer else "a number > 0"
        raise ConfigError(
            f"The {name!r} parameter of {owner} must be {kind}. Got {value!r} instead.",
            {"parameter": name},
        )


def _partition(events: Sequence[Event]) -> dict[tuple[str, date], list[Event]]:
    groups: dict[tuple[str, date], list[Event]] = {}
    for event in events:
        key = (event.model, event.ts.date())
        group = groups.get(key)
        if group is None:
            groups[key] = [event]
        else:
            group.append(event)
    return groups


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class ParquetEventLog(EventLog):
    """Events as Parquet segments under ``root/model=<name>/date=<YYYY-MM-DD>/``.

    :meth:`append` only puts the events on a bounded in-memory queue (a few µs). A
    daemon writer thread drains it every ``flush_interval_s`` seconds, or sooner once
    ``max_batch`` events wait, and writes one zstd Parquet segment per model and UTC
    day, ``<utc-timestamp>-<uuid>.parquet``, to a hidden temporary name that is
    fsynced and then renamed, so readers never see a partial file.

    Nothing is lost when storage is slow or down. When the queue already holds
    ``max_queue`` events, :meth:`append` writes the batch to the spool instead: JSON
    lines in ``spool_dir`` (default ``root/_spool``), a buffered write that costs tens
    of µs and is fsynced by the writer at its next cycle. When a segment cannot be
    written (disk full, permissions, any ``OSError`` or Arrow error), the writer
    spools its events with fsync and replays the spool on a later cycle (retrying
    with a backoff of up to 30 s): segments first, then the spool file is removed.
    Replayed segments are named after their spool file, so a replay that a crash
    interrupts and that runs again overwrites instead of duplicating. A spool left
    by an earlier process is replayed when the log starts. Only when the spool
    itself fails are events dropped: ``stats().dropped`` counts them and
    ``last_error`` says why. :meth:`append` never raises.

    Crash bound: a crash of the process (``kill -9``, out-of-memory kill) loses at
    most the events still on the queue: those appended since the start of the last
    completed write cycle, i.e. about ``flush_interval_s`` plus one write's duration,
    and never more than ``max_queue`` events.
    Everything appended before a :meth:`flush` call that returned is on disk, and
    spooled events survive a process crash at once (a machine crash after the
    writer's next fsync). Call :meth:`close` at shutdown; it is also registered
    with :mod:`atexit`.

    :meth:`query` reads the segments written so far (not the queue or the spool).
    """

    def __init__(
        self,
        root: Path | str,
        *,
        flush_interval_s: float = 1.0,
        max_queue: int = 100_000,
        max_batch: int = 50_000,
        spool_dir: Path | str | None = None,
        clock: Clock | None = None,
    ) -> None:
        _positive("ParquetEventLog", "flush_interval_s", flush_interval_s, integer=False)
        _positive("ParquetEventLog", "max_queue", max_queue, integer=True)
        _positive("ParquetEventLog", "max_batch", max_batch, integer=True)
        self.root = check_root(root)
        self.flush_interval_s = float(flush_interval_s)
        self.max_queue = max_queue
        self.max_batch = max_batch
        self._clock: Clock = clock or SystemClock()
        spool = Path(spool_dir).expanduser().absolute() if spool_dir else self.root / "_spool"
        self._spool = Spool(spool, now=self._clock.now)

        self._lock = threading.Lock()  # the queue and the counters
        self._queue: deque[tuple[Event, ...]] = deque()
        self._queued = 0
        self._appended = self._written = self._spooled = self._replayed = 0
        self._dropped = self._segments = 0
        self._last_error: str | None = None
        self._closed = False

        self._wake = threading.Event()
        self._cycles = threading.Condition()  # flush requests and completed cycles
        self._requested = self._completed = 0
        self._stopping = False
        self._cycle_lock = threading.Lock()
        self._replay_pending = True  # a spool left behind is replayed at start
        self._spills = 0
        self._retry_at = 0.0
        self._backoff = 0.0

        self._reader = SegmentReader(self.root)

        self._thread = threading.Thread(
            target=self._run, name=f"aweigh-event-writer-{self.root.name}", daemon=True
        )
        self._thread.start()
        atexit.register(self._close_at_exit)

    # -- the request path -----------------------------------------------------------
    def append(self, events: Sequence[Event]) -> None:
        count = 0
        try:
            batch = tuple(events)
            count = len(batch)
            if not count:
                return
            with self._lock:
                self._appended += count
                closed = self._closed
                queued = not closed and self._queued + count <= self.max_queue
                if queued:
                    self._queue.append(batch)
                    self._queued += count
                    wake = self._queued >= self.max_batch
            if queued:
                if wake:
                    self._wake.set()
                return
            self._spill(batch, sync=closed)
            if closed:
                self._spool.close()
        except Exception as exc:  # append never raises into the request path
            self._drop(count, exc)

    def flush(self, timeout_s: float | None = None) -> None:
        if not self._thread.is_alive():
            self._cycle(force_replay=True)
            return
        with self._cycles:
            self._requested += 1
            target = self._requested
        self._wake.set()
        with self._cycles:
            self._cycles.wait_for(lambda: self._completed >= target, timeout_s)

    def close(self, timeout_s: float | None = None) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self._close_at_exit)
        with self._cycles:
            self._stopping = True
            self._requested += 1
        self._wake.set()
        self._thread.join(timeout_s)
        if not self._thread.is_alive():
            try:
                self._spool.close()
            except OSError as exc:
                self._note(exc)
        self._reader.close()

    def _close_at_exit(self) -> None:
        self.close(timeout_s=_EXIT_TIMEOUT_S)

    def stats(self) -> EventLogStats:
        with self._lock:
            return EventLogStats(
                appended=self._appended,
                written=self._written,
                spooled=self._spooled,
                replayed=self._replayed,
                dropped=self._dropped,
                queue_depth=self._queued,
                segments=self._segments,
                last_error=self._last_error,
            )

    # -- reading --------------------------------------------------------------------
    def query(self, sql: str, params: QueryParams = None) -> pa.Table:
        return self._reader.query(sql, params)

    # -- the writer thread ------------------------------------------------------------
    def _run(self) -> None:
        next_tick = time.monotonic()  # the first cycle runs at once: replay a spool left behind
        try:
            while True:
                self._wake.wait(max(0.0, next_tick - time.monotonic()))
                self._wake.clear()
                with self._cycles:
                    target, stopping = self._requested, self._stopping
                now = time.monotonic()
                if now >= next_tick:
                    next_tick = now + self.flush_interval_s
                self._cycle(force_replay=target > self._completed or stopping)
                with self._cycles:
                    self._completed = max(self._completed, target)
                    self._cycles.notify_all()
                if stopping:
                    return
        finally:
            with self._cycles:  # never leave a flush waiting on a dead thread
                self._completed = self._requested
                self._cycles.notify_all()

    def _cycle(self, *, force_replay: bool) -> None:
        with self._cycle_lock:
            try:
                failed = self._drain()
                try:
                    self._spool.sync()
                except OSError as exc:
                    self._note(exc)
                due = not failed and time.monotonic() >= self._retry_at
                if force_replay or (self._replay_pending and due):
                    self._replay()
            except Exception as exc:  # the writer never dies
                self._note(exc)

    def _drain(self) -> bool:
        """Write what is queued now (not what arrives meanwhile); True if a write failed."""
        with self._lock:
            budget = self._queued
        failed = False
        while budget > 0:
            chunk: list[Event] = []
            with self._lock:
                while self._queue and len(chunk) < min(budget, self.max_batch):
                    chunk.extend(self._queue.popleft())
                self._queued -= len(chunk)
            if not chunk:
                break
            budget -= len(chunk)
            failed = not self._write(chunk) or failed
        return failed

    def _write(self, events: Sequence[Event]) -> bool:
        """Write new events, one segment per partition; spool what fails. True if all went."""
        unwritten: list[Event] = []
        try:
            partitions = _partition(events)
        except Exception:  # not all of them are events: keep those that are
            good = [e for e in events if isinstance(e, Event)]
            self._drop(len(events) - len(good), TypeError("appended items that are not Events"))
            partitions = _partition(good)
        for (model, day), group in partitions.items():
            table, good = self._table(group)
            if table is None:
                continue
            try:
                write_segment(table, self._segment_path(model, day, new_stem(self._clock.now())))
            except _UnsafePathError as exc:
                self._drop(len(good), exc)
                continue
            except Exception as exc:
                self._note(exc)
                unwritten.extend(good)
                continue
            with self._lock:
                self._written += table.num_rows
                self._segments += 1
        if not unwritten:
            return True
        self._failed()
        self._spill(unwritten, sync=True)
        return False

    def _replay(self) -> None:
        """Write each spool file's events as segments named after it, then remove the file."""
        spills = self._spills
        pending = False
        for path in self._spool.files():
            with self._spool.claim(path) as claim:
                if claim is None:
                    continue  # another live process is still writing it
                rows = segments = 0
                try:
                    events, lost = claim.read()
                    for (model, day), group in _partition(events).items():
                        table, good = self._table(group, count_drops=False)
                        lost += len(group) - len(good)
                        if table is None:
                            continue
                        try:
                            write_segment(table, self._segment_path(model, day, claim.stem))
                        except _UnsafePathError:
                            lost += len(good)
                            continue
                        rows += table.num_rows
                        segments += 1
                    claim.remove()
                except Exception as exc:
                    self._note(exc)
                    self._failed()
                    pending = True
                    break
                with self._lock:
                    self._written += rows
                    self._replayed += rows
                    self._segments += segments
                    self._dropped += lost
                    if lost:
                        self._last_error = (
                            f"{lost} events of the spool file {path.name} could not be read "
                            "and were skipped (a torn last line after a crash, or invalid values)"
                        )
        self._replay_pending = pending or self._spills != spills  # spilled meanwhile
        if not pending:
            self._backoff = 0.0

    def _table(
        self, events: list[Event], *, count_drops: bool = True
    ) -> tuple[pa.Table | None, list[Event]]:
        """The events as a table; an event that cannot be converted is left out (dropped)."""
        try:
            if len(events) <= _SLICE:
                return events_to_table(events), events
            slices = [events[i : i + _SLICE] for i in range(0, len(events), _SLICE)]
            return pa.concat_tables([events_to_table(s) for s in slices]), events
        except Exception:  # find the bad events; the others still go
            good: list[Event] = []
            for event in events:
                try:
                    events_to_table([event])
                except Exception as exc:
                    if count_drops:
                        self._drop(1, exc)
                else:
                    good.append(event)
            return (events_to_table(good) if good else None), good

    def _segment_path(self, model: str, day: date, stem: str) -> Path:
        folder = self.root / f"model={partition_value(model)}" / f"date={day.isoformat()}"
        path = folder / f"{stem}.parquet"
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise _UnsafePathError(
                f"The segment path {path} for model {model!r} leaves {self.root}"
            )
        return path

    # -- bookkeeping ----------------------------------------------------------------
    def _spill(self, events: Sequence[Event], *, sync: bool) -> None:
        try:
            self._spool.write(events, sync=sync)
        except Exception as exc:
            self._drop(len(events), exc)
            return
        with self._lock:
            self._spooled += len(events)
            self._spills += 1
        self._replay_pending = True

    def _failed(self) -> None:
        self._backoff = min(max(self.flush_interval_s, self._backoff * 2), _MAX_BACKOFF_S)
        self._retry_at = time.monotonic() + self._backoff

    def _drop(self, count: int, exc: BaseException) -> None:
        with self._lock:
            self._dropped += count
            self._last_error = _describe(exc)

    def _note(self, exc: BaseException) -> None:
        with self._lock:
            self._last_error = _describe(exc)
