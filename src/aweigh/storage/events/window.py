"""Read a window of one model's predictions as typed columns, joined to their latest labels.

Events keep ``inputs`` as JSON text so features of any type survive; a monitor wants
one typed Arrow column per feature instead. :func:`read_window` asks DuckDB to parse the
JSON (``json_transform``, multi-threaded, in C++) into a struct column ``features`` with
one field per feature, and to attach each prediction's latest feedback (``label`` and
``label_ts``) however late it came. Rows stream out in Arrow record batches, so a window
of millions of events is read in bounded memory.

A value whose JSON type does not fit the feature's type (text in a numeric feature)
reads as null, like a missing value: the online validator already flagged such rows
when they were served.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.storage.events.base import EventReader

__all__ = ["SQL_TYPES", "WindowSpec", "read_window", "read_window_table", "window_sql"]

#: aweigh's dtype vocabulary (``ColumnSpec.dtype``) to the DuckDB type a feature reads as.
SQL_TYPES: Mapping[str, str] = {
    "bool": "BOOLEAN",
    "int": "DOUBLE",
    "float": "DOUBLE",
    "numeric": "DOUBLE",
    "string": "VARCHAR",
    "category": "VARCHAR",
    "categorical": "VARCHAR",
    "datetime": "VARCHAR",
    "timedelta": "VARCHAR",
    "object": "VARCHAR",
}
_TYPES = frozenset(SQL_TYPES.values())


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """Which predictions to read: a model, optionally one version, and a time range.

    ``features`` maps each feature to its dtype (aweigh's vocabulary or a DuckDB type);
    ``start`` is inclusive, ``end`` exclusive, both timezone-aware. ``labels`` joins the
    latest feedback per prediction (by request id and row, whenever it arrived);
    ``first`` keeps only the earliest predictions (in time order).
    """

    model: str
    features: Mapping[str, str]
    version: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    labels: bool = True
    first: int | None = None  # only the earliest ``first`` predictions (a baseline)


def _sql_type(name: str, dtype: str) -> str:
    kind = SQL_TYPES.get(dtype, dtype.upper())
    if kind not in _TYPES:
        raise InvalidInputError(
            f"The feature {name!r} has the dtype {dtype!r}, which a window cannot read. "
            f"Use one of {', '.join(sorted(SQL_TYPES))}.",
            {"feature": name, "dtype": dtype},
        )
    return kind


def _utc(moment: datetime | None, what: str) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidInputError(
            f"The window {what} must be timezone-aware (use datetime.now(UTC)); "
            f"got the naive {moment.isoformat()}.",
            {"field": what},
        )
    return moment.astimezone(UTC)


def window_sql(spec: WindowSpec) -> tuple[str, dict[str, Any]]:
    """The query (over the view ``events``) and its parameters for ``spec``."""
    if not spec.features:
        raise InvalidInputError(
            f"The window of model {spec.model!r} names no features; a monitor needs the "
            "model's input columns (its signature or contract).",
            {"model": spec.model},
        )
    shape = orjson.dumps({name: _sql_type(name, d) for name, d in spec.features.items()})
    params: dict[str, Any] = {"model": spec.model, "shape": shape.decode()}
    where = ["kind = 'prediction'", "model = $model"]
    if spec.version is not None:
        where.append("version = $version")
        params["version"] = spec.version
    for bound, op, day_op in (("start", ">=", ">="), ("end", "<", "<=")):
        moment = _utc(getattr(spec, bound), bound)
        if moment is not None:
            # the date condition lets DuckDB skip whole date=... folders
            where.append(f"ts {op} ${bound} AND date {day_op} ${bound}_day")
            params[bound] = moment
            params[f"{bound}_day"] = moment.date()
    predictions = (
        'SELECT request_id, "row", version, ts, output, proba, latency_ms, inputs FROM events '
        "WHERE " + " AND ".join(where)
    )
    if spec.first is not None:
        predictions += ' ORDER BY ts, request_id, "row" LIMIT $first'
        params["first"] = int(spec.first)
    if not spec.labels:
        sql = (
            f'WITH p AS ({predictions}) SELECT request_id, "row", version, ts, latency_ms, '
            "json_extract_string(output, '$') AS output, proba, NULL::VARCHAR AS label, "
            "NULL::TIMESTAMPTZ AS label_ts, json_transform(inputs, $shape) AS features FROM p"
        )
        return sql, params
    sql = f"""
WITH p AS ({predictions}),
f AS (
    SELECT e.request_id, e."row", arg_max(e.label, e.ts) AS label, max(e.ts) AS label_ts
    FROM events e SEMI JOIN p ON e.request_id = p.request_id AND e."row" = p."row"
    WHERE e.kind = 'feedback' AND e.model = $model
    GROUP BY e.request_id, e."row"
)
SELECT p.request_id, p."row", p.version, p.ts, p.latency_ms,
       json_extract_string(p.output, '$') AS output, p.proba,
       json_extract_string(f.label, '$') AS label, f.label_ts,
       json_transform(p.inputs, $shape) AS features
FROM p LEFT JOIN f ON p.request_id = f.request_id AND p."row" = f."row"
"""
    return sql, params


def read_window(
    log: EventReader, spec: WindowSpec, *, batch_rows: int = 65_536
) -> Iterator[pa.RecordBatch]:
    """The window's predictions in record batches (bounded memory), labels attached.

    Each batch has ``request_id, row, version, ts, latency_ms, output, proba, label,
    label_ts`` and ``features`` (a struct with one field per feature). ``output`` and
    ``label`` are text: a string as itself, a number or a list as its JSON.
    """
    sql, params = window_sql(spec)
    return log.query_batches(sql, params, batch_rows)


def read_window_table(log: EventReader, spec: WindowSpec) -> pa.Table:
    """:func:`read_window` as one table, features flattened to top-level columns.

    Feature columns that clash with an event column get a ``feature.`` prefix.
    """
    sql, params = window_sql(spec)
    table = log.query(sql, params)
    base = [name for name in table.column_names if name != "features"]
    features = table.column("features").combine_chunks()
    arrays = [table.column(name) for name in base]
    names = list(base)
    struct_type = features.type
    for i in range(struct_type.num_fields):
        name = struct_type.field(i).name
        arrays.append(features.field(i))
        names.append(f"feature.{name}" if name in base else name)
    return pa.Table.from_arrays(arrays, names=names)
