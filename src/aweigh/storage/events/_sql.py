"""Read-only SQL over events with DuckDB, through one view called ``events``.

The guard rail has two parts. The text must be exactly one statement that DuckDB
parses as a query (SELECT, WITH, VALUES, FROM-first, DESCRIBE, SUMMARIZE, SHOW);
DROP, COPY, ATTACH, INSTALL, SET, PRAGMA and the rest are refused. And the
connection reads files only under the log's own folder (external access off, an
allow-list of one folder, configuration locked), so a query cannot write, attach,
load extensions or read other files. It is a guard rail against mistakes, not a
sandbox against a hostile user: a query can still use all memory and CPU time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aweigh.core.errors import InvalidInputError, MissingDependencyError, StoreError
from aweigh.storage.events.base import QueryParams
from aweigh.storage.events.model import EVENT_SCHEMA

if TYPE_CHECKING:
    import duckdb

VIEW_SCHEMA = EVENT_SCHEMA.insert(
    EVENT_SCHEMA.get_field_index("ts") + 1, pa.field("date", pa.date32())
)
_SELECT_LIST = ", ".join(f'"{name}"' for name in VIEW_SCHEMA.names)
_DATA_TABLE = "aweigh_events_data"
_SHAPE_TABLE = "aweigh_events_shape"
_ALLOWED = "SELECT, WITH, DESCRIBE, SUMMARIZE or SHOW"


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is installed with aweigh
        raise MissingDependencyError(
            "Querying the event log needs DuckDB. Install it with 'pip install duckdb'.",
            {"package": "duckdb"},
        ) from exc
    return duckdb


def duckdb_error() -> type[Exception]:
    """DuckDB's base error class (imported lazily, like DuckDB itself)."""
    error: type[Exception] = _duckdb().Error
    return error


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def file_list(paths: list[Path]) -> str:
    """A SQL list literal of file paths, for ``read_parquet``."""
    return "[" + ", ".join(_literal(str(p)) for p in paths) + "]"


def connect(readable: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads files only under ``readable`` (none if None)."""
    conn: duckdb.DuckDBPyConnection = _duckdb().connect()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        if readable is not None:
            conn.execute("SET allowed_directories = ?", [[f"{readable}{os.sep}"]])
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn


def view_over_files(conn: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Point ``events`` at every segment under ``root`` (``model`` and ``date`` from folders).

    The segments are unioned by name with an empty table of :data:`VIEW_SCHEMA`, so a
    column that no segment has yet (``purposes`` and ``child`` in segments written by
    an older aweigh) reads as null instead of failing the query.
    """
    pattern = _literal(str(root / "model=*" / "date=*" / "*.parquet"))
    conn.register(_SHAPE_TABLE, VIEW_SCHEMA.empty_table())
    conn.execute(
        f"CREATE OR REPLACE VIEW events AS SELECT {_SELECT_LIST} FROM ("
        f"FROM {_SHAPE_TABLE} UNION ALL BY NAME FROM read_parquet({pattern}, "
        "hive_partitioning = true, union_by_name = true, "
        "hive_types = {'model': 'VARCHAR', 'date': 'DATE'}))"
    )


def view_over_table(conn: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    """Point ``events`` at an Arrow table with :data:`VIEW_SCHEMA`."""
    conn.register(_DATA_TABLE, table)
    conn.execute(f"CREATE OR REPLACE VIEW events AS SELECT {_SELECT_LIST} FROM {_DATA_TABLE}")


def empty_view_table() -> pa.Table:
    return VIEW_SCHEMA.empty_table()


def check_read_only(conn: duckdb.DuckDBPyConnection, sql: object) -> str:
    """``sql`` if it is exactly one read-only query, else ``InvalidInputError``."""
    duckdb = _duckdb()
    if not isinstance(sql, str) or not sql.strip():
        raise InvalidInputError(
            f"The query must be a non-empty SQL string ({_ALLOWED} over the view 'events'). "
            f"Got {sql!r} instead.",
            {"sql": repr(sql)},
        )
    try:
        statements = conn.extract_statements(sql)
    except duckdb.Error as exc:
        raise InvalidInputError(
            f"The query does not parse: {_first_line(exc)} Fix the SQL and try again.",
            {"sql": sql},
        ) from exc
    if len(statements) != 1:
        raise InvalidInputError(
            f"Give exactly one SQL statement; got {len(statements)}. "
            "Run each statement in its own query.",
            {"sql": sql},
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise InvalidInputError(
            f"The event log answers read-only queries only ({_ALLOWED}); "
            f"got a {kind.name} statement. Rewrite it as a SELECT over the view 'events'.",
            {"sql": sql, "statement": kind.name},
        )
    return sql


def run(conn: duckdb.DuckDBPyConnection, sql: object, params: QueryParams = None) -> pa.Table:
    """Run one read-only query and return its rows as an Arrow table."""
    duckdb = _duckdb()
    text = check_read_only(conn, sql)
    try:
        relation = conn.sql(text, params=params)
        if relation is None:  # pragma: no cover - only queries get this far
            return pa.table({})
        return relation.to_arrow_table()
    except (
        duckdb.ProgrammingError,
        duckdb.DataError,
        duckdb.PermissionException,
        duckdb.InvalidInputException,
        duckdb.NotSupportedError,
    ) as exc:
        raise InvalidInputError(
            f"The query failed: {_first_line(exc)} The view 'events' has the columns "
            f"{', '.join(VIEW_SCHEMA.names)}; fix the SQL or its parameters.",
            {"sql": text},
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(
            f"The event log could not be read: {_first_line(exc)} "
            "Check the events folder (disk, permissions) and try again.",
            {"sql": text},
        ) from exc


def stream(
    conn: duckdb.DuckDBPyConnection, sql: object, params: QueryParams, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """Run one read-only query and yield its rows in Arrow record batches, as they come."""
    duckdb = _duckdb()
    text = check_read_only(conn, sql)
    try:
        relation = conn.sql(text, params=params)
        if relation is None:  # pragma: no cover - only queries get this far
            return
        reader = relation.to_arrow_reader(batch_rows)
        yield from reader
    except (
        duckdb.ProgrammingError,
        duckdb.DataError,
        duckdb.PermissionException,
        duckdb.InvalidInputException,
        duckdb.NotSupportedError,
    ) as exc:
        raise InvalidInputError(
            f"The query failed: {_first_line(exc)} Fix the SQL or its parameters.",
            {"sql": text},
        ) from exc
    except duckdb.Error as exc:
        raise StoreError(
            f"The event log could not be read: {_first_line(exc)} "
            "Check the events folder (disk, permissions) and try again.",
            {"sql": text},
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if line.endswith(".") else f"{line}."
