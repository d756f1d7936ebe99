"""Read-only SQL over the Parquet segments of an events folder."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from aweigh.core.errors import ConfigError
from aweigh.storage.events import _sql
from aweigh.storage.events.base import QueryParams

if TYPE_CHECKING:
    import duckdb

__all__ = ["SegmentReader", "check_root", "query_folder"]

_GLOB_CHARS = frozenset("*?[]{}")


def check_root(root: Path | str) -> Path:
    """``root`` as an absolute path, refused if DuckDB would read it as a wildcard."""
    path = Path(root).expanduser().absolute()
    if _GLOB_CHARS.intersection(str(path)):
        raise ConfigError(
            f"The events folder {str(path)!r} contains one of "
            f"{''.join(sorted(_GLOB_CHARS))}, which DuckDB reads as wildcards. "
            "Choose a folder without them.",
            {"root": str(path)},
        )
    return path


def _has_segments(root: Path) -> bool:
    return next(root.glob("model=*/date=*/*.parquet"), None) is not None


class SegmentReader:
    """Read-only SQL over the segments under ``root``; writes and replays nothing.

    One DuckDB connection, opened at the first query, that can read files only under
    ``root``; the view ``events`` covers every segment present when a query runs (and
    is empty again once erasure or retention deleted every segment).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = check_root(root)
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._view: str | None = None

    def query(self, sql: str, params: QueryParams = None) -> pa.Table:
        with self._lock:
            if self._conn is None:
                self._conn = _sql.connect(self.root)
            view = "files" if _has_segments(self.root) else "empty"
            if view != self._view:
                if view == "files":
                    _sql.view_over_files(self._conn, self.root)
                else:
                    _sql.view_over_table(self._conn, _sql.empty_view_table())
                self._view = view
            return _sql.run(self._conn, sql, params)

    def stream(
        self, sql: str, params: QueryParams = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Yield the rows of one read-only query in batches, on a connection of its own.

        The batches come as DuckDB produces them (memory stays bounded by a few batches),
        and a long read does not hold up :meth:`query` callers such as feedback lookups.
        """
        conn = _sql.connect(self.root)
        try:
            if _has_segments(self.root):
                _sql.view_over_files(conn, self.root)
            else:
                _sql.view_over_table(conn, _sql.empty_view_table())
            yield from _sql.stream(conn, sql, params, batch_rows)
        finally:
            conn.close()

    def query_batches(
        self, sql: str, params: QueryParams = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """:meth:`stream` under the name an event log uses (``EventReader``)."""
        return self.stream(sql, params, batch_rows)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn, self._view = None, None


def query_folder(root: Path | str, sql: str, params: QueryParams = None) -> pa.Table:
    """One read-only query over an events folder, without opening a log.

    No writer thread starts and no spool is replayed, so it is safe to run while a
    server writes to the same folder (``aweigh events query``).
    """
    reader = SegmentReader(root)
    try:
        return reader.query(sql, params)
    finally:
        reader.close()
