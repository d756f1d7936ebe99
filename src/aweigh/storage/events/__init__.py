"""The prediction/feedback event log: Parquet segments on disk, queried with DuckDB.

The inference server appends every prediction after its reply is sent; labels
arrive later as feedback events; monitors read windows of events with SQL over
the view ``events``. ``append`` never waits on I/O and never raises.
"""

from __future__ import annotations

from aweigh.storage.events.base import EventLog, EventLogStats
from aweigh.storage.events.memory import MemoryEventLog
from aweigh.storage.events.model import Event
from aweigh.storage.events.parquet import ParquetEventLog

__all__ = ["Event", "EventLog", "EventLogStats", "MemoryEventLog", "ParquetEventLog"]
