"""Checking and encoding what a fairness table is given: labels, predictions, attributes.

Labels and predictions become two boolean arrays (``is positive``, ``is known``) by
comparing each value with the ``positive`` value, after checking that the two are of
the same kind: text labels need a text ``positive``, numeric or boolean labels a number.
Floating-point labels must be whole numbers (pandas reads 0/1 with gaps as floats);
anything else looks like scores and is refused. More than two classes are allowed and
read one-versus-rest. Rows are matched by position, never by a pandas index.

Sensitive attributes are factorised; a missing value (None/NaN) is a group of its own
(``None``), so rows are never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from aweigh.core.errors import InvalidInputError

__all__ = [
    "Attribute",
    "as_series",
    "binary",
    "check_positive_seen",
    "encode_attributes",
    "label_kind",
]

BoolArray = npt.NDArray[np.bool_]
Attribute = tuple[str, npt.NDArray[np.int64], list[Any]]

_KINDS = {
    "boolean": "bool",
    "integer": "number",
    "floating": "float",
    "mixed-integer-float": "float",
    "decimal": "float",
    "string": "text",
    "empty": "empty",
}


def as_series(values: Any, what: str) -> pd.Series:
    """Any 1-D array-like as a Series with a fresh positional index."""
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return pd.Series(values.to_pandas()).reset_index(drop=True)
    if isinstance(values, pd.DataFrame):
        raise InvalidInputError(
            f"The {what} must be one column, not a table of {values.shape[1]} columns."
        )
    array = np.asarray(values, dtype=object) if isinstance(values, list) else np.asarray(values)
    if array.ndim != 1:
        raise InvalidInputError(
            f"The {what} must be one value per row (1-D); got an array of shape {array.shape}."
        )
    return pd.Series(array)


def _examples(series: pd.Series, limit: int = 5) -> str:
    values = pd.unique(series.dropna())[:limit]
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values)


def label_kind(series: pd.Series, what: str) -> str:
    """``bool``, ``number``, ``text`` or ``empty``; other kinds raise ``InvalidInputError``."""
    values = series
    if isinstance(series.dtype, pd.CategoricalDtype):
        values = pd.Series(series.cat.categories)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    kind = _KINDS.get(inferred)
    if kind is None:
        raise InvalidInputError(
            f"The {what} have values of type {inferred!r} (e.g. {_examples(series)}); "
            "fairness needs class labels: all text or all numbers/booleans.",
            {"column": what, "type": inferred},
        )
    if kind == "float":
        numbers = pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype=np.float64)
        fractional = numbers[numbers != np.round(numbers)]
        if fractional.size:
            raise InvalidInputError(
                f"The {what} look like scores, not class labels (e.g. {fractional[0]:.4g}): "
                "threshold them first (e.g. score >= 0.5) or pass the predicted classes.",
                {"column": what, "type": "float"},
            )
        kind = "number"
    return kind


def _compatible(kind: str, positive: Any, what: str, series: pd.Series) -> None:
    text = isinstance(positive, str)
    if kind == "text" and not text:
        raise InvalidInputError(
            f"The {what} are text ({_examples(series)}) but positive={positive!r} is not: "
            "pass the positive class as one of those values.",
            {"column": what, "positive": repr(positive)},
        )
    if kind in ("number", "bool") and text:
        raise InvalidInputError(
            f"The {what} are {'booleans' if kind == 'bool' else 'numbers'} "
            f"({_examples(series)}) but positive={positive!r} is text: pass the positive "
            "class as one of those values.",
            {"column": what, "positive": positive},
        )


def binary(
    series: pd.Series, positive: Any, what: str, *, allow_missing: bool
) -> tuple[BoolArray, BoolArray]:
    """``(is positive, is known)`` per row; missing values are unknown (labels only)."""
    kind = label_kind(series, what)
    known = series.notna().to_numpy(dtype=bool)
    if not allow_missing and not known.all():
        missing = int((~known).sum())
        raise InvalidInputError(
            f"{missing:,} of {len(series):,} {what} are missing; every row needs one. "
            "Drop those rows or fill them in.",
            {"column": what, "missing": missing},
        )
    if kind == "empty":
        return np.zeros(len(series), dtype=bool), known
    _compatible(kind, positive, what, series)
    hit = series.astype(object).to_numpy() == positive
    return np.asarray(hit, dtype=bool) & known, known


def check_positive_seen(positive: Any, *named: tuple[str, pd.Series]) -> None:
    """Raise if ``positive`` occurs in none of the given columns (a typo, most likely)."""
    for _, series in named:
        if bool((series.dropna().astype(object) == positive).any()):
            return
    seen = "; ".join(f"{what}: {_examples(series, 8) or 'none'}" for what, series in named)
    raise InvalidInputError(
        f"The positive class {positive!r} occurs in neither the labels nor the predictions "
        f"({seen}). Pass one of those values as the positive class.",
        {"positive": repr(positive)},
    )


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def encode_attributes(sensitive: Mapping[str, Any] | pd.DataFrame, rows: int) -> list[Attribute]:
    """Each attribute as ``(name, integer codes, group values)``, checked for length."""
    items: Sequence[tuple[Any, Any]]
    if isinstance(sensitive, pd.DataFrame):
        items = [(name, sensitive[name]) for name in sensitive.columns]
    elif isinstance(sensitive, Mapping):
        items = list(sensitive.items())
    else:
        raise InvalidInputError(
            "Pass the sensitive attributes as a mapping {name: values} or a DataFrame; "
            f"got {type(sensitive).__name__}."
        )
    if not items:
        raise InvalidInputError("Name at least one sensitive attribute (e.g. sex or race).")
    out: list[Attribute] = []
    for name, values in items:
        series = as_series(values, f"sensitive attribute {name!r}")
        if len(series) != rows:
            raise InvalidInputError(
                f"The sensitive attribute {name!r} has {len(series):,} values for "
                f"{rows:,} predictions; give one value per row.",
                {"attribute": str(name)},
            )
        try:
            codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=False)
        except TypeError:  # values that do not sort together (e.g. text and numbers)
            codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=False)
        values_list = [_plain(v) for v in np.asarray(uniques, dtype=object)]
        out.append((str(name), np.asarray(codes, dtype=np.int64), values_list))
    return out
