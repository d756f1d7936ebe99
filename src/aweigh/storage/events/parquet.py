"""The embedded event log: Parquet segments on local disk, queried with DuckDB."""

from __future__ import annotations

import atexit
import hashlib
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aweigh.core.clock import Clock, SystemClock
from aweigh.core.errors import ConfigError, StoreError
from aweigh.storage.events import _segments, _sql
from aweigh.storage.events._segments import FolderLock, Signature, write_segment
from aweigh.storage.events._spool import Spool, new_stem
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
from aweigh.storage.events.reader import SegmentReader, check_root, query_folder
from aweigh.storage.events.retention import (
    RetentionDrop,
    RetentionOutcome,
    check_periods,
    day_bounds,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["ParquetEventLog", "SegmentReader", "partition_value", "query_folder", "write_segment"]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MAX_BACKOFF_S = 30.0
_EXIT_TIMEOUT_S = 30.0
# Events converted per call into Arrow: each call holds the GIL throughout, so slices
# keep the pauses a busy writer causes to request threads to about a millisecond.
_SLICE = 4096
# Erasure passes over the segments: the first finds the subject everywhere, later ones
# look only at segments written meanwhile (none while the folder lock is held).
_MAX_PASSES = 5
# Files per DuckDB scan when erasure looks for the subject's rows.
_SCAN_CHUNK = 512
_REGISTER = Path("_erasures") / "subjects.jsonl"


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

    Erasure and retention (:meth:`erase_subject`, :meth:`apply_retention`) rewrite
    segments in place, atomically (hidden temporary file, fsync, rename over the old
    one; an emptied segment is deleted). They hold this log's write-cycle lock and the
    folder lock exclusively (``root/.aweigh-events.lock``), which every writer on the
    folder, in any process, holds shared while it writes: no segment is written while
    they run, and :meth:`append` is not slowed (events wait on the queue or spool).
    An erasure first records the subject in the erasure register
    (``root/_erasures/subjects.jsonl``: keyed token and time only), then flushes the
    queue and replays the spool (dropping the subject's events on the way), rewrites
    the segments that hold the subject, filters spool files that could not be
    replayed, and makes a second pass over segments written meanwhile. Every writer
    reloads the register at each cycle and drops events of an erased subject stamped
    at or before the erasure: events that were still in flight during the erasure,
    in this process or another, never reach a segment.
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
        self._folder_lock = FolderLock(self.root / _segments.LOCK_NAME)
        self._register = ErasureRegister(self.root / _REGISTER)
        self._erased = 0
        self._sink: dict[str, list[Event]] | None = None  # screened events, during erasure
        self._maintaining = False  # erasure or retention holds the folder lock exclusively

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
            self._folder_lock.close()
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
                erased=self._erased,
            )

    # -- reading --------------------------------------------------------------------
    def query(self, sql: str, params: QueryParams = None) -> pa.Table:
        return self._reader.query(sql, params)

    def query_batches(
        self, sql: str, params: QueryParams = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        return self._reader.stream(sql, params, batch_rows)

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
            finally:
                self._folder_lock.release_shared()

    def _before_writing(self) -> None:
        """Hold the folder lock shared for the rest of the cycle, and reload the register.

        Taken only when a cycle has something to write, so an idle cycle costs no I/O.
        Maintenance already holds the lock exclusively and reloaded the register.
        """
        if self._maintaining:
            return
        self._folder_lock.acquire_shared()  # False: no fcntl, or no folder yet
        try:
            self._register.refresh()
        except OSError as exc:
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
        self._before_writing()
        events, screened = self._register.screen(events)
        self._screened(screened, "queue")
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
        files = self._spool.files()
        if files:
            self._before_writing()
        for path in files:
            with self._spool.claim(path) as claim:
                if claim is None:
                    continue  # another live process is still writing it
                rows = segments = 0
                try:
                    events, lost = claim.read()
                    kept, screened = self._register.screen(events)
                    for (model, day), group in _partition(kept).items():
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
                    self._screened(screened, "spool")
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

    def _screened(self, removed: list[Event], where: str) -> None:
        """Count events of erased subjects left out (the erasure running now lists them)."""
        if removed:
            with self._lock:
                self._erased += len(removed)
            if self._sink is not None:
                self._sink[where].extend(removed)

    # -- privacy ------------------------------------------------------------------------
    def erase_subject(self, subject_token: str, *, now: datetime) -> ErasureOutcome:
        token = check_subject_token(subject_token)
        at = check_moment(now)
        with self._maintenance() as locked:
            self._register.add(token, at)
            sink: dict[str, list[Event]] = {"queue": [], "spool": []}
            self._sink = sink
            try:
                self._flush_locked()
            finally:
                self._sink = None
            screened = sink["queue"] + sink["spool"]
            keys: set[Key] = set()
            split_subject(screened, token, keys)
            tally = Removed()
            tally.add_events(screened)
            try:
                if locked:
                    _segments.sweep(self.root)
                rewritten, deleted = self._erase_segments(token, keys, tally)
                known = len(keys)
                from_spool = self._erase_spool(token, keys)
                tally.add_events(from_spool)
                if len(keys) > known:  # the spool held predictions with feedback on disk
                    more = self._erase_segments(token, keys, tally)
                    rewritten, deleted = rewritten + more[0], deleted + more[1]
            except (OSError, pa.ArrowException, _sql.duckdb_error()) as exc:
                raise StoreError(
                    f"The erasure of subject {token[:12]}... did not finish: {exc}. Every "
                    "segment is whole (old or new) and the subject stays registered as "
                    "erased, so nothing new of theirs is written; run the erasure again.",
                    {"subject": token, "path": str(self.root)},
                ) from exc
        return ErasureOutcome(
            subject=token,
            erased_at=at,
            events_removed=tally.count,
            segments_rewritten=rewritten,
            segments_deleted=deleted,
            spool_removed=len(sink["spool"]) + len(from_spool),
            queue_removed=len(sink["queue"]),
            stores_searched=(
                f"event log segments: {self.root}",
                f"event log spool: {self._spool.folder}",
                "event log queue (in memory)",
            ),
            models=tuple(sorted(tally.models)),
            earliest=tally.earliest,
            latest=tally.latest,
        )

    def apply_retention(
        self, periods: Mapping[str, timedelta], default: timedelta, *, now: datetime
    ) -> RetentionOutcome:
        checked, fallback = check_periods(periods, default)
        at = check_moment(now)
        by_folder = {f"model={partition_value(m)}": p for m, p in checked.items()}
        drops: list[RetentionDrop] = []
        deleted_days = rewritten = emptied = 0
        with self._maintenance() as locked:
            self._flush_locked()
            try:
                if locked:
                    _segments.sweep(self.root)
                for model_dir, day_dir in list(_segments.partitions(self.root)):
                    day = _day(day_dir.name)
                    cutoff = at - by_folder.get(model_dir.name, fallback)
                    if day is None or day_bounds(day)[0] >= cutoff:
                        continue
                    files = _segments.segments_in(day_dir)
                    if not files:
                        continue
                    model = _model_of(files[0], model_dir)
                    if day_bounds(day)[1] <= cutoff:
                        events = sum(pq.read_metadata(f).num_rows for f in files)
                        _segments.delete_partition(day_dir)
                        drops.append(RetentionDrop(model, day, events, whole=True))
                        deleted_days += 1
                        continue
                    removed = 0
                    for path in files:
                        done = _segments.rewrite_segment(path, _older_than(cutoff))
                        removed += done.removed.num_rows
                        rewritten += done.result == "rewritten"
                        emptied += done.result == "deleted"
                    if removed:
                        drops.append(RetentionDrop(model, day, removed, whole=False))
                self._register.prune(at - max([fallback, *checked.values()]))
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(
                    f"Retention did not finish: {exc}. Every segment is whole (old or new); "
                    "run it again.",
                    {"path": str(self.root)},
                ) from exc
        drops.sort(key=lambda d: (d.model, d.date))
        return RetentionOutcome(
            now=at,
            dropped=tuple(drops),
            partitions_deleted=deleted_days,
            segments_rewritten=rewritten,
            segments_deleted=emptied,
        )

    @contextmanager
    def _maintenance(self) -> Iterator[bool]:
        """No write cycle of this log, and the folder lock held exclusively if possible."""
        with self._cycle_lock, self._folder_lock.exclusive() as locked:
            try:
                self._register.refresh()
            except OSError as exc:
                self._note(exc)
            self._maintaining = True
            try:
                yield locked
            finally:
                self._maintaining = False

    def _flush_locked(self) -> None:
        """Write the queue and replay the spool (the caller holds the cycle lock)."""
        try:
            self._drain()
            try:
                self._spool.sync()
            except OSError as exc:
                self._note(exc)
            self._replay()
        except Exception as exc:  # what could not be written is spooled, as in a cycle
            self._note(exc)

    def _erase_segments(self, token: str, keys: set[Key], tally: Removed) -> tuple[int, int]:
        """Rewrite every segment holding the subject; ``keys`` gains their predictions'."""
        rewritten = deleted = 0
        seen: dict[Path, Signature] = {}
        linked: frozenset[Key] = frozenset()
        conn: duckdb.DuckDBPyConnection | None = None
        try:
            for _ in range(_MAX_PASSES):
                listing = _segments.list_segments(self.root)
                fresh = [p for p, sig in listing.items() if seen.get(p) != sig]
                if not fresh and linked == keys:
                    break
                conn = conn or _sql.connect(self.root)
                targets: set[Path] = set()
                for name, request_id, row in _find_subject(conn, fresh, token):
                    targets.add(Path(name))
                    keys.add((request_id, row))
                if keys:
                    scope = fresh if linked == keys else list(listing)
                    targets.update(_find_linked(conn, scope, keys))
                    linked = frozenset(keys)
                seen.update((p, listing[p]) for p in fresh)
                for path in sorted(targets):
                    done = _segments.rewrite_segment(path, _subject_rows(token, linked))
                    removed = done.removed
                    if removed.num_rows:
                        span = pc.min_max(removed.column("ts"))
                        tally.add(
                            removed.num_rows,
                            set(removed.column("model").to_pylist()),
                            span["min"].as_py(),
                            span["max"].as_py(),
                        )
                    if done.result == "rewritten":
                        rewritten += 1
                        st = path.stat()
                        seen[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
                    elif done.result == "deleted":
                        deleted += 1
                        seen.pop(path, None)
        finally:
            if conn is not None:
                conn.close()
        return rewritten, deleted

    def _erase_spool(self, token: str, keys: set[Key]) -> list[Event]:
        """Remove the subject from spool files that could not be replayed."""
        files = self._spool.files()
        if not files:
            return []
        claimed: list[Path] = []
        for path in files:  # every key first: a feedback may sit in another file
            with self._spool.claim(path) as claim:
                if claim is None:
                    continue  # another live process writes it; its replay screens it
                events, _ = claim.read()
                split_subject(events, token, keys)
                claimed.append(path)
        raw = token.encode("utf-8", "replace")

        def drop(event: Event | None, line: bytes) -> bool:
            if event is None:
                return raw in line
            return event.subject_id == token or (
                event.subject_id is None
                and event.kind == "feedback"
                and (event.request_id, event.row) in keys
            )

        removed: list[Event] = []
        for path in claimed:
            with self._spool.claim(path) as claim:
                if claim is not None:
                    removed.extend(claim.rewrite(drop))
        return removed

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


# -- maintenance helpers --------------------------------------------------------------
def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(name.removeprefix("date="))
    except ValueError:
        return None  # not a folder aweigh wrote


def _model_of(segment: Path, folder: Path) -> str:
    """The model of a partition, from its data (folder names of long models are cut)."""
    try:
        names = _segments.read_segment(segment, ["model"]).column(0)
        if len(names) and names[0].is_valid:
            return str(names[0].as_py())
    except (OSError, pa.ArrowException, KeyError):
        pass
    return unquote(folder.name.removeprefix("model="))


def _older_than(cutoff: datetime) -> Callable[[pa.Table], pa.Array]:
    def older(table: pa.Table) -> pa.Array:
        mask: pa.Array = pc.fill_null(pc.less(table.column("ts"), pa.scalar(cutoff)), False)
        return mask

    return older


def _subject_rows(token: str, keys: frozenset[Key]) -> Callable[[pa.Table], pa.Array]:
    """Marks the subject's rows and the unowned feedback to their predictions."""

    def rows(table: pa.Table) -> pa.Array:
        if "subject_id" not in table.column_names:
            return pa.array([False] * table.num_rows, type=pa.bool_())
        subjects = table.column("subject_id")
        mine: pa.Array = pc.fill_null(pc.equal(subjects, token), False)
        if keys:
            linked = [
                subject is None and kind == "feedback" and (request_id, row) in keys
                for subject, kind, request_id, row in zip(
                    subjects.to_pylist(),
                    table.column("kind").to_pylist(),
                    table.column("request_id").to_pylist(),
                    table.column("row").to_pylist(),
                    strict=True,
                )
            ]
            mine = pc.or_(mine, pa.array(linked, type=pa.bool_()))
        return mine

    return rows


def _scan(files: Sequence[Path]) -> Iterator[str]:
    for i in range(0, len(files), _SCAN_CHUNK):
        chunk = list(files[i : i + _SCAN_CHUNK])
        yield (
            f"read_parquet({_sql.file_list(chunk)}, filename = true, "
            "hive_partitioning = false, union_by_name = true)"
        )


def _find_subject(
    conn: duckdb.DuckDBPyConnection, files: Sequence[Path], token: str
) -> list[tuple[str, str, int]]:
    """``(file, request_id, row)`` of every row of the subject in ``files``."""
    found: list[tuple[str, str, int]] = []
    for source in _scan(files):
        rows: list[Any] = conn.execute(
            f'SELECT filename, request_id, "row" FROM {source} WHERE subject_id = $1', [token]
        ).fetchall()
        found.extend((str(f), str(r), int(n)) for f, r, n in rows)
    return found


def _find_linked(
    conn: duckdb.DuckDBPyConnection, files: Sequence[Path], keys: set[Key]
) -> set[Path]:
    """Files in ``files`` with a feedback without ``subject_id`` to one of ``keys``."""
    table = pa.table(
        {
            "request_id": pa.array([k[0] for k in keys], type=pa.string()),
            "row": pa.array([k[1] for k in keys], type=pa.int64()),
        }
    )
    conn.register("aweigh_erasure_keys", table)
    try:
        found: set[Path] = set()
        for source in _scan(files):
            rows: list[Any] = conn.execute(
                f"SELECT DISTINCT s.filename FROM {source} s SEMI JOIN aweigh_erasure_keys k "
                'ON s.request_id = k.request_id AND s."row" = k."row" '
                "WHERE s.subject_id IS NULL AND s.kind = 'feedback'"
            ).fetchall()
            found.update(Path(f) for (f,) in rows)
        return found
    finally:
        conn.unregister("aweigh_erasure_keys")
