"""Calibration maps fitted on labelled reference data, for estimating quality before labels.

Confidence-based estimation (:mod:`aweigh.monitor.estimate`) reads a probability of 0.8 as
"right four times in five". That only holds for a calibrated model, so
:func:`fit_calibration` checks the model's probabilities on a labelled reference set (its
held-out test data): when their reliability is within tolerance of what sampling noise
allows it keeps them as they are (``identity``); otherwise it fits a monotone map per class,
isotonic regression with enough rows, a Platt sigmoid on the log-odds with few.

A :class:`Calibration` is small (a few dozen knots per class) and plain data, so it is
stored with the model version (``to_dict``/``from_dict``) and applied to a window's
probabilities with ``np.interp``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import isotonic_regression

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.quality_metrics import calibration_bins, class_codes

__all__ = ["Calibration", "CalibrationMethod", "fit_calibration", "reliability"]

CalibrationMethod = Literal["identity", "isotonic", "platt"]
_METHODS = ("identity", "isotonic", "platt")
#: Below this many reference rows per calibrated class, "auto" fits Platt, not isotonic.
ISOTONIC_MIN_ROWS = 1000
_LOGIT_CLIP = 1e-6


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    out: npt.NDArray[np.float64] = np.exp(-np.logaddexp(0.0, -x))
    return out


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone map from a model's probabilities to calibrated ones.

    Binary models have one map, for the probability of the second class; multiclass models
    one per class (one-vs-rest), rows renormalised after mapping. ``knots`` are the
    isotonic ``(x, y)`` points per map; ``sigmoid`` the Platt ``(a, b)`` per map
    (``1 / (1 + exp(-(a * logit(p) + b)))``). ``ece_before``/``ece_after`` are the expected
    calibration errors on the reference data, ``n`` its size.
    """

    classes: tuple[Any, ...]
    method: CalibrationMethod = "identity"
    knots: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = ()
    sigmoid: tuple[tuple[float, float], ...] = ()
    ece_before: float | None = None
    ece_after: float | None = None
    n: int = 0

    def __post_init__(self) -> None:
        plain = tuple(c.item() if isinstance(c, np.generic) else c for c in self.classes)
        object.__setattr__(self, "classes", plain)  # numpy scalars become JSON values
        if self.method not in _METHODS:
            raise InvalidInputError(
                f"The calibration method must be one of {', '.join(_METHODS)}. "
                f"Got {self.method!r} instead.",
                {"field": "method"},
            )
        maps = 1 if len(self.classes) == 2 else len(self.classes)
        fitted = {"isotonic": len(self.knots), "platt": len(self.sigmoid)}.get(self.method)
        if fitted is not None and fitted != maps:
            raise InvalidInputError(
                f"A {self.method} calibration of {len(self.classes)} classes needs {maps} "
                f"map(s); it has {fitted}. Refit it with fit_calibration.",
                {"field": self.method},
            )

    @classmethod
    def identity(cls, classes: Sequence[Any]) -> Calibration:
        """Keep the model's probabilities as they are (they are calibrated already)."""
        return cls(classes=tuple(classes))

    def _map(self, column: int, p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        if self.method == "isotonic":
            x, y = self.knots[column]
            mapped: npt.NDArray[np.float64] = np.interp(p, np.asarray(x), np.asarray(y))
            return mapped
        if self.method == "platt":
            a, b = self.sigmoid[column]
            q = np.clip(p, _LOGIT_CLIP, 1 - _LOGIT_CLIP)
            return _sigmoid(a * np.log(q / (1 - q)) + b)
        return p

    def apply(self, proba: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, same shape as ``proba`` (rows in the class order)."""
        if self.method == "identity":
            return proba
        if len(self.classes) == 2:
            q = self._map(0, proba[:, 1])
            return np.column_stack([1.0 - q, q])
        mapped = np.column_stack([self._map(c, proba[:, c]) for c in range(proba.shape[1])])
        total = mapped.sum(axis=1, keepdims=True)
        out: npt.NDArray[np.float64] = np.divide(mapped, total, out=proba.copy(), where=total > 0)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (classes must be JSON values themselves)."""
        return {
            "classes": list(self.classes),
            "method": self.method,
            "knots": [[list(x), list(y)] for x, y in self.knots],
            "sigmoid": [list(ab) for ab in self.sigmoid],
            "ece_before": self.ece_before,
            "ece_after": self.ece_after,
            "n": self.n,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """The inverse of :meth:`to_dict`."""
        try:
            return cls(
                classes=tuple(data["classes"]),
                method=data.get("method", "identity"),
                knots=tuple(
                    (tuple(map(float, x)), tuple(map(float, y))) for x, y in data.get("knots", ())
                ),
                sigmoid=tuple((float(a), float(b)) for a, b in data.get("sigmoid", ())),
                ece_before=data.get("ece_before"),
                ece_after=data.get("ece_after"),
                n=int(data.get("n", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(
                f"This is not a calibration written by Calibration.to_dict ({exc}); refit it "
                "with fit_calibration.",
                {"field": "calibration"},
            ) from exc


def reliability(proba: npt.NDArray[np.float64], y: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Expected calibration error and the ECE a perfectly calibrated model would show.

    The second figure is the sampling noise: per bin, the mean absolute deviation of a
    Poisson-binomial count from its mean (normal approximation), weighted like the ECE.
    Binary models use the probability of the second class; multiclass the top label.
    """
    rows = np.arange(y.size)
    if proba.shape[1] == 2:
        confidence, hit = proba[:, 1], y == 1
    else:
        top = np.argmax(proba, axis=1)
        confidence, hit = proba[rows, top], top == y
    ece, _ = calibration_bins(confidence, hit)
    edges = np.linspace(0.0, 1.0, 11)
    index = np.searchsorted(edges[1:-1], confidence, side="left")
    spread = np.bincount(index, weights=confidence * (1 - confidence), minlength=10)
    noise = float(np.sqrt(2 / math.pi) * np.sqrt(spread).sum() / max(y.size, 1))
    return ece, noise


def _isotonic(p: npt.NDArray[np.float64], hit: npt.NDArray[np.bool_]) -> tuple[Any, Any]:
    x, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    mean = np.bincount(inverse, weights=hit.astype(np.float64)) / counts
    fitted = isotonic_regression(mean, sample_weight=counts.astype(np.float64), y_min=0, y_max=1)
    change = np.diff(fitted) != 0
    keep = np.ones(x.size, dtype=bool)
    keep[1:-1] = change[:-1] | change[1:]
    return tuple(x[keep].tolist()), tuple(np.asarray(fitted)[keep].tolist())


def _platt(p: npt.NDArray[np.float64], hit: npt.NDArray[np.bool_]) -> tuple[float, float]:
    """Sigmoid on the log-odds, fitted by damped Newton steps with Platt's smoothed targets."""
    q = np.clip(p, _LOGIT_CLIP, 1 - _LOGIT_CLIP)
    z = np.log(q / (1 - q))
    n_pos = float(hit.sum())
    n_neg = hit.size - n_pos
    target = np.where(hit, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(a: float, b: float) -> float:
        x = a * z + b
        return float(np.sum(target * np.logaddexp(0.0, -x) + (1 - target) * np.logaddexp(0.0, x)))

    a, b = 0.0, math.log((n_pos + 1) / (n_neg + 1))  # start flat, at the base rate
    current = loss(a, b)
    for _ in range(100):
        s = _sigmoid(a * z + b)
        w = np.maximum(s * (1 - s), 1e-12)
        r = s - target
        grad = np.array([np.dot(r, z), r.sum()])
        hess = np.array([[np.dot(w, z * z), np.dot(w, z)], [np.dot(w, z), w.sum()]])
        step = np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
        scale = 1.0
        while scale > 1e-6:  # halve the step until the loss goes down
            trial = loss(a - scale * float(step[0]), b - scale * float(step[1]))
            if trial <= current:
                break
            scale /= 2
        a, b = a - scale * float(step[0]), b - scale * float(step[1])
        improved, current = current - trial, trial
        if improved < 1e-10 * max(current, 1.0):
            break
    return a, b


def fit_calibration(
    proba_ref: Any,
    y_ref: Any,
    classes: Sequence[Any],
    *,
    method: Literal["auto", "identity", "isotonic", "platt"] = "auto",
    tolerance: float = 0.01,
) -> Calibration:
    """Fit a :class:`Calibration` on labelled reference data (e.g. the held-out test set).

    ``"auto"`` keeps the identity when the expected calibration error is within
    ``tolerance`` of the sampling noise for this many rows (see :func:`reliability`),
    else fits isotonic maps with at least 1,000 rows per map, Platt sigmoids below.
    """
    classes = list(classes)
    y = class_codes(np.asarray(y_ref), classes, "y_ref")
    proba = np.asarray(proba_ref, dtype=np.float64)
    if proba.ndim != 2 or proba.shape != (y.size, len(classes)) or len(classes) < 2:
        raise InvalidInputError(
            f"proba_ref must have one row per reference label and one column per class "
            f"({y.size} x {len(classes)}, at least 2 classes); got the shape {proba.shape}.",
            {"field": "proba_ref"},
        )
    if not np.isfinite(proba).all():
        raise InvalidInputError(
            "proba_ref has NaN or infinite values; drop those rows from the reference data.",
            {"field": "proba_ref"},
        )
    if y.size == 0:
        raise InvalidInputError(
            "The reference data is empty; calibration needs labelled rows (a few thousand "
            "from the model's held-out test data).",
            {"field": "y_ref"},
        )
    ece, noise = reliability(proba, y)
    if method == "auto":
        if ece <= noise + tolerance:
            method = "identity"
        else:
            method = "isotonic" if y.size >= ISOTONIC_MIN_ROWS else "platt"
    if method == "identity":
        return Calibration(tuple(classes), "identity", ece_before=ece, ece_after=ece, n=y.size)
    columns = [1] if len(classes) == 2 else list(range(len(classes)))
    if method == "isotonic":
        knots = tuple(_isotonic(proba[:, c], y == c) for c in columns)
        fitted = Calibration(tuple(classes), "isotonic", knots=knots, n=y.size)
    elif method == "platt":
        sigmoid = tuple(_platt(proba[:, c], y == c) for c in columns)
        fitted = Calibration(tuple(classes), "platt", sigmoid=sigmoid, n=y.size)
    else:
        raise InvalidInputError(
            f"The calibration method must be auto, identity, isotonic or platt. "
            f"Got {method!r} instead.",
            {"field": "method"},
        )
    after, _ = reliability(fitted.apply(proba), y)
    return Calibration(
        fitted.classes,
        fitted.method,
        fitted.knots,
        fitted.sigmoid,
        ece_before=ece,
        ece_after=after,
        n=y.size,
    )
