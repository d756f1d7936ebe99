"""``aweigh.fairness``: audit a classifier's fairness on a table, in one call.

:func:`audit` reads a DataFrame (or a CSV/Parquet file), takes the predictions from a
column or from a loaded model, and returns the :class:`FairnessReport` of
:func:`aweigh.monitor.fairness.fairness_table`: per-group selection rate, TPR, FPR,
precision and accuracy with bootstrap intervals, per-attribute demographic parity,
equalized odds and the four-fifths rule, and groups flagged after Holm's correction.
For live traffic by time window, see :func:`fairness_windows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.fairness import fairness_table
from aweigh.monitor.fairness_input import label_kind
from aweigh.monitor.fairness_report import (
    AttributeDisparity,
    Estimate,
    FairnessReport,
    GroupMetrics,
)
from aweigh.monitor.fairness_windows import FairnessWindow, fairness_windows
from aweigh.registry.loaded import LoadedModel

__all__ = [
    "AttributeDisparity",
    "Estimate",
    "FairnessReport",
    "FairnessWindow",
    "GroupMetrics",
    "audit",
    "fairness_table",
    "fairness_windows",
]


def _read(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    if isinstance(data, pa.Table):
        converted: pd.DataFrame = data.to_pandas()
        return converted
    if not isinstance(data, str | Path):
        raise InvalidInputError(
            "Pass the data as a DataFrame, an Arrow table or a CSV/Parquet path; "
            f"got {type(data).__name__}."
        )
    path = Path(data)
    if not path.is_file():
        raise InvalidInputError(f"No file at {str(path)!r}. Check the path.")
    try:
        if path.name.lower().endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        return pd.read_csv(path, low_memory=False)
    except Exception as exc:  # pandas and pyarrow raise many types for unreadable files
        raise InvalidInputError(
            f"Cannot read {str(path)!r} as CSV or Parquet: {str(exc).splitlines()[0][:200]}."
        ) from exc


def _default_positive(labels: pd.Series) -> Any:
    """1 (or True) for 0/1 or boolean labels; otherwise the caller must say."""
    kind = label_kind(labels, "labels")
    values = set(labels.dropna().unique().tolist())
    if kind == "bool" or (kind == "number" and values <= {0, 1}):
        return True if kind == "bool" else 1
    shown = ", ".join(repr(v) for v in sorted(values, key=str)[:8])
    raise InvalidInputError(
        f"Name the positive class (positive=... or --positive): the labels take the "
        f"values {shown}.",
        {"values": [str(v) for v in sorted(values, key=str)[:8]]},
    )


def audit(
    data: Any,
    *,
    label: str,
    sensitive: str | Sequence[str],
    prediction: str | None = None,
    model: LoadedModel | str | None = None,
    positive: Any = None,
    intersections: bool = True,
    min_group_size: int = 30,
    n_boot: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    seed: int = 0,
) -> FairnessReport:
    """Fairness report of ``data``: predictions from column ``prediction`` or from ``model``.

    ``model`` is a :class:`LoadedModel` or a reference (``"adult@champion"``); it predicts
    on the data without the label column. ``positive`` defaults to 1/True for 0/1 labels.
    """
    frame = _read(data)
    names = [sensitive] if isinstance(sensitive, str) else list(sensitive)
    if not names:
        raise InvalidInputError("Name at least one sensitive attribute (e.g. sex or race).")
    if (prediction is None) == (model is None):
        raise InvalidInputError(
            "Give the predictions in exactly one way: prediction=COLUMN (--prediction) "
            "or model=a loaded model or reference (--model)."
        )
    wanted = {"label": [label], "prediction": [prediction] if prediction else []}
    wanted["sensitive attribute"] = names
    for role, columns in wanted.items():
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"The data has no {role} column {', '.join(map(repr, missing))}; its "
                f"columns are {', '.join(map(str, frame.columns))}.",
                {"missing": missing, "columns": [str(c) for c in frame.columns]},
            )
    if model is not None:
        loaded = _load(model) if isinstance(model, str) else model
        predicted: Any = loaded.predict(frame.drop(columns=[label]))
    else:
        predicted = frame[prediction]
    if positive is None:
        positive = _default_positive(frame[label])
    return fairness_table(
        frame[label],
        predicted,
        frame[names],
        positive=positive,
        intersections=intersections,
        min_group_size=min_group_size,
        n_boot=n_boot,
        confidence=confidence,
        alpha=alpha,
        seed=seed,
    )


def _load(ref: str) -> LoadedModel:
    from aweigh import load

    return load(ref)
