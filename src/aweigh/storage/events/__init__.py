"""The prediction/feedback event log: Parquet segments on disk, queried with DuckDB.

The inference server appends every prediction after its reply is sent; labels
arrive later as feedback events; monitors read windows of events with SQL over
the view ``events``. ``append`` never waits on I/O and never raises.

Privacy: events carry the subject's keyed token, consent purposes and a child flag;
a log erases a subject (:class:`ErasureOutcome`), exports what it holds on one,
answers which subjects a time range exposed, applies retention
(:class:`RetentionOutcome`) and exports training sets that respect consent
(:class:`ExportOutcome`).
"""

from __future__ import annotations

from aweigh.storage.events.base import EventLog, EventLogStats, EventReader
from aweigh.storage.events.erasure import ErasureOutcome
from aweigh.storage.events.export import ExportOutcome
from aweigh.storage.events.memory import MemoryEventLog
from aweigh.storage.events.model import Event
from aweigh.storage.events.parquet import ParquetEventLog
from aweigh.storage.events.retention import RetentionDrop, RetentionOutcome

__all__ = [
    "ErasureOutcome",
    "Event",
    "EventLog",
    "EventLogStats",
    "EventReader",
    "ExportOutcome",
    "MemoryEventLog",
    "ParquetEventLog",
    "RetentionDrop",
    "RetentionOutcome",
]
