"""Join delayed feedback (true labels) to the predictions it belongs to.

A label arrives as a feedback event with the prediction's ``request_id`` and ``row``,
hours or days after the prediction, sometimes more than once (a correction: the latest
wins), sometimes for a request no prediction in the frame has (a typo, a prediction
outside the window read, an erased one). :func:`join_labels` attaches the latest label of
each prediction and counts the rest.

The join is integer work: request ids are factorized once, combined with the row into one
``int64`` key, the latest feedback per key is found with one ``lexsort`` and matched to the
predictions with a hash lookup, so a million predictions join in a fraction of a second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError

__all__ = ["LABELS_ATTR", "as_frame", "join_labels", "utc_ns"]

#: ``DataFrame.attrs`` key of the join's counts (see :func:`join_labels`).
LABELS_ATTR = "aweigh.labels"
_EXAMPLES = 5


def as_frame(data: Any, what: str) -> pd.DataFrame:
    """A pandas frame from a frame or an Arrow table (list columns stay Arrow-backed)."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])

        def mapper(kind: pa.DataType) -> Any:
            return pd.ArrowDtype(kind) if pa.types.is_list(kind) else None

        frame: pd.DataFrame = table.to_pandas(types_mapper=mapper)
        return frame
    raise InvalidInputError(
        f"The {what} must be a pandas DataFrame or a pyarrow Table; got {type(data).__name__}.",
        {"field": what},
    )


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"The {what} lack the column(s) {', '.join(missing)}; they need "
            f"{', '.join(columns)} (as the event log writes them).",
            {"field": what, "missing": missing},
        )


def utc_ns(values: Any, what: str) -> npt.NDArray[np.int64]:
    """Timestamps as int64 nanoseconds since the epoch (naive ones are read as UTC)."""
    try:
        stamps = pd.to_datetime(pd.Series(values), utc=True)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"The {what} column must hold timestamps; it has values that are not ({exc}).",
            {"field": what},
        ) from exc
    if stamps.isna().any():
        raise InvalidInputError(
            f"The {what} column has missing timestamps; every event carries its time.",
            {"field": what},
        )
    return np.asarray(stamps.dt.as_unit("ns").astype("int64").to_numpy(), dtype=np.int64)


def _rows(frame: pd.DataFrame, what: str) -> npt.NDArray[np.int64]:
    if "row" not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64)
    rows = pd.to_numeric(frame["row"], errors="coerce")
    if rows.isna().any() or (rows < 0).any():
        raise InvalidInputError(
            f"The {what} row column must hold whole numbers from 0 (a row's index in its "
            "request); it has missing or negative values.",
            {"field": "row"},
        )
    return rows.to_numpy(dtype=np.int64)


def _text(column: pd.Series) -> pa.Array:
    """A column as Arrow text (zero-copy for Arrow-backed strings)."""
    try:
        return pa.array(column, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(column.astype(str), type=pa.string())


def _keys(
    pred: pd.DataFrame, fb: pd.DataFrame
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """One int64 key per (request_id, row), comparable across both frames."""
    ids = pa.chunked_array([_text(pred["request_id"]), _text(fb["request_id"])], pa.string())
    codes = pc.dictionary_encode(ids).combine_chunks().indices.to_numpy(zero_copy_only=False)
    rows = np.concatenate([_rows(pred, "predictions'"), _rows(fb, "feedback's")])
    width = int(rows.max()) + 1 if rows.size else 1
    if codes.size and (int(codes.max()) + 1) * width >= 2**62:
        raise InvalidInputError(
            "The row numbers are too large to join on; rows are indices within one request.",
            {"field": "row"},
        )
    keys = codes.astype(np.int64) * width + rows
    return keys[: len(pred)], keys[len(pred) :]


def join_labels(predictions: Any, feedback: Any, *, as_of: datetime | None = None) -> pd.DataFrame:
    """Predictions with their latest label: adds ``label``, ``label_ts``, ``label_delay_s``.

    ``predictions`` has ``request_id``, ``row``, ``ts`` (and ``version``, ``output``,
    ``proba``, segment columns, kept as they are); ``feedback`` has ``request_id``, ``row``,
    ``ts``, ``label`` (a missing ``row`` column means row 0). The latest feedback per
    (request_id, row) wins, ties going to the later one in the frame; with ``as_of`` only
    feedback received by then counts (to recompute what a monitor saw at that time).
    Predictions without feedback get a null label. ``result.attrs["aweigh.labels"]``
    counts ``feedback``, ``matched``, ``superseded`` (replaced by a later label),
    ``unknown`` (feedback matching no prediction) with ``unknown_examples`` and
    ``unknown_ts`` (their feedback times, ns since the epoch, for per-window counts).
    """
    pred = as_frame(predictions, "predictions")
    fb = as_frame(feedback, "feedback")
    _require(pred, ("request_id", "ts"), "predictions")
    _require(fb, ("request_id", "ts", "label"), "feedback")
    fb_ts = utc_ns(fb["ts"], "feedback ts")
    if as_of is not None:
        if as_of.tzinfo is None:
            raise InvalidInputError(
                "as_of must be timezone-aware (e.g. datetime.now(UTC)); got a naive datetime.",
                {"field": "as_of"},
            )
        received = fb_ts <= pd.Timestamp(as_of).as_unit("ns").value
        fb, fb_ts = fb.loc[received], fb_ts[received]
    pred_key, fb_key = _keys(pred, fb)
    order = np.lexsort((fb_ts, fb_key))  # stable: equal times keep frame order
    sorted_keys = fb_key[order]
    last = np.ones(order.size, dtype=bool)
    last[:-1] = sorted_keys[1:] != sorted_keys[:-1]
    latest = order[last]
    lookup = pd.Index(fb_key[latest])  # unique keys: a hash lookup
    position = lookup.get_indexer(pd.Index(pred_key))
    matched = position >= 0
    known = pd.Index(pred_key).unique()
    unknown_latest = ~lookup.isin(known)
    unknown_rows = ~pd.Index(fb_key).isin(known)
    result = pred.copy()
    labels = fb["label"].to_numpy(dtype=object)[latest]
    label = np.full(len(pred), None, dtype=object)
    label[matched] = labels[position[matched]]
    label_ts = np.full(len(pred), np.iinfo(np.int64).min, dtype=np.int64)
    label_ts[matched] = fb_ts[latest][position[matched]]
    stamps = pd.to_datetime(np.where(matched, label_ts, 0), unit="ns", utc=True)
    result["label"] = label
    result["label_ts"] = pd.Series(stamps, index=pred.index).where(matched)
    delay = np.full(len(pred), np.nan)
    delay[matched] = (label_ts[matched] - utc_ns(pred["ts"], "predictions ts")[matched]) / 1e9
    result["label_delay_s"] = delay
    examples_at = latest[unknown_latest][:_EXAMPLES]
    fb_rows = _rows(fb, "feedback's")
    result.attrs[LABELS_ATTR] = {
        "feedback": len(fb),
        "matched": int(np.count_nonzero(matched)),
        "superseded": int(len(fb) - latest.size),
        "unknown": int(np.count_nonzero(unknown_rows)),
        "unknown_examples": [
            {"request_id": str(fb["request_id"].iloc[i]), "row": int(fb_rows[i])}
            for i in examples_at
        ],
        "unknown_ts": tuple(fb_ts[unknown_rows].tolist()),
    }
    return result
