"""Estimated quality before labels arrive: confidence-based performance estimation (CBPE).

Labels come late (hours, days) or only for some rows; a classifier's calibrated probability
already says how likely each prediction is to be right. Summing those probabilities gives
the *expected* confusion matrix of a window, and from it expected accuracy, precision,
recall, F1 and ROC AUC, with no label at all. The estimate is only as good as the
calibration (fitted on labelled reference data, :func:`fit_calibration`), and it cannot see
concept drift (the same inputs now meaning a different label); it does follow covariate
shift, a window of harder rows shows lower expected accuracy.

Each estimate carries its standard error: the realised figure of a window of ``n`` rows
scatters around the expected one (a Poisson-binomial count for accuracy and precision, the
delta method for recall and F1), so a realised accuracy outside the interval is a signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.quality_calibration import (
    Calibration,
    CalibrationMethod,
    fit_calibration,
    reliability,
)
from aweigh.monitor.quality_metrics import class_codes

__all__ = [
    "Calibration",
    "CalibrationMethod",
    "estimate_codes",
    "estimate_quality",
    "expected_roc_auc",
    "fit_calibration",
    "reliability",
]

_Z95 = 1.959963984540054
_NAMES = ("accuracy", "precision", "recall", "f1", "roc_auc")


def expected_roc_auc(scores: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> float | None:
    """Expected ROC AUC: the ROC curve of ``scores`` with each row counted ``q`` positive.

    Walking thresholds from the highest score down, the expected true positives grow by
    ``q`` and the false positives by ``1 - q``; tied scores move along a diagonal (half
    credit, as the realised AUC). None when ``q`` is all 0 or all 1.
    """
    pos_total, neg_total = float(q.sum()), float((1 - q).sum())
    if pos_total <= 0 or neg_total <= 0:
        return None
    _, inverse = np.unique(-scores, return_inverse=True)
    tp = np.concatenate([[0.0], np.cumsum(np.bincount(inverse, weights=q))]) / pos_total
    fp = np.concatenate([[0.0], np.cumsum(np.bincount(inverse, weights=1 - q))]) / neg_total
    return float(np.sum((fp[1:] - fp[:-1]) * (tp[1:] + tp[:-1]) / 2.0))


def _interval(value: float | None, se: float | None) -> list[float] | None:
    if value is None or se is None:
        return None
    return [max(0.0, value - _Z95 * se), min(1.0, value + _Z95 * se)]


def _binary(
    q: npt.NDArray[np.float64], predicted: npt.NDArray[np.bool_], scores: npt.NDArray[np.float64]
) -> tuple[dict[str, float | None], dict[str, float | None], dict[str, str]]:
    n = q.size
    reasons: dict[str, str] = {}
    q_pp, q_pn = q[predicted], q[~predicted]
    tp, fp = float(q_pp.sum()), float((1 - q_pp).sum())
    fn, tn = float(q_pn.sum()), float((1 - q_pn).sum())
    var_pp, var_pn = float(np.sum(q_pp * (1 - q_pp))), float(np.sum(q_pn * (1 - q_pn)))
    value: dict[str, float | None] = dict.fromkeys(_NAMES)
    se: dict[str, float | None] = dict.fromkeys(_NAMES)
    value["accuracy"] = (tp + tn) / n
    se["accuracy"] = math.sqrt(var_pp + var_pn) / n
    if q_pp.size:
        value["precision"] = tp / q_pp.size
        se["precision"] = math.sqrt(var_pp) / q_pp.size
    else:
        reasons["precision"] = "the positive class is never predicted"
    if tp + fn > 0:
        total = tp + fn
        value["recall"] = tp / total
        se["recall"] = math.sqrt(fn**2 * var_pp + tp**2 * var_pn) / total**2
    else:
        reasons["recall"] = "no row is expected to be positive"
    if 2 * tp + fp + fn > 0:
        den = tp + fn + q_pp.size
        value["f1"] = 2 * tp / den
        d_pp, d_pn = 2 * (fn + q_pp.size) / den**2, 2 * tp / den**2
        se["f1"] = math.sqrt(d_pp**2 * var_pp + d_pn**2 * var_pn)
    else:
        reasons["f1"] = "the positive class is neither expected nor predicted"
    value["roc_auc"] = expected_roc_auc(scores, q)
    if value["roc_auc"] is None:
        reasons["roc_auc"] = "the calibrated probabilities are all 0 or all 1"
    return value, se, reasons


def _multiclass(
    calibrated: npt.NDArray[np.float64], predicted: npt.NDArray[np.int64]
) -> tuple[dict[str, float | None], dict[str, float | None], dict[str, str]]:
    n, k = calibrated.shape
    rows = np.arange(n)
    hit = calibrated[rows, predicted]
    # expected confusion matrix: row = true class, column = predicted class
    cm = np.stack([np.bincount(predicted, weights=calibrated[:, j], minlength=k) for j in range(k)])
    tp = np.diag(cm)
    n_pred = np.bincount(predicted, minlength=k).astype(np.float64)
    support = cm.sum(axis=1)
    present = (n_pred > 0) | (support >= 1.0)
    precision = np.divide(tp, n_pred, out=np.zeros(k), where=n_pred > 0)[present]
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)[present]
    f1 = (2 * tp / np.maximum(n_pred + support, 1e-300))[present]
    value: dict[str, float | None] = dict.fromkeys(_NAMES)
    se: dict[str, float | None] = dict.fromkeys(_NAMES)
    value.update(
        accuracy=float(hit.mean()),
        precision=float(precision.mean()),
        recall=float(recall.mean()),
        f1=float(f1.mean()),
    )
    se["accuracy"] = math.sqrt(float(np.sum(hit * (1 - hit)))) / n
    return value, se, {"roc_auc": "estimated for binary models only"}


def estimate_codes(
    proba: npt.NDArray[np.float64],
    calibration: Calibration | None,
    pos: int | None = None,
    threshold: float = 0.5,
    predicted: npt.NDArray[np.int64] | None = None,
) -> dict[str, Any]:
    """:func:`estimate_quality` on a validated probability matrix and class indices."""
    n, k = proba.shape
    if n == 0:
        return {
            **dict.fromkeys(_NAMES),
            "n": 0,
            "se": dict.fromkeys(_NAMES),
            "interval_95": dict.fromkeys(_NAMES),
            "method": "cbpe",
            "calibration": None if calibration is None else calibration.method,
            "reasons": dict.fromkeys(_NAMES, "no predictions with probabilities"),
        }
    calibrated = proba if calibration is None else calibration.apply(proba)
    if k == 2:
        p = 1 if pos is None else pos
        decided = proba[:, p] >= threshold if predicted is None else predicted == p
        value, se, reasons = _binary(calibrated[:, p], decided, proba[:, p])
    else:
        decided_codes = np.argmax(proba, axis=1) if predicted is None else predicted
        value, se, reasons = _multiclass(calibrated, decided_codes)
    return {
        **value,
        "n": n,
        "se": se,
        "interval_95": {name: _interval(value[name], se[name]) for name in _NAMES},
        "method": "cbpe",
        "calibration": "identity" if calibration is None else calibration.method,
        "reasons": reasons,
    }


def estimate_quality(
    proba: Any,
    classes: Sequence[Any],
    calibration: Calibration | None = None,
    positive: Any = None,
    threshold: float = 0.5,
    *,
    y_pred: Any = None,
) -> dict[str, Any]:
    """Expected accuracy, precision, recall, F1 and ROC AUC of unlabelled predictions.

    ``proba`` has one column per class in the model's order; ``calibration`` (from
    :func:`fit_calibration`, None for probabilities that are calibrated already) maps them
    first. The predicted class is ``y_pred`` when given (what the model answered), else
    the positive class when its probability reaches ``threshold`` (binary) or the most
    probable class (multiclass, where precision, recall and F1 are macro averages and ROC
    AUC is not estimated). ``se`` and ``interval_95`` give how far a window's realised
    figure may fall from the estimate by chance alone.
    """
    classes = list(classes)
    k = len(classes)
    matrix = np.asarray(proba, dtype=np.float64)
    if matrix.ndim == 1 and k == 2:
        matrix = np.column_stack([1.0 - matrix, matrix])
    if k < 2 or matrix.ndim != 2 or matrix.shape[1] != k:
        raise InvalidInputError(
            f"proba must have one column per class ({k} classes, at least 2); got the shape "
            f"{matrix.shape}. Give the probabilities in the model's class order.",
            {"field": "proba"},
        )
    if not np.isfinite(matrix).all():
        raise InvalidInputError(
            "proba has NaN or infinite values; drop the rows without probabilities first.",
            {"field": "proba"},
        )
    if calibration is not None and list(calibration.classes) != classes:
        raise InvalidInputError(
            f"The calibration was fitted for the classes {list(calibration.classes)!r}, "
            f"not {classes!r}; refit it for this model.",
            {"field": "calibration"},
        )
    if not 0.0 <= threshold <= 1.0:
        raise InvalidInputError(
            f"threshold must be a probability between 0 and 1. Got {threshold!r} instead.",
            {"field": "threshold"},
        )
    pos = None
    if positive is not None:
        if k != 2 or positive not in classes:
            raise InvalidInputError(
                f"positive must be one of the two classes {classes!r}. Got {positive!r}.",
                {"field": "positive"},
            )
        pos = classes.index(positive)
    predicted = None
    if y_pred is not None:
        predicted = class_codes(np.asarray(y_pred), classes, "y_pred")
        if predicted.size != matrix.shape[0]:
            raise InvalidInputError(
                f"y_pred has {predicted.size} values for {matrix.shape[0]} rows of proba.",
                {"field": "y_pred"},
            )
    return estimate_codes(matrix, calibration, pos, threshold, predicted)
