"""Live quality from delayed labels: per version, per time window, per segment.

The server records one prediction event per row; the true label comes later as a feedback
event. :func:`join_labels` attaches the latest label to each prediction however late it
came; :func:`quality_windows` cuts the joined predictions into windows of prediction time
(so a late label revises the window it belongs to) and groups (version, then any segment
columns) and reports for each: how many predictions, how many have a usable label
(coverage), how long labels took, the realised metrics (:mod:`.quality_metrics`) and,
when a calibration is given, the metrics estimated from probabilities alone
(:mod:`.estimate`), next to each other.

Bad feedback never stops a monitor: labels that are not a class of the model ("yes" for
classes 0/1, a list) are counted per window with examples; feedback for unknown request
ids is counted by when it arrived; an empty window or a window of one event reports what
can be computed and says why the rest is missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.estimate import Calibration, estimate_codes
from aweigh.monitor.quality_join import LABELS_ATTR, as_frame, join_labels, utc_ns
from aweigh.monitor.quality_labels import (
    INVALID,
    Coerced,
    coerce_classes,
    coerce_numbers,
    proba_rows,
)
from aweigh.monitor.quality_metrics import (
    classification_quality,
    codes_quality,
    regression_quality,
)
from aweigh.monitor.quality_segments import segment_codes, window_ns
from aweigh.monitor.quality_window import QualityWindow

__all__ = [
    "QualityWindow",
    "classification_quality",
    "join_labels",
    "quality_windows",
    "regression_quality",
]

Task = Literal["classification", "regression"]
_PROBA_METRICS = ("roc_auc", "log_loss", "brier", "ece", "calibration")


@dataclass(frozen=True, slots=True)
class _Rows:
    """The joined frame read once: coerced labels and outputs, probabilities, delays."""

    label: Coerced
    output: Coerced
    proba: npt.NDArray[np.float64] | None
    proba_ok: npt.NDArray[np.bool_]
    delay: npt.NDArray[np.float64]
    has_feedback: npt.NDArray[np.bool_]


def _read_rows(frame: pd.DataFrame, task: Task, classes: list[Any], decode_json: bool) -> _Rows:
    if task == "classification":
        label = coerce_classes(frame["label"], classes, decode_json=decode_json)
        output = coerce_classes(frame["output"], classes, decode_json=decode_json)
    else:
        label = coerce_numbers(frame["label"], decode_json=decode_json)
        output = coerce_numbers(frame["output"], decode_json=decode_json)
    proba, proba_ok = None, np.zeros(len(frame), dtype=bool)
    if task == "classification" and "proba" in frame.columns:
        proba, proba_ok = proba_rows(frame["proba"], len(classes))
    if "label_delay_s" in frame.columns:
        delay = pd.to_numeric(frame["label_delay_s"], errors="coerce").to_numpy(np.float64)
    elif "label_ts" in frame.columns:
        stamps = pd.to_datetime(frame["label_ts"], utc=True)
        seconds = (stamps - pd.to_datetime(frame["ts"], utc=True)).dt.total_seconds()
        delay = seconds.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        delay = np.full(len(frame), np.nan)
    has_feedback = ~pd.isna(frame["label"]).to_numpy() | ~np.isnan(delay)
    return _Rows(label, output, proba, proba_ok, delay, has_feedback)


def _delays(delay: npt.NDArray[np.float64]) -> tuple[float | None, float | None, float | None]:
    known = delay[~np.isnan(delay)]
    if known.size == 0:
        return None, None, None
    p50, p90 = np.quantile(known, [0.5, 0.9])
    return float(p50), float(p90), float(known.max())


def _classifier_metrics(
    rows: _Rows, idx: npt.NDArray[np.int64], classes: list[Any], pos: int | None
) -> dict[str, Any]:
    t, p = rows.label.codes[idx], rows.output.codes[idx]
    use = (t >= 0) & (p >= 0)
    t, p, sel = t[use], p[use], idx[use]
    if rows.proba is None:
        return codes_quality(t, p, None, classes, pos)
    ok = rows.proba_ok[sel]
    if ok.all():
        return codes_quality(t, p, rows.proba[sel], classes, pos)
    metrics = codes_quality(t, p, None, classes, pos)
    if ok.any():
        scored = codes_quality(t[ok], p[ok], rows.proba[sel[ok]], classes, pos)
        metrics.update({name: scored[name] for name in _PROBA_METRICS})
        reasons = {k: v for k, v in metrics["reasons"].items() if k not in _PROBA_METRICS}
        reasons.update({k: v for k, v in scored["reasons"].items() if k in _PROBA_METRICS})
        reasons["proba_rows"] = (
            f"probability metrics use the {int(ok.sum())} of {ok.size} rows with probabilities"
        )
        metrics["reasons"] = reasons
    return metrics


def _estimated(
    rows: _Rows,
    idx: npt.NDArray[np.int64],
    calibration: Calibration,
    pos: int | None,
    threshold: float,
) -> dict[str, Any]:
    assert rows.proba is not None
    sel = idx[rows.proba_ok[idx]]
    proba = rows.proba[sel]
    out = rows.output.codes[sel]
    if proba.shape[1] == 2:
        fallback = (proba[:, 1 if pos is None else pos] >= threshold).astype(np.int64)
        if pos == 0:
            fallback = 1 - fallback
    else:
        fallback = np.argmax(proba, axis=1)
    predicted = np.where(out >= 0, out, fallback)
    return estimate_codes(proba, calibration, pos, threshold, predicted)


def _window(
    rows: _Rows | None,
    idx: npt.NDArray[np.int64],
    *,
    start_ns: int,
    width: int,
    version: Any,
    segment: dict[str, Any],
    task: Task,
    classes: list[Any],
    pos: int | None,
    calibration: Calibration | None,
    threshold: float,
    unknown_ts: npt.NDArray[np.int64],
) -> QualityWindow:
    n = int(idx.size)
    unknown = int(
        np.searchsorted(unknown_ts, start_ns + width, "left")
        - np.searchsorted(unknown_ts, start_ns, "left")
    )
    start = datetime.fromtimestamp(0, UTC) + timedelta(microseconds=start_ns // 1000)
    end = start + timedelta(microseconds=width // 1000)
    reasons: dict[str, str] = {}
    if rows is None or n == 0:
        reasons["window"] = "no predictions in this window"
        empty = (
            regression_quality([], [])
            if task == "regression"
            else codes_quality(np.empty(0, np.int64), np.empty(0, np.int64), None, classes, pos)
        )
        return QualityWindow(
            start, end, version, segment, 0, 0, None, None, None, None, empty,
            None, unknown_labels=unknown, reasons=reasons,
        )  # fmt: skip
    labelled = rows.label.codes[idx] >= 0
    invalid = rows.label.codes[idx] == INVALID
    examples = rows.label.examples_in(idx) if invalid.any() else ()
    p50, p90, worst = _delays(rows.delay[idx][rows.has_feedback[idx]])
    estimated = None
    if task == "classification":
        metrics = _classifier_metrics(rows, idx, classes, pos)
        if calibration is not None and rows.proba is not None:
            estimated = _estimated(rows, idx, calibration, pos, threshold)
        elif calibration is not None:
            reasons["estimated"] = "the predictions carry no probabilities"
    else:
        use = labelled & (rows.output.codes[idx] >= 0)
        metrics = regression_quality(rows.label.values[idx][use], rows.output.values[idx][use])
    if n == 1:
        reasons["window"] = "one prediction only: figures are not meaningful yet"
    return QualityWindow(
        start=start,
        end=end,
        version=version,
        segment=segment,
        n_predictions=n,
        n_labeled=int(labelled.sum()),
        coverage=float(labelled.mean()),
        label_delay_p50_s=p50,
        label_delay_p90_s=p90,
        label_delay_max_s=worst,
        metrics=metrics,
        estimated=estimated,
        invalid_labels=int(invalid.sum()),
        invalid_label_examples=examples,
        invalid_outputs=int((rows.output.codes[idx] == INVALID).sum()),
        invalid_proba=0 if rows.proba is None else int((~rows.proba_ok[idx]).sum()),
        unknown_labels=unknown,
        reasons=reasons,
    )


def _bound(moment: datetime | None, what: str) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InvalidInputError(
            f"{what} must be timezone-aware (e.g. datetime.now(UTC)); got a naive datetime.",
            {"field": what},
        )
    return int(pd.Timestamp(moment).as_unit("ns").value)


def _check(
    frame: pd.DataFrame, task: str, classes: Sequence[Any] | None, positive: Any
) -> tuple[list[Any], int | None]:
    if task not in ("classification", "regression"):
        raise InvalidInputError(
            f"task must be 'classification' or 'regression'. Got {task!r} instead.",
            {"field": "task"},
        )
    missing = [c for c in ("ts", "output", "label") if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"The predictions lack the column(s) {', '.join(missing)}; quality needs ts, "
            "output and label (attach labels with join_labels first).",
            {"field": "joined", "missing": missing},
        )
    if task == "regression":
        return [], None
    if classes is None or len(classes) < 2:
        raise InvalidInputError(
            "A classifier's quality needs its classes in the model's order (at least two, "
            "e.g. estimator.classes_); pass classes=...",
            {"field": "classes"},
        )
    listed = list(classes)
    if positive is None:
        return listed, None
    if len(listed) != 2 or positive not in listed:
        raise InvalidInputError(
            f"positive must be one of the two classes {listed!r}. Got {positive!r} instead.",
            {"field": "positive"},
        )
    return listed, listed.index(positive)


def quality_windows(
    joined: Any,
    *,
    task: Task = "classification",
    classes: Sequence[Any] | None = None,
    window: str | float | timedelta = "1h",
    by: Sequence[str] = ("version",),
    segment_bins: Mapping[str, Sequence[float]] | None = None,
    positive: Any = None,
    calibration: Calibration | None = None,
    threshold: float = 0.5,
    start: datetime | None = None,
    end: datetime | None = None,
    decode_json: bool = False,
) -> list[QualityWindow]:
    """Quality per window of prediction time and per group of ``by`` columns.

    ``joined`` is :func:`join_labels`' output (or any frame/table with ``ts``, ``output``,
    ``label`` and optionally ``proba``, ``label_ts``/``label_delay_s``, ``version`` and
    segment columns). ``window`` is a fixed duration (``"1h"``, seconds, timedelta),
    slots aligned on the epoch. With ``start``/``end`` only predictions in ``[start, end)``
    count, and every slot of that range is reported for every group seen, empty ones too.
    ``calibration`` (from ``fit_calibration``) adds CBPE estimates to each window.
    ``decode_json`` parses ``output`` and ``label`` from JSON text first. Windows come
    sorted by start, then by the ``by`` values.
    """
    frame = as_frame(joined, "joined predictions")
    stats = frame.attrs.get(LABELS_ATTR, {})
    unknown_ts = np.sort(np.asarray(stats.get("unknown_ts", ()), dtype=np.int64))
    listed, pos = _check(frame, task, classes, positive)
    if calibration is not None and task == "classification" and list(calibration.classes) != listed:
        raise InvalidInputError(
            f"The calibration was fitted for the classes {list(calibration.classes)!r}, not "
            f"{listed!r}; refit it for this model.",
            {"field": "calibration"},
        )
    width = window_ns(window)
    lo, hi = _bound(start, "start"), _bound(end, "end")
    ts = utc_ns(frame["ts"], "ts") if len(frame) else np.empty(0, np.int64)
    keep = np.ones(ts.size, dtype=bool)
    if lo is not None:
        keep &= ts >= lo
    if hi is not None:
        keep &= ts < hi
    if not keep.all():
        frame, ts = frame.loc[keep], ts[keep]
    by = list(by)
    codes, values = segment_codes(frame, by, dict(segment_bins or {}))
    slot = np.floor_divide(ts, width)
    slot_lo = lo // width if lo is not None else int(slot.min()) if slot.size else 0
    slot_hi = (hi - 1) // width if hi is not None else int(slot.max()) if slot.size else slot_lo
    dims = [int(slot_hi - slot_lo + 1)] + [max(len(v), 1) for v in values]
    combos = math.prod(dims[1:])
    if dims[0] * combos >= 2**62:
        raise InvalidInputError(
            f"{dims[0]} windows x {combos} segments are too many; use a longer window, "
            "a start and end, or fewer segment columns.",
            {"field": "window"},
        )
    group = np.ravel_multi_index([slot - slot_lo, *codes], dims) if slot.size else slot
    order = np.argsort(group, kind="stable")
    ids, cuts = np.unique(group[order], return_index=True)
    members = dict(zip(ids.tolist(), np.split(order, cuts[1:]), strict=True)) if ids.size else {}
    wanted = ids.tolist()
    if lo is not None and hi is not None:  # every slot of the range, for each group seen
        seen = sorted({gid % combos for gid in wanted}) or [0]
        wanted = [s * combos + c for s in range(dims[0]) for c in seen]
    rows = _read_rows(frame, task, listed, decode_json) if len(frame) else None
    out: list[QualityWindow] = []
    for gid in wanted:
        where = np.unravel_index(gid, dims)
        key = {
            name: values[j][int(where[j + 1])] if values[j] else None for j, name in enumerate(by)
        }
        version = key.pop("version", None)
        out.append(
            _window(
                rows,
                members.get(gid, np.empty(0, np.int64)),
                start_ns=int(slot_lo + where[0]) * width,
                width=width,
                version=version,
                segment=key,
                task=task,
                classes=listed,
                pos=pos,
                calibration=calibration,
                threshold=threshold,
                unknown_ts=unknown_ts,
            )
        )
    return out
