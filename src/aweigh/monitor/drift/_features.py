"""Raw rows of both sides as one numeric matrix, for the multivariate checks.

Each side is subsampled (seeded) to at most ``max_rows`` rows. Numbers and datetimes
become float columns (missing as NaN); categories become integer codes shared by both
sides (the 250 most frequent, then one code for the rest; missing as NaN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.monitor.drift._values import numbers

__all__ = ["Features", "features"]

FloatArray = npt.NDArray[np.float64]
MAX_CODES = 250


@dataclass(frozen=True)
class Features:
    """Reference rows, current rows, column names and which columns are categorical."""

    ref: FloatArray
    cur: FloatArray
    names: list[str]
    categorical: npt.NDArray[np.bool_]


def _sample(table: pa.Table, max_rows: int, rng: np.random.Generator) -> pa.Table:
    if table.num_rows <= max_rows:
        return table
    keep = np.sort(rng.choice(table.num_rows, size=max_rows, replace=False))
    return table.take(pa.array(keep))


def _codes(ref: pa.ChunkedArray, cur: pa.ChunkedArray) -> tuple[FloatArray, FloatArray]:
    both = pa.chunked_array(
        [c.cast(pa.large_string()) for c in (*_text(ref).chunks, *_text(cur).chunks)],
        type=pa.large_string(),
    )
    encoded = pc.dictionary_encode(both.combine_chunks())
    raw = np.asarray(pc.fill_null(encoded.indices.cast(pa.int64()), -1), dtype=np.int64)
    counts = np.bincount(raw[raw >= 0], minlength=len(encoded.dictionary))
    rank = np.empty(counts.size, dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(counts.size)
    codes = np.where(raw >= 0, np.minimum(rank[np.maximum(raw, 0)], MAX_CODES), -1)
    out = codes.astype(np.float64)
    out[raw < 0] = np.nan
    return out[: len(ref)], out[len(ref) :]


def _text(values: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(values.type):
        values = pa.chunked_array([c.dictionary_decode() for c in values.chunks])
    if pa.types.is_null(values.type):
        return pa.chunked_array([pa.nulls(len(values), pa.large_string())])
    return pc.cast(values, pa.large_string())


def features(
    reference: pa.Table,
    current: pa.Table,
    columns: Sequence[str],
    kinds: Mapping[str, str],
    *,
    max_rows: int,
    seed: int,
) -> Features:
    """Both sides' subsampled rows as float matrices (module notes)."""
    rng = np.random.default_rng(seed)
    ref = _sample(reference, max_rows, rng)
    cur = _sample(current, max_rows, rng)
    ref_cols: list[FloatArray] = []
    cur_cols: list[FloatArray] = []
    flags: list[bool] = []
    for name in columns:
        kind = kinds.get(name, "categorical")
        if kind in ("numeric", "datetime"):
            ref_cols.append(numbers(ref.column(name), kind)[0])
            cur_cols.append(numbers(cur.column(name), kind)[0])
            flags.append(False)
        else:
            r, c = _codes(ref.column(name), cur.column(name))
            ref_cols.append(r)
            cur_cols.append(c)
            flags.append(True)
    width = len(columns)
    return Features(
        ref=np.column_stack(ref_cols) if width else np.empty((ref.num_rows, 0)),
        cur=np.column_stack(cur_cols) if width else np.empty((cur.num_rows, 0)),
        names=list(columns),
        categorical=np.asarray(flags, dtype=bool),
    )
