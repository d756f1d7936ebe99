"""The abstract event log: where predictions and feedback go after the reply is sent.

Every backend passes the same contract tests (``tests/storage/events``). The
request path calls only :meth:`EventLog.append`, which never waits on I/O and
never raises; monitors read windows of events with :meth:`EventLog.query`.

Privacy operations (admin paths, never the request path): :meth:`EventLog.erase_subject`
(GDPR Art. 17, DPDP s.12), :meth:`EventLog.subject_events` (Art. 15, DPDP s.11),
:meth:`EventLog.exposure` (breach notification), :meth:`EventLog.apply_retention`
(storage limitation) and :meth:`EventLog.export_training` (purpose limitation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.storage.events.erasure import ErasureOutcome, check_moment, check_subject_token
from aweigh.storage.events.export import ExportOutcome, check_purpose, export_queries
from aweigh.storage.events.model import Event
from aweigh.storage.events.retention import RetentionOutcome

if TYPE_CHECKING:
    import pandas as pd

QueryParams = list[Any] | dict[str, Any] | None


class EventReader(Protocol):
    """What reading events needs: an event log, or a read-only ``SegmentReader``."""

    def query(self, sql: str, params: QueryParams = None) -> pa.Table: ...

    def query_batches(
        self, sql: str, params: QueryParams = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]: ...


@dataclass(frozen=True, slots=True)
class EventLogStats:
    """Counters since the log was opened.

    ``written`` counts events that reached durable storage, including ``replayed``
    ones (replayed from the spool, possibly left by an earlier process); ``spooled``
    counts events that went to the spool instead (queue full or storage failing);
    ``dropped`` counts events lost because even the spool failed (``last_error`` says
    why). ``segments`` counts the files (or batches) this log wrote. ``erased`` counts
    events of erased subjects screened out before they were written (on the queue or
    in the spool when the erasure ran, or stamped before it and appended later).
    """

    appended: int
    written: int
    spooled: int
    replayed: int
    dropped: int
    queue_depth: int
    segments: int
    last_error: str | None
    erased: int = 0


_SUBJECT_SQL = """
WITH mine AS (SELECT * FROM events WHERE subject_id = $subject),
keys AS (SELECT DISTINCT request_id, "row" FROM mine)
SELECT * FROM mine
UNION ALL
SELECT e.* FROM events e SEMI JOIN keys k ON e.request_id = k.request_id AND e."row" = k."row"
WHERE e.subject_id IS NULL AND e.kind = 'feedback'
ORDER BY ts, kind DESC, request_id, "row"
"""

_EXPOSURE_SQL = """
WITH owners AS (
    SELECT request_id, "row", min(subject_id) AS owner FROM events
    WHERE kind = 'prediction' AND subject_id IS NOT NULL GROUP BY request_id, "row"
),
held AS (
    SELECT coalesce(e.subject_id, o.owner) AS subject_id, e.model, e.ts
    FROM events e LEFT JOIN owners o
        ON e.subject_id IS NULL AND e.kind = 'feedback'
        AND e.request_id = o.request_id AND e."row" = o."row"
    WHERE e.ts BETWEEN $start AND $end
)
SELECT subject_id, model, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS events
FROM held WHERE subject_id IS NOT NULL
GROUP BY subject_id, model ORDER BY subject_id, model
"""


class EventLog(ABC):
    """An append-only log of prediction and feedback events, queried with SQL."""

    @abstractmethod
    def append(self, events: Sequence[Event]) -> None:
        """Hand events over for writing. Never blocks on I/O and never raises."""

    @abstractmethod
    def flush(self, timeout_s: float | None = None) -> None:
        """Write everything appended so far (and replay the spool), waiting up to ``timeout_s``.

        Never raises for a storage failure: events that cannot be written are spooled
        and :meth:`stats` tells what happened.
        """

    @abstractmethod
    def close(self, timeout_s: float | None = None) -> None:
        """Flush and stop writing; later appends are kept for the next process."""

    @abstractmethod
    def query(self, sql: str, params: QueryParams = None) -> pa.Table:
        """Run one read-only SQL query over the view ``events``.

        ``events`` has the columns of :data:`aweigh.storage.events.model.EVENT_SCHEMA`
        plus ``date`` (the UTC day). ``inputs``, ``output`` and ``label`` are JSON
        text, e.g. ``json_extract_string(output, '$')``. Bad SQL or a statement that
        is not a query raises ``InvalidInputError``.
        """

    @abstractmethod
    def stats(self) -> EventLogStats:
        """The counters, read without waiting on the writer."""

    # -- privacy ----------------------------------------------------------------------
    @abstractmethod
    def erase_subject(self, subject_token: str, *, now: datetime) -> ErasureOutcome:
        """Remove every event of one data subject, wherever the log holds it.

        Removes the events whose ``subject_id`` is ``subject_token`` (the keyed hash
        the caller made) and the feedback events without a ``subject_id`` that label
        one of the subject's predictions, from stored events, the spool and the queue.
        The subject goes into the erasure register with ``now``: events of the subject
        stamped at or before ``now`` that arrive later (in flight during the erasure,
        or replayed from a spool later) are dropped before they are written. An unknown
        subject gives an outcome of zeros. A bad token raises ``InvalidInputError``; a
        storage failure raises ``StoreError`` and leaves every segment whole (old or
        new): run the erasure again.
        """

    @abstractmethod
    def apply_retention(
        self, periods: Mapping[str, timedelta], default: timedelta, *, now: datetime
    ) -> RetentionOutcome:
        """Delete events older than their model's period (``default`` for other models).

        Everything appended so far is flushed first. Whole expired days are dropped,
        the boundary day is rewritten keeping ``ts >= now - period``. A zero or
        negative period raises ``InvalidInputError`` and nothing is deleted.
        """

    def subject_events(self, subject_token: str) -> pa.Table:
        """Every event held on one subject (an Art. 15 / DPDP s.11 export), oldest first.

        The subject's events and the feedback without ``subject_id`` that labels one
        of their predictions, with the columns of the view ``events``. Flushes first;
        events that could not be written yet because storage is failing (in the spool,
        see ``stats().spooled``) are not read.
        """
        token = check_subject_token(subject_token)
        self.flush()
        return self.query(_SUBJECT_SQL, {"subject": token})

    def exposure(self, start: datetime, end: datetime) -> pa.Table:
        """Which subjects' data the log holds with ``start <= ts <= end`` (breach questions).

        One row per subject and model: ``subject_id, model, first_ts, last_ts, events``,
        sorted. A feedback without ``subject_id`` counts for the subject of the
        prediction it labels. Flushes first.
        """
        first, last = check_moment(start, "start"), check_moment(end, "end")
        if first > last:
            raise InvalidInputError(
                f"The exposure range starts after it ends: {first.isoformat()} > "
                f"{last.isoformat()}. Swap start and end.",
                {"field": "start"},
            )
        self.flush()
        return self.query(_EXPOSURE_SQL, {"start": first, "end": last})

    def export_training(
        self,
        *,
        purpose: str = "training",
        allow_children: bool = False,
        sql_filter: str | None = None,
    ) -> ExportOutcome:
        """Labelled predictions whose subjects consented to ``purpose``, children left out.

        See :mod:`aweigh.storage.events.export`: a row needs ``purpose`` in its
        ``purposes`` (None is no consent) and, unless ``allow_children``, ``child`` not
        True. ``sql_filter`` narrows the predictions (a SQL condition). Flushes first.
        """
        wanted = check_purpose(purpose)
        if not isinstance(allow_children, bool):
            raise InvalidInputError(
                f"allow_children must be True or False. Got {allow_children!r} instead.",
                {"field": "allow_children"},
            )
        rows_sql, counts_sql = export_queries(sql_filter)
        self.flush()
        params = {"purpose": wanted, "allow": allow_children}
        table = self.query(rows_sql, params)
        counts = self.query(counts_sql, params).to_pylist()[0]
        return ExportOutcome(
            table=table,
            purpose=wanted,
            allow_children=allow_children,
            excluded_no_consent=int(counts["no_consent"]),
            excluded_child=int(counts["child"]),
            unlabelled=int(counts["unlabelled"]),
        )

    def query_batches(
        self, sql: str, params: QueryParams = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """:meth:`query` in Arrow record batches of at most ``batch_rows`` rows.

        Backends that can stream override this so a monitor reads a window of millions
        of events in bounded memory; this default runs the query and slices its result.
        """
        yield from self.query(sql, params).to_batches(max_chunksize=batch_rows)

    def query_frame(self, sql: str, params: QueryParams = None) -> pd.DataFrame:
        """:meth:`query` as a pandas DataFrame."""
        frame: pd.DataFrame = self.query(sql, params).to_pandas()
        return frame

    def __enter__(self) -> EventLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
