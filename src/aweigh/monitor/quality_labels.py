"""Read labels, outputs and probabilities that arrive as JSON values into model terms.

Feedback comes from outside: a label may be the text ``"1"`` for a model whose classes are
the integers 0 and 1, the number ``1`` for a model whose classes are the strings ``"0"``
and ``"1"``, or something that is no class at all (``"yes"``, a list). Coercion turns what
can be read unambiguously into a class index and counts the rest as invalid, with a few
examples, so a bad label is reported rather than crashing a monitor.

:func:`proba_rows` does the same for the probability column: rows that are missing, of
the wrong length or not probabilities are masked out and counted, not fatal.

The work is vectorised: the values are factorized once and only the distinct values go
through the (Python) coercion rules, so a million labels with a handful of distinct
values cost a hash pass, not a million function calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError

__all__ = [
    "INVALID",
    "MISSING",
    "Coerced",
    "coerce_classes",
    "coerce_numbers",
    "proba_rows",
]

#: Code of a value that is absent (no label yet): not an error.
MISSING = -1
#: Code of a value that is present but is not (and cannot be read as) a known class.
INVALID = -2
_EXAMPLES = 5
_EXAMPLE_CHARS = 80
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))


@dataclass(frozen=True, slots=True)
class Coerced:
    """Codes for each value (class index, :data:`MISSING` or :data:`INVALID`).

    ``values`` holds the numbers for a regression target (NaN where missing or invalid)
    and is empty for classes. ``examples`` are up to five distinct invalid values, as
    short ``repr`` text.
    """

    codes: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    invalid: int
    examples: tuple[str, ...]
    raw: npt.NDArray[np.int64] | None = None
    uniques: Sequence[Any] = ()

    def examples_in(self, index: npt.NDArray[np.int64]) -> tuple[str, ...]:
        """Up to five distinct invalid values among the rows ``index``."""
        if self.raw is None:
            return self.examples
        bad = self.raw[index][self.codes[index] == INVALID]
        return tuple(_example(self.uniques[i]) for i in np.unique(bad)[:_EXAMPLES])


def _plain(value: Any) -> Any:
    """A numpy scalar as its Python value; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _example(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 3] + "..."


def _class_lookup(classes: Sequence[Any]) -> tuple[dict[Any, int], dict[str, int | None]]:
    """Exact lookup (by value) and text lookup (None where two classes share a text)."""
    exact: dict[Any, int] = {}
    text: dict[str, int | None] = {}
    for i, cls in enumerate(classes):
        cls = _plain(cls)
        if isinstance(cls, float) and math.isnan(cls):
            raise InvalidInputError(
                "The model's classes contain NaN; give the classes as the model reports "
                "them (e.g. estimator.classes_), without missing values.",
                {"classes": [str(c) for c in classes]},
            )
        if cls in exact and type(cls) is type(classes[exact[cls]]):
            raise InvalidInputError(
                f"The model's classes list {cls!r} twice; each class must appear once.",
                {"classes": [str(c) for c in classes]},
            )
        exact.setdefault(cls, i)
        key = str(cls)
        text[key] = None if key in text else i
    return exact, text


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _class_index(
    value: Any, exact: dict[Any, int], text: dict[str, int | None], kinds: frozenset[type]
) -> int:
    """The class index ``value`` reads as, or :data:`INVALID`."""
    value = _plain(value)
    if isinstance(value, (list, tuple, dict, set, bytes)):
        return INVALID
    if isinstance(value, float) and not math.isfinite(value):
        return INVALID
    if isinstance(value, bool):
        # JSON true/false: a bool class, else 1/0 only for a model with integer classes.
        if bool in kinds or int in kinds:
            hit = exact.get(value)
            return INVALID if hit is None else hit
        return INVALID
    if isinstance(value, (int, float)):
        if (int in kinds or float in kinds) and value in exact:
            return exact[value]
        key = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        hit = text.get(key)
        return INVALID if hit is None else hit
    if isinstance(value, str):
        stripped = value.strip()
        if str in kinds and stripped in exact:
            return exact[stripped]
        if bool in kinds and (stripped in _TRUE or stripped in _FALSE):
            return exact.get(stripped in _TRUE, INVALID)
        if int in kinds or float in kinds:
            number = _number(stripped)
            if number is not None and number in exact:
                return exact[number]
        hit = text.get(stripped)
        return INVALID if hit is None else hit
    return INVALID


def _decode(value: Any) -> Any:
    """JSON text to its value; text that is not JSON stays as it is."""
    if not isinstance(value, (str, bytes)):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


_HOMOGENEOUS = frozenset(("string", "integer", "floating", "boolean", "empty", "bytes"))


def _factorize(values: Any) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Codes (-1 for missing) and the distinct values, keeping ``1``, ``True`` and ``"1"`` apart."""
    array = values if isinstance(values, np.ndarray) else pd.Series(values).to_numpy()
    if array.dtype.kind != "O" or pd.api.types.infer_dtype(array, skipna=True) in _HOMOGENEOUS:
        plain_codes, plain_uniques = pd.factorize(array, use_na_sentinel=True)
        return plain_codes.astype(np.int64, copy=False), list(plain_uniques)
    # Mixed Python types: 1, 1.0 and True hash alike and would fold together, so
    # factorize each type on its own and offset the codes.
    kinds, kind_names = pd.factorize(np.array([type(v).__name__ for v in array], dtype=object))
    codes = np.full(array.shape[0], MISSING, dtype=np.int64)
    uniques: list[Any] = []
    for k in range(len(kind_names)):
        where = np.flatnonzero(kinds == k)
        part, part_uniques = _factorize_hashable(array[where])
        codes[where] = np.where(part >= 0, part + len(uniques), MISSING)
        uniques.extend(part_uniques)
    return codes, uniques


def _factorize_hashable(array: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Factorize values of one type; unhashable ones (lists, dicts) by their ``repr``."""
    try:
        codes, uniques = pd.factorize(array, use_na_sentinel=True)
        return codes.astype(np.int64, copy=False), list(uniques)
    except TypeError:
        texts = np.array([repr(v) for v in array], dtype=object)
        codes, _ = pd.factorize(texts)
        _, first = np.unique(codes, return_index=True)
        return codes.astype(np.int64, copy=False), [array[i] for i in first]


def coerce_classes(values: Any, classes: Sequence[Any], *, decode_json: bool = False) -> Coerced:
    """Class index per value: exact matches, then unambiguous readings (``"1"`` -> 1).

    Missing values (None, NaN) get :data:`MISSING`; values that are not a known class
    (``"yes"`` for classes 0/1, a list) get :data:`INVALID` and are counted. With
    ``decode_json`` each value is first parsed as JSON text (as the event log stores it).
    """
    if len(classes) == 0:
        raise InvalidInputError(
            "The model's classes are empty; pass the classes in the model's order "
            "(e.g. estimator.classes_).",
            {"field": "classes"},
        )
    exact, text = _class_lookup(classes)
    kinds = frozenset(type(_plain(c)) for c in classes)
    codes, uniques = _factorize(values)
    table = np.empty(len(uniques) + 1, dtype=np.int64)
    table[-1] = MISSING
    examples: list[str] = []
    for i, raw in enumerate(uniques):
        value = _decode(raw) if decode_json else raw
        if value is None:
            table[i] = MISSING
            continue
        table[i] = _class_index(value, exact, text, kinds)
        if table[i] == INVALID and len(examples) < _EXAMPLES:
            examples.append(_example(value))
    out = table[codes]
    invalid = int(np.count_nonzero(out == INVALID))
    return Coerced(out, np.empty(0), invalid, tuple(examples), codes, uniques)


def _to_float(value: Any) -> float | None:
    value = _plain(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        parsed = _number(value.strip())
        if parsed is None:
            return None
        number = float(parsed)
    else:
        return None
    return number if math.isfinite(number) else None


def coerce_numbers(values: Any, *, decode_json: bool = False) -> Coerced:
    """Numbers for a regression target: numeric text is read, anything else is invalid.

    Missing values get NaN and code :data:`MISSING`; booleans, lists, non-numeric text and
    infinities get NaN and code :data:`INVALID` (counted, with up to five examples).
    """
    array = values if isinstance(values, np.ndarray) else pd.Series(values).to_numpy()
    if array.dtype.kind in "iuf" and not decode_json:
        numbers = array.astype(np.float64, copy=True)
        finite = np.isfinite(numbers)
        nan = np.isnan(numbers)
        codes = np.where(finite, 0, np.where(nan, MISSING, INVALID)).astype(np.int64)
        bad = numbers[~finite & ~nan]
        numbers[~finite] = np.nan
        examples = tuple(_example(float(v)) for v in np.unique(bad)[:_EXAMPLES])
        return Coerced(codes, numbers, int(bad.size), examples)
    codes, uniques = _factorize(array)
    table = np.full(len(uniques) + 1, np.nan)
    status = np.full(len(uniques) + 1, MISSING, dtype=np.int64)
    examples_list: list[str] = []
    for i, raw in enumerate(uniques):
        value = _decode(raw) if decode_json else raw
        if value is None:
            continue
        number = _to_float(value)
        if number is None:
            status[i] = INVALID
            if len(examples_list) < _EXAMPLES:
                examples_list.append(_example(value))
        else:
            table[i], status[i] = number, 0
    out = status[codes]
    invalid = int(np.count_nonzero(out == INVALID))
    return Coerced(out, table[codes], invalid, tuple(examples_list), codes, uniques)


_PROBA_TYPE = pa.list_(pa.float64())


def _proba_arrow(values: Any) -> pa.Array:
    """The probability column as an Arrow ``list<double>`` array; bad rows become null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], _PROBA_TYPE)
    if isinstance(values, pa.Array):
        if values.type == _PROBA_TYPE:
            return values
        return values.cast(_PROBA_TYPE)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.ArrowDtype):
        return _proba_arrow(pa.array(values))
    array = values if isinstance(values, np.ndarray) else pd.Series(values).to_numpy()
    try:
        return pa.array(array, type=_PROBA_TYPE, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        rows: list[Any] = []
        for value in array:
            try:
                rows.append(pa.array(value, type=pa.float64(), from_pandas=True))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
                rows.append(None)
        return pa.array([None if r is None else r.to_pylist() for r in rows], _PROBA_TYPE)


def proba_rows(values: Any, k: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """An ``(n, k)`` probability matrix and a mask of the rows that are usable.

    ``values`` is the events' ``proba`` column (Arrow ``list<double>``, or a pandas column
    of lists/arrays/None). A row is usable when it has exactly ``k`` finite values in
    ``[0, 1]``; other rows (missing, wrong length, text, NaN) are NaN and masked out.
    """
    arrow = _proba_arrow(values)
    n = len(arrow)
    matrix = np.full((n, k), np.nan)
    if n == 0:
        return matrix, np.zeros(0, dtype=bool)
    lengths = pc.list_value_length(arrow).fill_null(-1).to_numpy(zero_copy_only=False)
    ok = lengths == k
    flat = pc.list_flatten(arrow).to_numpy(zero_copy_only=False).astype(np.float64)
    starts = np.concatenate([[0], np.cumsum(np.maximum(lengths, 0))[:-1]])
    if ok.any():
        index = starts[ok][:, None] + np.arange(k)[None, :]
        matrix[ok] = flat[index]
    good = ok & np.isfinite(matrix).all(axis=1) & (matrix >= 0).all(axis=1)
    good &= (matrix <= 1).all(axis=1)
    matrix[~good] = np.nan
    return matrix, good
