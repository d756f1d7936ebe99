"""Quality metrics for one window of labelled predictions: classifiers and regressors.

Everything is computed from a confusion matrix (``np.bincount``), ranks (``np.unique``) and
sums, so a million rows take a few tens of milliseconds. A metric that is undefined for the
window (ROC AUC when only one class was labelled, precision when the positive class was
never predicted, R2 of a constant target) is ``None`` and ``reasons[name]`` says why:
a monitor shows the gap instead of a NaN or a crash.

The figures agree with scikit-learn's functions where both are defined (the tests check);
the choices are written next to each function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aweigh.core.errors import InvalidInputError

__all__ = [
    "CALIBRATION_BINS",
    "binary_roc_auc",
    "calibration_bins",
    "class_codes",
    "classification_quality",
    "codes_quality",
    "regression_quality",
]

#: Equal-width bins of the reliability diagram and the expected calibration error.
CALIBRATION_BINS = 10
_EPS = float(np.finfo(np.float64).eps)
_CLASSIFIER_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "brier",
    "ece",
)


def class_codes(values: Any, classes: Sequence[Any], what: str) -> npt.NDArray[np.int64]:
    """Index of each value in ``classes``; an unknown value is an error naming it."""
    index = pd.Index(list(classes))
    array = np.asarray(values)
    codes = index.get_indexer(array) if array.size else np.empty(0, dtype=np.int64)
    bad = codes < 0
    if bad.any():
        unknown = sorted({repr(v) for v in array[bad]})[:5]
        raise InvalidInputError(
            f"{what} has values that are not among the classes {list(classes)!r}: "
            f"{', '.join(unknown)}. Pass the model's classes, or coerce labels first "
            "(aweigh.monitor.quality_labels.coerce_classes).",
            {"field": what, "unknown": unknown},
        )
    return codes.astype(np.int64, copy=False)


def _proba_matrix(proba: Any, n: int, k: int) -> npt.NDArray[np.float64]:
    matrix = np.asarray(proba, dtype=np.float64)
    if matrix.ndim == 1 and k == 2:
        matrix = np.column_stack([1.0 - matrix, matrix])
    if matrix.ndim != 2 or matrix.shape != (n, k):
        raise InvalidInputError(
            f"proba must have one row per label and one column per class ({n} x {k}); "
            f"got the shape {matrix.shape}. Give the probabilities in the model's class order.",
            {"field": "proba", "shape": list(matrix.shape)},
        )
    if not np.isfinite(matrix).all() or (matrix < 0).any() or (matrix > 1).any():
        raise InvalidInputError(
            "proba must hold probabilities between 0 and 1 with no NaN; drop or repair the "
            "rows whose probabilities are missing before computing quality.",
            {"field": "proba"},
        )
    return matrix


def _ranks(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """1-based ranks, ties sharing their average rank."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts).astype(np.float64)
    return (upper - (counts - 1) / 2.0)[inverse]


def binary_roc_auc(positive: npt.NDArray[np.bool_], scores: npt.NDArray[np.float64]) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count one half); both classes needed."""
    n_pos = int(np.count_nonzero(positive))
    n_neg = positive.size - n_pos
    rank_sum = float(_ranks(scores)[positive].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def calibration_bins(
    confidence: npt.NDArray[np.float64], hit: npt.NDArray[np.bool_], bins: int = CALIBRATION_BINS
) -> tuple[float, list[dict[str, Any]]]:
    """Expected calibration error and the reliability bins (equal width on [0, 1]).

    Bins are right-closed except the first (as scikit-learn's ``calibration_curve``);
    each bin reports its range, the mean predicted probability, the observed rate and the
    count; empty bins report ``None`` rates. ECE weights ``|observed - predicted|`` by count.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.searchsorted(edges[1:-1], confidence, side="left")
    count = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=confidence, minlength=bins)
    observed = np.bincount(index, weights=hit.astype(np.float64), minlength=bins)
    n = max(int(count.sum()), 1)
    filled = count > 0
    gaps = np.abs(observed[filled] - predicted[filled])
    ece = float(gaps.sum() / n)
    rows = [
        {
            "low": float(edges[b]),
            "high": float(edges[b + 1]),
            "mean_predicted": float(predicted[b] / count[b]) if count[b] else None,
            "observed": float(observed[b] / count[b]) if count[b] else None,
            "count": int(count[b]),
        }
        for b in range(bins)
    ]
    return ece, rows


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else float(num / den)


def _empty(reason: str) -> dict[str, Any]:
    result: dict[str, Any] = dict.fromkeys(_CLASSIFIER_METRICS)
    result.update(n=0, calibration=None, reasons=dict.fromkeys(_CLASSIFIER_METRICS, reason))
    return result


def _binary_counts(
    cm: npt.NDArray[np.int64], pos: int, reasons: dict[str, str], name: str
) -> dict[str, float | None]:
    tp = float(cm[pos, pos])
    fp = float(cm[:, pos].sum() - tp)
    fn = float(cm[pos, :].sum() - tp)
    out = {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }
    if out["precision"] is None:
        reasons["precision"] = f"the positive class {name} was never predicted"
    if out["recall"] is None:
        reasons["recall"] = f"no label is the positive class {name}"
    if out["f1"] is None:
        reasons["f1"] = f"the positive class {name} was neither labelled nor predicted"
    return out


def _macro_counts(cm: npt.NDArray[np.int64]) -> dict[str, float | None]:
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    support = cm.sum(axis=1).astype(np.float64)
    present = (predicted + support) > 0
    tp, predicted, support = tp[present], predicted[present], support[present]
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    f1 = 2 * tp / (predicted + support)
    return {
        "precision": float(precision.mean()),
        "recall": float(recall.mean()),
        "f1": float(f1.mean()),
    }


def codes_quality(
    y_true: npt.NDArray[np.int64],
    y_pred: npt.NDArray[np.int64],
    proba: npt.NDArray[np.float64] | None,
    classes: Sequence[Any],
    pos: int | None,
) -> dict[str, Any]:
    """:func:`classification_quality` on class indices (labels already coerced)."""
    n, k = int(y_true.size), len(classes)
    if n == 0:
        return _empty("no labelled predictions in this window")
    reasons: dict[str, str] = {}
    cm = np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
    result: dict[str, Any] = {"n": n, "accuracy": float(np.trace(cm) / n)}
    p = 1 if pos is None else pos
    if k == 2:
        result.update(_binary_counts(cm, p, reasons, repr(classes[p])))
    else:
        result.update(_macro_counts(cm))
    result.update(roc_auc=None, log_loss=None, brier=None, ece=None, calibration=None)
    if proba is None:
        for name in ("roc_auc", "log_loss", "brier", "ece"):
            reasons[name] = "the model gave no probabilities"
        result["reasons"] = reasons
        return result
    labelled = np.bincount(y_true, minlength=k) > 0
    if labelled.sum() < 2:
        only = classes[int(np.argmax(labelled))]
        reasons["roc_auc"] = f"only one class ({only!r}) among the labels"
    elif k == 2:
        result["roc_auc"] = binary_roc_auc(y_true == p, proba[:, p])
    else:
        aucs = [binary_roc_auc(y_true == c, proba[:, c]) for c in np.flatnonzero(labelled)]
        result["roc_auc"] = float(np.mean(aucs))
        if not labelled.all():
            reasons["roc_auc"] = "one-vs-rest over the labelled classes only"
    rows = np.arange(n)
    result["log_loss"] = float(-np.log(np.clip(proba[rows, y_true], _EPS, 1 - _EPS)).mean())
    if k == 2:
        result["brier"] = float(np.mean((proba[:, p] - (y_true == p)) ** 2))
        confidence, hit = proba[:, p], y_true == p
    else:
        onehot = np.zeros_like(proba)
        onehot[rows, y_true] = 1.0
        result["brier"] = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
        top = np.argmax(proba, axis=1)
        confidence, hit = proba[rows, top], top == y_true
    result["ece"], result["calibration"] = calibration_bins(confidence, hit)
    result["reasons"] = reasons
    return result


def classification_quality(
    y_true: Any,
    y_pred: Any,
    proba: Any = None,
    classes: Sequence[Any] | None = None,
    positive: Any = None,
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC AUC, log loss, Brier score and calibration.

    ``classes`` is the model's class order (the columns of ``proba``); by default the sorted
    classes seen in ``y_true`` and ``y_pred``. Binary: precision, recall and F1 of
    ``positive`` (default the second class), ROC AUC and Brier score from its probability,
    reliability bins of its probability. Multiclass: macro averages over the classes that
    are labelled or predicted (a class never predicted has precision 0, as scikit-learn's
    ``zero_division=0``), one-vs-rest macro ROC AUC over the labelled classes, top-label
    reliability bins, Brier score summed over classes. Log loss clips probabilities to
    ``[eps, 1 - eps]``. Undefined metrics are None with ``reasons[name]``.
    """
    truth, pred = np.asarray(y_true), np.asarray(y_pred)
    if truth.shape != pred.shape or truth.ndim != 1:
        raise InvalidInputError(
            f"y_true and y_pred must be 1-D and of the same length; got the shapes "
            f"{truth.shape} and {pred.shape}.",
            {"field": "y_pred"},
        )
    if classes is None:
        seen = set(truth.tolist()) | set(pred.tolist())
        try:
            classes = sorted(seen)
        except TypeError:
            classes = sorted(seen, key=lambda c: (type(c).__name__, repr(c)))
    if positive is not None and positive not in list(classes):
        raise InvalidInputError(
            f"The positive class {positive!r} is not among the classes {list(classes)!r}.",
            {"field": "positive"},
        )
    if positive is not None and len(classes) != 2:
        raise InvalidInputError(
            "positive only applies to a binary model; multiclass metrics are macro averages.",
            {"field": "positive"},
        )
    t = class_codes(truth, classes, "y_true")
    p = class_codes(pred, classes, "y_pred")
    matrix = None if proba is None else _proba_matrix(proba, t.size, len(classes))
    pos = None if positive is None else list(classes).index(positive)
    return codes_quality(t, p, matrix, classes, pos)


def regression_quality(y_true: Any, y_pred: Any) -> dict[str, Any]:
    """MAE, RMSE, MAPE and R2; rows whose true value is 0 are left out of MAPE and counted.

    MAPE is a fraction (0.1 is 10 %), as scikit-learn's. R2 is None for fewer than two rows
    or a constant true value (scikit-learn would report 0 or 1 there).
    """
    truth = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    if truth.shape != pred.shape or truth.ndim != 1:
        raise InvalidInputError(
            f"y_true and y_pred must be 1-D and of the same length; got the shapes "
            f"{truth.shape} and {pred.shape}.",
            {"field": "y_pred"},
        )
    if not (np.isfinite(truth).all() and np.isfinite(pred).all()):
        raise InvalidInputError(
            "y_true and y_pred must be finite numbers; drop the rows with NaN or infinity "
            "(aweigh.monitor.quality_labels.coerce_numbers counts them).",
            {"field": "y_true"},
        )
    n = int(truth.size)
    names = ("mae", "rmse", "mape", "r2")
    if n == 0:
        reason = "no labelled predictions in this window"
        return {
            **dict.fromkeys(names),
            "n": 0,
            "mape_excluded": 0,
            "reasons": dict.fromkeys(names, reason),
        }
    error = pred - truth
    reasons: dict[str, str] = {}
    nonzero = truth != 0
    excluded = int(n - np.count_nonzero(nonzero))
    mape = None
    if excluded < n:
        mape = float(np.mean(np.abs(error[nonzero] / truth[nonzero])))
    else:
        reasons["mape"] = "every true value is 0"
    total = float(np.sum((truth - truth.mean()) ** 2))
    r2 = None
    if n < 2 or total == 0:
        reasons["r2"] = "fewer than two rows" if n < 2 else "the true values are constant"
    else:
        r2 = 1.0 - float(np.sum(error**2)) / total
    return {
        "n": n,
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": mape,
        "mape_excluded": excluded,
        "r2": r2,
        "reasons": reasons,
    }
