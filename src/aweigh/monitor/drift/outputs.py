"""Prediction drift and label drift: the univariate tests applied to a model's outputs.

``compare_predictions(reference, current)`` tests the model's outputs of two periods
(class labels as categories; regression values or a positive-class probability as
numbers); ``compare_labels`` does the same for the true labels once they arrive. Both
take arrays, lists, pandas Series, Arrow arrays or :class:`ColumnSketch` objects and
return one :class:`DriftResult` of kind ``prediction`` or ``label``.

Which kind: a sketch keeps its own; otherwise text, booleans and whole numbers with at
most 20 distinct values in the reference are categorical, other numbers numeric
(pass ``categorical=True/False`` to decide). Inside ``compare`` the same happens
through its ``prediction=`` and ``label=`` column names.

>>> compare_predictions(["yes"] * 700 + ["no"] * 300, ["yes"] * 400 + ["no"] * 600).drifted
True
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.monitor.drift._decide import check_alpha, decide_one, not_tested, screen
from aweigh.monitor.drift._values import arrow_kind, as_arrow
from aweigh.monitor.drift.base import DriftResult
from aweigh.monitor.drift.methods import MEASURES, check_method, default_method
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["MAX_CLASSES", "compare_labels", "compare_predictions", "output_kind"]

#: whole-number outputs with at most this many distinct values are classes
MAX_CLASSES = 20


def output_kind(values: Any) -> str:
    """``categorical`` or ``numeric`` for a model output column (module notes)."""
    if isinstance(values, ColumnSketch):
        return "numeric" if values.kind in ("numeric", "datetime") else "categorical"
    arr = as_arrow(values)
    kind = arrow_kind(arr.type)
    if kind != "numeric" or pa.types.is_boolean(arr.type):
        return "categorical" if kind != "datetime" else "numeric"
    if pa.types.is_integer(arr.type) or _whole(arr):
        distinct = len(pc.unique(arr.drop_null()))
        return "categorical" if distinct <= MAX_CLASSES else "numeric"
    return "numeric"


def _whole(arr: pa.Array | pa.ChunkedArray) -> bool:
    if not pa.types.is_floating(arr.type):
        return False
    x = np.asarray(pc.drop_null(arr).to_numpy(zero_copy_only=False), dtype=np.float64)
    x = x[np.isfinite(x)]
    return bool(x.size) and bool(np.all(x == np.round(x)))


def _sketch(values: Any, kind: str) -> ColumnSketch:
    if isinstance(values, ColumnSketch):
        return values
    sketch = ColumnSketch(kind)
    sketch.update(values)
    return sketch


def _compare_output(
    role: str,
    reference: Any,
    current: Any,
    *,
    method: str | None,
    alpha: float,
    min_effect: float | None,
    categorical: bool | None,
    name: str,
) -> DriftResult:
    level = check_alpha(alpha, f"compare_{role}s")
    if categorical is None:
        kind = output_kind(reference)
    else:
        kind = "categorical" if categorical else "numeric"
    chosen = check_method(method or default_method(kind), kind, "method", f"compare_{role}s")
    ref, cur = _sketch(reference, kind), _sketch(current, kind)
    why = screen(ref, cur)
    if why is None and ref.kind != cur.kind:
        why = f"kinds differ: {ref.kind} in the reference, {cur.kind} in the current"
    if why is not None:
        return not_tested(name, chosen, role, why, n_reference=ref.n, n_current=cur.n)
    measurement = replace(MEASURES[chosen](name, ref, cur), kind=role)
    return decide_one(measurement, alpha=level, min_effect=min_effect)


def compare_predictions(
    reference: Any,
    current: Any,
    *,
    method: str | None = None,
    alpha: float = 0.01,
    min_effect: float | None = None,
    categorical: bool | None = None,
    name: str = "prediction",
) -> DriftResult:
    """Prediction drift: has the distribution of the model's outputs changed?"""
    return _compare_output(
        "prediction",
        reference,
        current,
        method=method,
        alpha=alpha,
        min_effect=min_effect,
        categorical=categorical,
        name=name,
    )


def compare_labels(
    reference: Any,
    current: Any,
    *,
    method: str | None = None,
    alpha: float = 0.01,
    min_effect: float | None = None,
    categorical: bool | None = None,
    name: str = "label",
) -> DriftResult:
    """Label drift: has the distribution of the true labels changed?"""
    return _compare_output(
        "label",
        reference,
        current,
        method=method,
        alpha=alpha,
        min_effect=min_effect,
        categorical=categorical,
        name=name,
    )
