"""The aweigh side of the drift benchmark (runs in ``.venv``).

``python -m bench.peers.drift_aweigh '<config json>'``. Steps, each timed (wall and
CPU seconds of the whole process, every thread):

- ``reference_sketch``: sketch the reference window (read from Parquet first, not
  timed: in production the reference is sketched once, when a version is
  registered, and stored);
- ``read``: stream the current window out of the event log (DuckDB parses each
  event's JSON inputs into typed columns; ``read_window`` with ``labels=False``, since
  drift needs no labels), batch by batch;
- ``sketch``: feed each batch to a ``WindowSketch`` (one pass, bounded memory);
- ``compare``: compare the two sketches at the default thresholds.

Reading and sketching interleave (one batch at a time); the time spent fetching
batches counts as ``read``, the rest as ``sketch``. With ``config["source"] ==
"parquet"`` the current window is read from its Parquet file of plain columns
instead (what the peers read; ``read`` is then that read) and sketched as one table.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import pyarrow as pa

from bench.peers.drift_common import Clock, config, emit, rss_mb, versions


def new_sketch() -> Any:
    """An empty one-pass window sketch."""
    from aweigh.monitor.drift.sketch import WindowSketch

    return WindowSketch()


def sketch_table(table: pa.Table) -> Any:
    """A sketch of a whole in-memory table."""
    sketch = new_sketch()
    sketch.update(table)
    return sketch


def compare_sketches(
    reference: Any, current: Any, kinds: Mapping[str, str]
) -> tuple[list[str], dict[str, Any]]:
    """The drifted columns (in ``kinds``' order) and every check's figures, at aweigh's
    defaults (KS for numbers, chi-square for categories, missing-share checks, Holm at
    family-wise alpha 0.01, per-method effect floors)."""
    from aweigh.monitor.drift import compare

    report = compare(reference, current)
    scores = {
        f"{r.column}/{r.method}": {
            "effect": r.effect,
            "threshold": r.threshold,
            "p_value": r.p_value,
            "drifted": r.drifted,
        }
        for r in report.results
    }
    drifted = set(report.drifted)
    return [c for c in kinds if c in drifted], scores


def features_of(batch: pa.RecordBatch) -> pa.Table:
    """The ``features`` struct column of a window batch as a table of its fields."""
    features = batch.column("features")
    kind = features.type
    return pa.Table.from_arrays(
        [features.field(i) for i in range(kind.num_fields)],
        names=[kind.field(i).name for i in range(kind.num_fields)],
    )


def stream_window(cfg: Mapping[str, Any]) -> Iterable[pa.RecordBatch]:
    """The current window's batches, read from the event log the way the monitor reads
    it (``read_window``), through a ``SegmentReader``: no writer thread, no spool."""
    from aweigh.storage.events.reader import SegmentReader
    from aweigh.storage.events.window import WindowSpec, read_window

    spec = WindowSpec(model=cfg["model"], features=cfg["dtypes"], labels=False)
    reader = SegmentReader(cfg["events"])
    try:
        yield from read_window(reader, spec, batch_rows=65_536)
    finally:
        reader.close()


def sketch_event_log(cfg: Mapping[str, Any], clock: Clock) -> tuple[Any, int]:
    """The current window read from the event log and sketched batch by batch."""
    current = new_sketch()
    rows = 0
    batches = iter(stream_window(cfg))
    while True:
        wall, cpu = time.perf_counter(), time.process_time()
        batch = next(batches, None)
        clock.add("read", time.perf_counter() - wall, time.process_time() - cpu)
        if batch is None:
            break
        wall, cpu = time.perf_counter(), time.process_time()
        current.update(features_of(batch))
        clock.add("sketch", time.perf_counter() - wall, time.process_time() - cpu)
        rows += batch.num_rows
    return current, rows


def sketch_parquet(cfg: Mapping[str, Any], clock: Clock) -> tuple[Any, int]:
    """The current window read from its Parquet file of plain columns (like the peers,
    the read timed apart) and sketched as one table."""
    import pyarrow.parquet as pq

    table = clock.run("read", lambda: pq.read_table(cfg["current"]))
    return clock.run("sketch", partial(sketch_table, table)), table.num_rows


def main() -> None:
    cfg = config()
    clock = Clock()
    import pyarrow.parquet as pq

    import aweigh.monitor.drift
    import aweigh.storage.events.reader  # imports are not timed

    reference_table = pq.read_table(cfg["reference"])
    before = rss_mb()
    reference = clock.run("reference_sketch", partial(sketch_table, reference_table))
    reference_table = None
    source = sketch_parquet if cfg.get("source") == "parquet" else sketch_event_log
    current, rows = source(cfg, clock)
    kinds = dict(cfg["dtypes"])
    drifted, scores = clock.run("compare", lambda: compare_sketches(reference, current, kinds))
    emit(
        {
            "steps": clock.steps,
            "rows_read": rows,
            "rss_before_compare_mb": before,
            "drifted": drifted,
            "scores": scores,
            "versions": versions("aweigh", "pyarrow", "duckdb", "numpy"),
            "module": aweigh.monitor.drift.__name__,
        }
    )


if __name__ == "__main__":
    main()
