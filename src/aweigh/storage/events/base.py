"""The abstract event log: where predictions and feedback go after the reply is sent.

Every backend passes the same contract tests (``tests/storage/events``). The
request path calls only :meth:`EventLog.append`, which never waits on I/O and
never raises; monitors read windows of events with :meth:`EventLog.query`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aweigh.storage.events.model import Event

if TYPE_CHECKING:
    import pandas as pd

QueryParams = list[Any] | dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class EventLogStats:
    """Counters since the log was opened.

    ``written`` counts events that reached durable storage, including ``replayed``
    ones (replayed from the spool, possibly left by an earlier process); ``spooled``
    counts events that went to the spool instead (queue full or storage failing);
    ``dropped`` counts events lost because even the spool failed (``last_error`` says
    why). ``segments`` counts the files (or batches) this log wrote.
    """

    appended: int
    written: int
    spooled: int
    replayed: int
    dropped: int
    queue_depth: int
    segments: int
    last_error: str | None


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
