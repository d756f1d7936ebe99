"""Input signatures and data fingerprints inferred from pandas frames."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd

from aweigh.core.entities import ColumnSpec, DataFingerprint, Signature
from aweigh.core.errors import InvalidInputError


def as_frame(data: Any, what: str = "data") -> pd.DataFrame:
    """Accept a DataFrame, a dict of columns or a list of row dicts; refuse anything else."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, dict) or (
        isinstance(data, list) and all(isinstance(r, dict) for r in data)
    ):
        try:
            frame = pd.DataFrame(data)
        except ValueError as exc:
            raise InvalidInputError(f"The {what} cannot be turned into a table: {exc}.") from exc
    else:
        raise InvalidInputError(
            f"The {what} must be a pandas DataFrame, a dict of columns or a list of row "
            f"dicts. Got {type(data).__name__} instead."
        )
    if frame.columns.has_duplicates:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidInputError(f"The {what} has duplicate columns {dupes}; rename them.")
    return frame


def dtype_name(series: pd.Series) -> str:
    """aweigh's small dtype vocabulary: bool, int, float, string, category, datetime, ..."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    if pd.api.types.is_string_dtype(dtype):
        non_null = series.dropna()
        if non_null.empty or all(isinstance(v, str) for v in non_null.head(1000)):
            return "string"
    return "object"


def infer_signature(frame: pd.DataFrame) -> Signature:
    """Column names, dtypes and whether the sample had missing values, in frame order."""
    return Signature(
        columns=tuple(
            ColumnSpec(
                name=str(col), dtype=dtype_name(frame[col]), nullable=bool(frame[col].isna().any())
            )
            for col in frame.columns
        )
    )


def fingerprint(frame: pd.DataFrame) -> DataFingerprint:
    """A content hash of a table (values, column names and dtypes), its rows and columns.

    Row order matters: the same rows shuffled are a different dataset version.
    """
    digest = hashlib.sha256()
    header = [[str(c), str(frame[c].dtype)] for c in frame.columns]
    digest.update(json.dumps(header).encode())
    if len(frame):
        hashed = pd.util.hash_pandas_object(frame, index=False)
        digest.update(np.ascontiguousarray(hashed.to_numpy(dtype=np.uint64)).tobytes())
    return DataFingerprint(
        sha256=digest.hexdigest(), rows=len(frame), columns=tuple(str(c) for c in frame.columns)
    )
