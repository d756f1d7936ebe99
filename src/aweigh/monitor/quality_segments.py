"""Group keys for quality windows: the time slot of each prediction and its segment values.

A window is a range of *prediction* time (when the model answered), never of feedback
time, so a label that arrives days later revises the window its prediction belongs to.
Slots are aligned on the Unix epoch (an hourly window starts on the hour, UTC).
Segments are any columns (version, country, age band); a numeric column given edges in
``segment_bins`` becomes labelled bands, ``[30, 45)`` reading ``"30-45"``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aweigh.core.errors import InvalidInputError

__all__ = ["MISSING_SEGMENT", "band_labels", "segment_codes", "window_ns"]

#: Segment value of rows whose segment column is null.
MISSING_SEGMENT = "missing"


def window_ns(window: str | float | timedelta | pd.Timedelta) -> int:
    """The window length in nanoseconds from a pandas offset (``"1h"``), seconds or timedelta."""
    try:
        if isinstance(window, bool):
            raise TypeError("a boolean is not a duration")
        if isinstance(window, (int, float)):
            length = pd.Timedelta(seconds=float(window))
        else:
            length = pd.to_timedelta(window)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInputError(
            f"The window must be a fixed duration such as '15min', '1h', '1D', a number of "
            f"seconds or a timedelta. Got {window!r} instead ({exc}).",
            {"field": "window"},
        ) from exc
    if pd.isna(length) or length.value <= 0:
        raise InvalidInputError(
            f"The window must be a positive duration. Got {window!r} instead.",
            {"field": "window"},
        )
    return int(length.value)


def _number(edge: float) -> str:
    return f"{edge:g}"


def band_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the bands ``edges`` make: below, each ``[a, b)``, at or above the last."""
    inner = [f"{_number(a)}-{_number(b)}" for a, b in itertools.pairwise(edges)]
    return [f"<{_number(edges[0])}", *inner, f">={_number(edges[-1])}"]


def _bands(column: pd.Series, name: str, edges: Sequence[float]) -> npt.NDArray[Any]:
    try:
        cuts = np.asarray(edges, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"segment_bins[{name!r}] must be a list of numbers; got {edges!r}.",
            {"field": "segment_bins", "column": name},
        ) from exc
    if cuts.ndim != 1 or cuts.size < 2 or not np.all(np.diff(cuts) > 0):
        raise InvalidInputError(
            f"segment_bins[{name!r}] must be at least two increasing edges, e.g. "
            f"[0, 30, 45, 60, 200]; got {list(edges)!r}.",
            {"field": "segment_bins", "column": name},
        )
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    labels = np.array([*band_labels(cuts.tolist()), MISSING_SEGMENT], dtype=object)
    index = np.searchsorted(cuts, values, side="right")
    index[np.isnan(values)] = labels.size - 1
    return labels[index]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def segment_codes(
    frame: pd.DataFrame, by: Sequence[str], bins: Mapping[str, Sequence[float]]
) -> tuple[list[npt.NDArray[np.int64]], list[list[Any]]]:
    """Per ``by`` column: an int code per row and the sorted distinct values they index.

    Nulls become :data:`MISSING_SEGMENT` (``None`` for ``version``); binned columns take
    their band labels.
    """
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"The predictions lack the segment column(s) {', '.join(missing)}; expand the "
            "event inputs into columns (or drop them from by).",
            {"field": "by", "missing": missing},
        )
    stray = sorted(set(bins) - set(by))
    if stray:
        raise InvalidInputError(
            f"segment_bins names {', '.join(stray)}, which by does not; add them to by.",
            {"field": "segment_bins", "columns": stray},
        )
    codes: list[npt.NDArray[np.int64]] = []
    values: list[list[Any]] = []
    for name in by:
        column = frame[name]
        if name in bins:
            data: Any = _bands(column, name, bins[name])
        else:
            data = column.to_numpy(dtype=object)
            nulls = pd.isna(column).to_numpy()
            if nulls.any():
                data = data.copy()
                data[nulls] = None if name == "version" else MISSING_SEGMENT
        try:
            code, uniques = pd.factorize(data, sort=True, use_na_sentinel=False)
        except TypeError:  # values of several types that do not sort together
            code, uniques = pd.factorize(data, sort=False, use_na_sentinel=False)
        codes.append(np.asarray(code, dtype=np.int64))
        values.append([_plain(v) for v in uniques])
    return codes, values
