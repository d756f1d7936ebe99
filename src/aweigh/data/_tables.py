"""Input normalisation: pandas, polars and pyarrow tables become one pyarrow ``Table``.

Everything in ``aweigh.data`` computes on Arrow: pandas frames convert without their
index (NaN in float columns becomes null), polars frames through ``to_arrow()``,
record batches into a table. Column types are normalised so that the compute
kernels see few kinds: string views become ``large_string``, dictionary
(categorical) columns stay dictionaries (callers decode them), and a column mixing
Python types is refused with its name and the fix.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError

__all__ = ["column_kind", "to_arrow"]

_ACCEPTED = "a pandas DataFrame, a polars DataFrame or a pyarrow Table"


def to_arrow(table: Any, *, what: str = "the table") -> pa.Table:
    """``table`` as a pyarrow Table with normalised column types.

    Raises ``InvalidInputError`` for anything that is not a table, duplicate column
    names, or a pandas column that mixes Python types (naming the column).
    """
    if isinstance(table, pa.Table):
        result = table
    elif isinstance(table, pa.RecordBatch):
        result = pa.Table.from_batches([table])
    elif _is_pandas(table):
        result = _from_pandas(table, what)
    elif _is_polars(table):
        if not hasattr(table, "to_arrow"):
            raise InvalidInputError(
                f"{what} is a polars {type(table).__name__}; call .collect() on it and "
                "pass the DataFrame."
            )
        result = table.to_arrow()
    else:
        raise InvalidInputError(f"{what} must be {_ACCEPTED}. Got {type(table).__name__}.")
    names = [str(n) for n in result.column_names]
    duplicated = sorted(n for n, k in Counter(names).items() if k > 1)
    if duplicated:
        raise InvalidInputError(
            f"{what} has duplicate column names {duplicated}; rename them so each is unique."
        )
    return _normalise(result)


def column_kind(kind: pa.DataType) -> str:
    """The coarse kind of an Arrow type: int, float, bool, string, dictionary,
    datetime, null or other."""
    if pa.types.is_integer(kind):
        return "int"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "float"
    if pa.types.is_boolean(kind):
        return "bool"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string"
    if pa.types.is_dictionary(kind):
        return "dictionary"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "datetime"
    if pa.types.is_null(kind):
        return "null"
    return "other"


def _is_pandas(table: Any) -> bool:
    return type(table).__module__.startswith("pandas") and hasattr(table, "columns")


def _is_polars(table: Any) -> bool:
    kind = type(table)
    return kind.__module__.startswith("polars") and (
        hasattr(kind, "to_arrow") or hasattr(kind, "collect")
    )


def _from_pandas(frame: Any, what: str) -> pa.Table:
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        for name in frame.columns:
            try:
                pa.array(frame[name], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                kinds = sorted({type(v).__name__ for v in frame[name].dropna().head(1000)})
                raise InvalidInputError(
                    f"{what}: column {str(name)!r} mixes value types {kinds}; convert it to "
                    "one type (e.g. df[col].astype(str) or pd.to_numeric) and try again.",
                    {"column": str(name), "types": kinds},
                ) from exc
        raise InvalidInputError(f"{what} cannot be converted to Arrow: {exc}.") from exc


def _normalise(table: pa.Table) -> pa.Table:
    """Rename to ``str`` names and turn string views into ``large_string``."""
    columns = []
    changed = False
    for column in table.columns:
        kind = column.type
        if pa.types.is_string_view(kind):
            column = pc.cast(column, pa.large_string())
            changed = True
        elif pa.types.is_dictionary(kind) and pa.types.is_string_view(kind.value_type):
            column = pc.cast(column, pa.dictionary(kind.index_type, pa.large_string()))
            changed = True
        columns.append(column)
    names = [str(n) for n in table.column_names]
    if not changed and names == table.column_names:
        return table
    return pa.Table.from_arrays(columns, names=names)
