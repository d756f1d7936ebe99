"""Fairness over time: one :class:`FairnessReport` per time window of live predictions.

Rows go to the window of their *prediction* time, so a label that arrives late (joined
to its prediction by the event log) revises the window the prediction belongs to when
the windows are computed again; nothing is attributed to the day the label came.
Rows without a label yet count in the selection rate only (it needs no label); the
label-based figures (TPR, FPR, precision, accuracy) use the labelled rows.

A window reports instead of raising where live data can legitimately be thin:

- ``empty``: no predictions in the window (gaps between the first and last window are
  listed, so a silent day shows up);
- ``missing_attribute``: a sensitive attribute is absent from the events, or null on
  every row of the window (e.g. a model version that did not log it). The report then
  covers the attributes that are there (``report`` is None when none is);
- ``ok`` otherwise; groups below ``min_group_size`` are marked too small inside.

Labels, predictions and the positive class are checked once for the whole frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.fairness import check_options, table_from_arrays
from aweigh.monitor.fairness_input import (
    Attribute,
    as_series,
    binary,
    check_positive_seen,
    encode_attributes,
)
from aweigh.monitor.fairness_report import FairnessReport

__all__ = ["FairnessWindow", "fairness_windows"]


@dataclass(frozen=True, slots=True)
class FairnessWindow:
    """One time window ``[start, end)``: its counts, status and fairness report."""

    start: datetime
    end: datetime
    n: int
    n_labeled: int
    status: str
    missing_attributes: tuple[str, ...] = ()
    report: FairnessReport | None = None

    @property
    def summary(self) -> str:
        """One line: the window, its status and the report's verdict."""
        head = f"{self.start.isoformat()} .. {self.end.isoformat()}"
        if self.status == "empty":
            return f"{head}: empty window, no predictions."
        missing = (
            f" (missing attribute {', '.join(self.missing_attributes)})"
            if self.missing_attributes
            else ""
        )
        verdict = self.report.summary if self.report is not None else "not judged."
        return f"{head}{missing}: {verdict}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "n": self.n,
            "n_labeled": self.n_labeled,
            "status": self.status,
            "missing_attributes": list(self.missing_attributes),
            "report": self.report.to_dict() if self.report is not None else None,
        }


def _frame(data: Any) -> pd.DataFrame:
    if isinstance(data, pa.Table):
        converted: pd.DataFrame = data.to_pandas()
        return converted
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    raise InvalidInputError(
        f"Pass the events as a pandas DataFrame or an Arrow table; got {type(data).__name__}."
    )


def _decode(series: pd.Series, what: str) -> pd.Series:
    """JSON text (as the event log stores outputs and labels) to Python values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    decoded = []
    for text in uniques:
        try:
            decoded.append(orjson.loads(text))
        except (orjson.JSONDecodeError, TypeError) as exc:
            raise InvalidInputError(
                f"The {what} column holds {text!r}, which is not JSON text; pass "
                "json_text=False if the values are plain.",
                {"column": what},
            ) from exc
    lookup = np.asarray([*decoded, None], dtype=object)
    return pd.Series(lookup[codes], dtype=object)


_UNITS = {
    "w": "weeks", "week": "weeks", "weeks": "weeks",
    "d": "days", "day": "days", "days": "days",
    "h": "hours", "hour": "hours", "hours": "hours",
    "m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
    "s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds",
}  # fmt: skip
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$")


def _period(window: str | timedelta) -> pd.Timedelta:
    """``"1d"``, ``"6h"``, ``"30min"``, ``"1w"`` or a timedelta, as a positive Timedelta."""
    if isinstance(window, timedelta):
        period = pd.Timedelta(window)
    else:
        match = _DURATION.match(str(window).lower())
        if match is None or match.group(2) not in _UNITS:
            raise InvalidInputError(
                f"The window {window!r} is not a duration; use e.g. '1d', '6h' or '30min'.",
                {"option": "window"},
            )
        period = pd.Timedelta(timedelta(**{_UNITS[match.group(2)]: float(match.group(1))}))
    if period <= pd.Timedelta(0):
        raise InvalidInputError(f"The window must be longer than zero; got {window!r}.")
    return period


def fairness_windows(
    frame: pd.DataFrame | pa.Table,
    *,
    sensitive: Sequence[str],
    label: str = "label",
    prediction: str = "output",
    window: str | timedelta = "1d",
    ts: str = "ts",
    positive: Any = 1,
    json_text: bool = False,
    intersections: bool = True,
    min_group_size: int = 30,
    n_boot: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    seed: int = 0,
) -> list[FairnessWindow]:
    """A fairness report per ``window`` of prediction time ``ts``, oldest first.

    ``json_text=True`` decodes ``label``/``prediction`` from the JSON text the event log
    stores. An empty frame gives an empty list.
    """
    check_options(min_group_size, n_boot, confidence, alpha)
    events = _frame(frame)
    names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if not names:
        raise InvalidInputError("Name at least one sensitive attribute (e.g. sex or race).")
    needed = [c for c in (ts, prediction, label) if c not in events.columns]
    if needed:
        raise InvalidInputError(
            f"The events lack the column(s) {needed}; they have {list(events.columns)}. "
            "Pass ts=, prediction= and label= to name them.",
            {"missing": needed},
        )
    period = _period(window)
    if events.empty:
        return []
    labels, outputs = (
        as_series(events[label], "labels"),
        as_series(events[prediction], "predictions"),
    )
    if json_text:
        labels, outputs = _decode(labels, "labels"), _decode(outputs, "predictions")
    truth, known = binary(labels, positive, "labels", allow_missing=True)
    is_pos, _ = binary(outputs, positive, "predictions", allow_missing=False)
    check_positive_seen(positive, ("labels", labels), ("predictions", outputs))
    try:
        times = pd.to_datetime(events[ts].reset_index(drop=True))
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"The time column {ts!r} holds values that are not times "
            f"(e.g. {events[ts].iloc[0]!r}); give timestamps.",
            {"column": ts},
        ) from exc
    if times.isna().any():
        raise InvalidInputError(
            f"{int(times.isna().sum()):,} rows have no time in {ts!r}; every prediction needs one."
        )
    present = [n for n in names if n in events.columns]
    attributes = encode_attributes({n: events[n] for n in present}, len(events)) if present else []
    starts = times.dt.floor(period)
    first, last = starts.min(), starts.max()
    order = np.argsort(starts.to_numpy(), kind="stable")
    bounds = np.searchsorted(starts.to_numpy()[order], pd.date_range(first, last, freq=period)
                             .to_numpy(), side="left")  # fmt: skip
    options: dict[str, Any] = {
        "positive": positive, "intersections": intersections, "min_group_size": min_group_size,
        "n_boot": n_boot, "confidence": confidence, "alpha": alpha, "seed": seed,
    }  # fmt: skip
    out = []
    edges = [*bounds.tolist(), len(order)]
    for k, start in enumerate(pd.date_range(first, last, freq=period)):
        rows = order[edges[k] : edges[k + 1]]
        out.append(
            _window(start, start + period, rows, truth, known, is_pos, attributes, names, options)
        )
    return out


def _window(
    start: pd.Timestamp,
    end: pd.Timestamp,
    rows: np.ndarray[Any, np.dtype[np.int64]],
    truth: np.ndarray[Any, np.dtype[np.bool_]],
    known: np.ndarray[Any, np.dtype[np.bool_]],
    is_pos: np.ndarray[Any, np.dtype[np.bool_]],
    attributes: list[Attribute],
    names: list[str],
    options: dict[str, Any],
) -> FairnessWindow:
    begin, finish = start.to_pydatetime(), end.to_pydatetime()
    if rows.size == 0:
        return FairnessWindow(begin, finish, 0, 0, "empty")
    here: list[Attribute] = []
    for name, codes, values in attributes:
        sliced = codes[rows]
        if any(values[c] is not None for c in np.unique(sliced)):
            here.append((name, sliced, values))
    missing = tuple(n for n in names if n not in {a[0] for a in here})
    report = None
    if here:
        report = table_from_arrays(truth[rows], known[rows], is_pos[rows], here, **options)
    return FairnessWindow(
        start=begin,
        end=finish,
        n=int(rows.size),
        n_labeled=int(known[rows].sum()),
        status="missing_attribute" if missing else "ok",
        missing_attributes=missing,
        report=report,
    )
