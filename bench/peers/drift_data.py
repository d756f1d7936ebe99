"""The drift benchmark's data: seeded reference and current windows, and the event log.

25 columns, 20 numeric and 5 categorical, with varied shapes (normal, lognormal,
uniform, integer-valued, a bimodal mixture, heavy tails; categories with 3 to 30
levels, some skewed, two columns with 1% missing values). The current window has
moderate, real drift in 6 columns (:data:`DRIFTED`): a 0.5 sd mean shift, a 1.5x
spread, a 1.3x scale of a lognormal (0.46 sd), a Poisson mean 4 -> 5 (0.5 sd), a
bimodal mixture whose weights move from 50/50 to 35/65, and a categorical column
where 10 points of share move from its dominant level to a small one (5% -> 15%).
The other 19 columns are drawn from the same distribution in both windows with
independent seeds: any alert on them is a false positive.

The reference and current windows have the same number of rows. Every tool reads
the same values: the peers from a Parquet file of plain columns, aweigh's current
window from an event log (Parquet segments in aweigh's event schema under
``<root>/model=bench/date=YYYY-MM-DD/``, inputs as JSON text per row, 50,000 events
per segment like the server's writer at full load).

Runs in aweigh's ``.venv`` (numpy, pyarrow); the peers only read the files it writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REFERENCE_SEED = 42
CURRENT_SEED = 43
MODEL = "bench"
SEGMENT_ROWS = 50_000
MISSING_SHARE = 0.01

Sampler = Callable[[np.random.Generator, int], npt.NDArray[Any]]


@dataclass(frozen=True)
class Column:
    """One column: how the reference is drawn and, for drifted columns, the current."""

    name: str
    kind: str  # "numeric" | "categorical"
    reference: Sampler
    current: Sampler | None = None  # None: the same distribution as the reference
    drift: str = ""  # what changed, in words
    missing: bool = False  # MISSING_SHARE of the values are null, in both windows

    @property
    def drifted(self) -> bool:
        return self.current is not None


def _normal(mean: float, sd: float) -> Sampler:
    return lambda rng, n: rng.normal(mean, sd, n)


def _lognormal(mu: float, sigma: float, scale: float = 1.0) -> Sampler:
    return lambda rng, n: scale * rng.lognormal(mu, sigma, n)


def _uniform(low: float, high: float) -> Sampler:
    return lambda rng, n: rng.uniform(low, high, n)


def _poisson(lam: float) -> Sampler:
    return lambda rng, n: rng.poisson(lam, n).astype(np.int64)


def _bimodal(weight: float) -> Sampler:
    """``weight`` of the values around -2, the rest around 3 (both sd 1)."""

    def draw(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        low = rng.random(n) < weight
        return np.where(low, rng.normal(-2.0, 1.0, n), rng.normal(3.0, 1.0, n))

    return draw


def _levels(prefix: str, shares: list[float]) -> Sampler:
    """Level names ``<prefix>_<i>`` drawn with the given shares (normalised)."""
    names = np.array([f"{prefix}_{i:02d}" for i in range(len(shares))], dtype=object)
    p = np.asarray(shares, dtype=np.float64)
    p = p / p.sum()
    return lambda rng, n: names[rng.choice(len(p), size=n, p=p)]


_SKEWED = [0.55, 0.15, 0.10, 0.07, 0.05, 0.04, 0.025, 0.015]
_SKEWED_DRIFTED = [0.45, 0.15, 0.10, 0.07, 0.15, 0.04, 0.025, 0.015]
_ZIPF = [1.0 / (i + 1) for i in range(30)]

COLUMNS: tuple[Column, ...] = (
    Column("normal_a", "numeric", _normal(50, 10), _normal(55, 10), "mean +0.5 sd (50 -> 55)"),
    Column("normal_b", "numeric", _normal(0, 1)),
    Column("normal_c", "numeric", _normal(-3, 2), _normal(-3, 3), "sd x1.5 (2 -> 3)"),
    Column("normal_d", "numeric", _normal(100, 25)),
    Column(
        "lognormal_a",
        "numeric",
        _lognormal(3, 0.6),
        _lognormal(3, 0.6, 1.3),
        "scale x1.3 (mean +0.46 sd)",
    ),
    Column("lognormal_b", "numeric", _lognormal(0, 1)),
    Column("lognormal_c", "numeric", _lognormal(5, 0.3)),
    Column("uniform_a", "numeric", _uniform(0, 1)),
    Column("uniform_b", "numeric", _uniform(-100, 100)),
    Column("uniform_c", "numeric", _uniform(10, 20)),
    Column("count_a", "numeric", _poisson(4), _poisson(5), "Poisson mean 4 -> 5 (+0.5 sd)"),
    Column("count_b", "numeric", lambda rng, n: rng.integers(0, 101, n)),
    Column("count_c", "numeric", lambda rng, n: rng.binomial(20, 0.3, n).astype(np.int64)),
    Column("count_d", "numeric", _poisson(30)),
    Column("bimodal", "numeric", _bimodal(0.5), _bimodal(0.35), "mixture weights 50/50 -> 35/65"),
    Column("exponential", "numeric", lambda rng, n: rng.exponential(2.0, n)),
    Column("gamma", "numeric", lambda rng, n: rng.gamma(2.0, 3.0, n)),
    Column("beta", "numeric", lambda rng, n: rng.beta(2.0, 5.0, n)),
    Column("student_t", "numeric", lambda rng, n: rng.standard_t(5, n)),
    Column("normal_missing", "numeric", _normal(10, 3), missing=True),
    Column("cat_3", "categorical", _levels("c3", [0.5, 0.3, 0.2])),
    Column(
        "cat_8_skewed",
        "categorical",
        _levels("c8", _SKEWED),
        _levels("c8", _SKEWED_DRIFTED),
        "10 points of share from level 00 (55% -> 45%) to level 04 (5% -> 15%)",
    ),
    Column("cat_12", "categorical", _levels("c12", [1.0] * 12)),
    Column("cat_30_zipf", "categorical", _levels("c30", _ZIPF)),
    Column(
        "cat_5_missing", "categorical", _levels("c5", [0.4, 0.25, 0.15, 0.12, 0.08]), missing=True
    ),
)
NUMERIC = tuple(c.name for c in COLUMNS if c.kind == "numeric")
CATEGORICAL = tuple(c.name for c in COLUMNS if c.kind == "categorical")
DRIFTED = tuple(c.name for c in COLUMNS if c.drifted)
#: the dtype of each feature in aweigh's vocabulary (what a window reads them as)
DTYPES = {c.name: ("float" if c.kind == "numeric" else "category") for c in COLUMNS}


def make_window(rows: int, *, current: bool) -> pa.Table:
    """The reference (``current=False``) or the current window, ``rows`` rows of 25 columns."""
    rng = np.random.default_rng(CURRENT_SEED if current else REFERENCE_SEED)
    arrays: dict[str, pa.Array] = {}
    for column in COLUMNS:
        draw = column.current if current and column.current is not None else column.reference
        values = draw(rng, rows)
        mask = rng.random(rows) < MISSING_SHARE if column.missing else None
        if column.kind == "categorical":
            arrays[column.name] = pa.array(values, pa.string(), mask=mask)
        elif values.dtype.kind == "i":
            arrays[column.name] = pa.array(values, pa.int64(), mask=mask)
        else:
            arrays[column.name] = pa.array(values, pa.float64(), mask=mask)
    return pa.table(arrays)


def write_plain(table: pa.Table, path: Path) -> None:
    """The window as one Parquet file of plain columns (what the peers read)."""
    pq.write_table(table, path, compression="zstd")


# -- the event log ----------------------------------------------------------------------
def inputs_json(table: pa.Table) -> pa.Array:
    """One JSON object per row (``{"normal_a":50.1,...,"cat_3":"c3_00"}``) as text.

    Built column-wise with Arrow's string kernels, so 1M rows take a second rather
    than the minute a per-row ``orjson.dumps`` of dicts would; :func:`check_inputs`
    parses a sample back with orjson and compares it with the table.
    """
    parts: list[Any] = []
    for number, name in enumerate(table.column_names):
        column = table.column(name).combine_chunks()
        if pa.types.is_string(column.type):
            text = pc.binary_join_element_wise('"', column, '"', "")
        else:
            text = pc.cast(column, pa.string())
        parts.append(("{" if number == 0 else ",") + f'"{name}":')
        parts.append(pc.fill_null(text, "null"))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def check_inputs(table: pa.Table, inputs: pa.Array, sample: int = 1000) -> None:
    """Raise AssertionError unless a sample of ``inputs`` parses to the table's values."""
    import orjson

    step = max(1, table.num_rows // sample)
    rows = table.take(pa.array(np.arange(0, table.num_rows, step))).to_pylist()
    texts = inputs.take(pa.array(np.arange(0, table.num_rows, step))).to_pylist()
    for row, text in zip(rows, texts, strict=True):
        if orjson.loads(text) != row:
            raise AssertionError(f"the inputs JSON {text[:200]} does not match {row}")


def write_event_log(table: pa.Table, root: Path, *, day: datetime | None = None) -> int:
    """Write the window as prediction events under ``root``; returns the segment count.

    Events are spread over one UTC day (a 24-hour window), 50,000 per segment, in
    aweigh's :data:`~aweigh.storage.events.EVENT_SCHEMA`, written the way the event
    log's writer writes them (zstd, hidden temporary file, fsync, rename).
    """
    from aweigh.storage.events.model import EVENT_SCHEMA
    from aweigh.storage.events.parquet import write_segment

    rows = table.num_rows
    start = (day or datetime(2026, 11, 28, tzinfo=UTC)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    inputs = inputs_json(table)
    check_inputs(table, inputs)
    step_us = (24 * 3600 * 1_000_000 - 1) // max(rows, 1)
    ts = pa.array(
        np.datetime64(start.replace(tzinfo=None), "us") + np.arange(rows) * step_us,
        pa.timestamp("us", tz="UTC"),
    )
    ids = pc.binary_join_element_wise("bench-", pc.cast(pa.array(np.arange(rows)), pa.string()), "")
    rng = np.random.default_rng(7)
    p1 = rng.random(rows)
    folder = root / f"model={MODEL}" / f"date={start:%Y-%m-%d}"
    count = 0
    for offset in range(0, rows, SEGMENT_ROWS):
        end = min(rows, offset + SEGMENT_ROWS)
        n = end - offset
        probs = p1[offset:end]
        proba = pa.ListArray.from_arrays(
            pa.array(np.arange(0, 2 * n + 1, 2), pa.int32()),
            pa.array(np.column_stack([1.0 - probs, probs]).ravel()),
        )
        columns = {
            "kind": pa.array(["prediction"] * n),
            "request_id": ids.slice(offset, n),
            "row": pa.array(np.zeros(n, np.int64)),
            "model": pa.array([MODEL] * n),
            "version": pa.array(np.ones(n, np.int64)),
            "ts": ts.slice(offset, n),
            "inputs": inputs.slice(offset, n),
            "output": pa.array(np.where(probs >= 0.5, "1", "0")),
            "proba": proba,
            "latency_ms": pa.array(rng.gamma(2.0, 1.5, n)),
        }
        arrays = [
            columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in EVENT_SCHEMA
        ]
        segment = pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)
        moment = start + timedelta(microseconds=int(offset * step_us))
        write_segment(segment, folder / f"{moment:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.parquet")
        count += 1
    return count


def describe() -> dict[str, Any]:
    """The workload in plain data, for the results file."""
    return {
        "columns": [
            {"name": c.name, "kind": c.kind, "drift": c.drift or None, "missing": c.missing}
            for c in COLUMNS
        ],
        "drifted": list(DRIFTED),
        "reference_seed": REFERENCE_SEED,
        "current_seed": CURRENT_SEED,
        "missing_share": MISSING_SHARE,
        "segment_rows": SEGMENT_ROWS,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.peers.drift_data ROWS FOLDER``: write both windows and the event
    log into FOLDER; print the number of segments."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    rows, folder = int(args[0]), Path(args[1])
    reference = make_window(rows, current=False)
    write_plain(reference, folder / "reference.parquet")
    del reference
    current = make_window(rows, current=True)
    write_plain(current, folder / "current.parquet")
    print(write_event_log(current, folder / "events"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
