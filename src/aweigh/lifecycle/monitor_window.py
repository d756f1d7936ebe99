"""One pass over a window of prediction events: feature sketches plus the rows quality needs.

The features go straight into mergeable sketches (:class:`WindowSketch`) batch by batch,
so drift needs memory for the sketches only, however long the window. Quality, fairness
and estimated quality need per-row outputs, probabilities and labels: those few columns
(and the segment and sensitive columns named) are kept as Arrow arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.entities import ModelVersion
from aweigh.monitor.drift.sketch import WindowSketch
from aweigh.storage.events import EventReader
from aweigh.storage.events.window import WindowSpec, read_window

__all__ = ["WindowData", "features_of", "gather_window", "outputs_table"]

_KEEP = ("ts", "output", "proba", "label", "label_ts", "latency_ms")


@dataclass
class WindowData:
    """What one pass over a window gathered."""

    rows: int = 0
    sketch: WindowSketch = field(default_factory=WindowSketch)
    outputs: WindowSketch = field(default_factory=WindowSketch)
    table: pa.Table | None = None  # ts, output, proba, label, label_ts, latency_ms + extras
    first_ts: datetime | None = None
    last_ts: datetime | None = None


def features_of(version: ModelVersion) -> dict[str, str]:
    """The version's input columns and their dtypes (from its signature)."""
    return {c.name: c.dtype for c in version.signature.columns}


def _positive_proba(proba: pa.ChunkedArray | pa.Array, index: int) -> pa.Array:
    """The probability of class ``index`` per row (null where a row has none)."""
    if isinstance(proba, pa.ChunkedArray):
        proba = proba.combine_chunks()
    sizes = pc.fill_null(pc.list_value_length(proba), 0)
    short = pc.less_equal(sizes, index)
    if pc.any(short).as_py():  # a row without that many probabilities reads as null
        proba = pc.if_else(short, pa.scalar(None, proba.type), proba)
    result: pa.Array = pc.list_element(proba, index)
    return result


def outputs_table(version: ModelVersion, batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """The model's outputs as columns a drift comparison reads: ``prediction`` (text for
    classes, numbers for regression) and ``score`` (the positive-class probability)."""
    output = batch.column("output")
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    if version.output.task == "regression":
        columns["prediction"] = pc.cast(output, pa.float64(), safe=False)
    else:
        columns["prediction"] = output
    classes = version.output.classes
    if len(classes) == 2:
        columns["score"] = _positive_proba(batch.column("proba"), 1)
    return pa.table(columns)


def _features(batch: pa.RecordBatch) -> pa.Table:
    features = batch.column("features")
    kind = features.type
    return pa.Table.from_arrays(
        [features.field(i) for i in range(kind.num_fields)],
        names=[kind.field(i).name for i in range(kind.num_fields)],
    )


def gather_window(
    log: EventReader,
    version: ModelVersion,
    *,
    start: datetime | None,
    end: datetime | None,
    keep_columns: Iterable[str] = (),
    batch_rows: int = 65_536,
    limit: int | None = None,
) -> WindowData:
    """Read the window once: sketch the features and outputs, keep what quality needs.

    ``keep_columns`` are input columns kept per row (segments, sensitive attributes);
    ``limit`` reads only the earliest that many predictions (a version's baseline).
    """
    spec = WindowSpec(
        model=version.model_name,
        version=version.version,
        features=features_of(version),
        start=start,
        end=end,
        first=limit,
    )
    extras = [c for c in dict.fromkeys(keep_columns) if c in spec.features]
    data = WindowData()
    kept: list[pa.Table] = []
    for batch in read_window(log, spec, batch_rows=batch_rows):
        if limit is not None and data.rows + batch.num_rows > limit:
            batch = batch.slice(0, limit - data.rows)
        if batch.num_rows == 0:
            break
        data.rows += batch.num_rows
        features = _features(batch)
        data.sketch.update(features)
        data.outputs.update(outputs_table(version, batch))
        columns = {name: batch.column(name) for name in _KEEP}
        for name in extras:
            columns[f"input.{name}"] = features.column(name)
        kept.append(pa.table(columns))
        if limit is not None and data.rows >= limit:
            break
    if kept:
        data.table = pa.concat_tables(kept)
        ts = data.table.column("ts")
        data.first_ts, data.last_ts = pc.min(ts).as_py(), pc.max(ts).as_py()
    return data


def labelled(table: pa.Table | None) -> pa.Table | None:
    """The rows of a window that have a label."""
    if table is None:
        return None
    return table.filter(pc.is_valid(table.column("label")))


def column_names(table: pa.Table | None, prefix: str = "input.") -> Sequence[str]:
    """The kept input columns of a window table, without their prefix."""
    if table is None:
        return ()
    return [c[len(prefix) :] for c in table.column_names if c.startswith(prefix)]
