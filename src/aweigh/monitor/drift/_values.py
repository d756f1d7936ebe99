"""Column values as numbers or category counts, vectorised (no Python loop per value).

Categories are compared as text, the way :mod:`aweigh.data.profile` stores them:
strings as they are, booleans as ``"true"``/``"false"``, numbers as Arrow formats them
(``13``, ``1.5``), so a reference profile and a window of raw events agree on names.
Datetimes are seconds since the epoch (UTC), as in the profile.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError

__all__ = [
    "arrow_kind",
    "as_arrow",
    "category_counts",
    "category_name",
    "check_kind",
    "numbers",
]

FloatArray = npt.NDArray[np.float64]
_UNIT_SECONDS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def arrow_kind(kind: pa.DataType) -> str:
    """``numeric``, ``datetime``, ``categorical`` or ``unknown`` (an all-null column)."""
    if pa.types.is_dictionary(kind):
        return "categorical"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "numeric"
    if pa.types.is_duration(kind):
        return "numeric"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "datetime"
    if pa.types.is_null(kind):
        return "unknown"
    return "categorical"


def as_arrow(values: Any) -> pa.Array | pa.ChunkedArray:
    """Numpy, pandas, lists and scalars as an Arrow array (mixed types become text)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if isinstance(values, pd.Series | pd.Index):
        values = values.array
    if np.isscalar(values) or values is None:
        values = [values]
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        flat = np.asarray(values, dtype=object).ravel().tolist()
        text = [None if _missing(v) else str(v) for v in flat]
        return pa.array(text, type=pa.large_string())


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _combined(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        if pa.types.is_dictionary(values.type) and values.num_chunks > 1:
            values = pa.chunked_array([c.dictionary_decode() for c in values.chunks])
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def numbers(values: Any, kind: str = "numeric") -> tuple[FloatArray, int]:
    """Values as float64 (missing as NaN) and how many present values were not numbers."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iufb":
        return values.astype(np.float64, copy=False).ravel(), 0
    arr = _combined(as_arrow(values))
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    kind_of = arrow_kind(arr.type)
    if kind_of == "unknown":
        return np.full(len(arr), np.nan), 0
    if kind_of == "datetime" or pa.types.is_duration(arr.type):
        return _seconds(arr), 0
    if kind_of == "numeric" or pa.types.is_boolean(arr.type):
        out = pc.cast(arr, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        return np.asarray(out, dtype=np.float64), 0
    # text where numbers (or datetimes) were expected: parse, count what does not parse
    series = pd.Series(arr.cast(pa.large_string()).to_pandas(), dtype=object)
    present = int(series.notna().sum())
    if kind == "datetime":
        stamps = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601")
        parsed = np.full(len(series), np.nan)
        ok = stamps.notna().to_numpy()
        parsed[ok] = (stamps[ok] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    else:
        parsed = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return parsed, present - int((~np.isnan(parsed)).sum())


def _seconds(arr: pa.Array) -> FloatArray:
    kind = arr.type
    if pa.types.is_date32(kind):
        days = pc.cast(arr.cast(pa.int32()), pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(days, dtype=np.float64) * 86_400.0
    if pa.types.is_date64(kind):
        ms = pc.cast(arr.cast(pa.int64()), pa.float64()).to_numpy(zero_copy_only=False)
        return np.asarray(ms, dtype=np.float64) / 1e3
    raw = pc.cast(arr.cast(pa.int64()), pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(raw, dtype=np.float64) / _UNIT_SECONDS[kind.unit]


def category_counts(values: Any) -> tuple[pa.Array, npt.NDArray[np.int64], int, int]:
    """Distinct categories (as text), their counts, the missing count and the row count."""
    arr = _combined(as_arrow(values))
    rows = len(arr)
    if pa.types.is_null(arr.type):
        return pa.array([], type=pa.large_string()), np.zeros(0, np.int64), rows, rows
    if pa.types.is_dictionary(arr.type) and pa.types.is_floating(arr.type.value_type):
        arr = arr.dictionary_decode()  # NaN may hide in the dictionary
    if pa.types.is_floating(arr.type):
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr)
    if not pa.types.is_dictionary(arr.type):
        try:
            arr = pc.dictionary_encode(arr)
        except pa.ArrowNotImplementedError:
            arr = pc.dictionary_encode(_text(arr))
    dictionary = arr.dictionary
    codes = np.asarray(pc.fill_null(arr.indices.cast(pa.int64()), -1), dtype=np.int64)
    present = codes[codes >= 0]
    counts = np.bincount(present, minlength=len(dictionary)).astype(np.int64)
    used = np.flatnonzero(counts)
    names = _text(dictionary.take(pa.array(used)))
    return names, counts[used], rows - int(present.size), rows


def _text(arr: pa.Array) -> pa.Array:
    kind = arr.type
    if pa.types.is_large_string(kind):
        return arr
    try:
        return pc.cast(arr, pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        flat = [None if v is None else str(v) for v in arr.to_pylist()]
        return pa.array(flat, type=pa.large_string())


def category_name(value: Any) -> str:
    """One stored category as text, formatted like :func:`category_counts` formats it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, str):
        return value
    return str(value)


def check_kind(kind: Any, where: str) -> str:
    """``kind`` if it is a column kind a sketch can hold, else a clear error."""
    allowed = ("numeric", "datetime", "categorical", "unknown")
    if kind not in allowed:
        raise InvalidInputError(
            f"The 'kind' parameter of {where} must be one of {list(allowed)}. Got {kind!r} instead."
        )
    return str(kind)
