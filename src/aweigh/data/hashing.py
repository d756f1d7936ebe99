"""Content hashes of tables that do not depend on row order, column order or file format.

Each value is first put in a canonical form (integers and integral floats as int64,
other numbers as float64, booleans, text as UTF-8, timestamps as UTC nanoseconds,
missing as one marker), each row is hashed from its canonical values in column-name
order, and the sorted row hashes (a multiset: duplicates count) are hashed with the
column names. So the Adult table read from CSV or from Parquet, or shuffled, gives the
same hash; changing one value, adding a row or renaming a column gives another.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from aweigh.core.errors import InvalidInputError

HASH_VERSION = "aweigh-table-v1"


def as_pandas(table: Any) -> pd.DataFrame:
    """pandas, pyarrow or polars in; a pandas frame out (refusing anything else)."""
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, pa.Table) or type(table).__module__.startswith("polars"):
        frame: pd.DataFrame = table.to_pandas()
        return frame
    raise InvalidInputError(
        f"Expected a pandas, pyarrow or polars table. Got {type(table).__name__}."
    )


def _canonical(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean").astype(object).where(series.notna(), None)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = pd.to_numeric(series, errors="coerce").astype("float64")
        integral = values.notna() & np.isfinite(values) & (values == np.round(values))
        out = values.astype(object)
        out[integral] = values[integral].astype("int64")
        return out.where(values.notna(), None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.to_datetime(series, utc=True)
        return pd.Series(stamps.astype("int64"), index=series.index, dtype=object).where(
            stamps.notna(), None
        )
    return (
        series.astype(object)
        .where(series.notna(), None)
        .map(lambda v: v if v is None or isinstance(v, str) else str(v))
    )


def content_hash(table: Any) -> str:
    """The order-independent sha256 of a table (see the module docstring)."""
    frame = as_pandas(table)
    names = sorted(str(c) for c in frame.columns)
    if len(set(names)) != len(names):
        raise InvalidInputError("The table has duplicate column names; rename them first.")
    digest = hashlib.sha256(HASH_VERSION.encode())
    digest.update("\x1f".join(names).encode())
    if len(frame):
        canonical = pd.DataFrame({name: _canonical(frame[name]) for name in names})
        rows = pd.util.hash_pandas_object(canonical, index=False).to_numpy(dtype=np.uint64)
        digest.update(np.sort(rows).tobytes())
    digest.update(str(len(frame)).encode())
    return digest.hexdigest()
