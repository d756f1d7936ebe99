"""Fairness of a classifier's predictions per group: rates, gaps, intervals, flagged groups.

:func:`fairness_table` takes labels, predictions and one or more sensitive attributes and
returns a :class:`FairnessReport`:

- per group (each attribute's values and, with ``intersections``, every combination of
  two or more attributes, named ``"sex&race"``): selection rate, TPR, FPR, precision and
  accuracy, each with a row-bootstrap percentile interval;
- per attribute: demographic parity difference (max - min selection rate) and ratio
  (min / max), TPR and FPR differences, equalized odds difference (the larger of those
  two) and the four-fifths rule (ratio >= 0.8), each with an interval. These equal
  fairlearn's ``demographic_parity_difference``/``_ratio``, ``equalized_odds_difference``
  and ``MetricFrame.difference()`` when ``min_group_size=0``;
- per group, a pooled two-proportion z-test against the rest of the population, on the
  selection rate and on the TPR, with Holm's correction across every test of the report.
  Holm rather than Benjamini-Hochberg: a flag is an alert someone acts on, so the chance
  of any false flag (family-wise error) is what to bound, and Holm holds under any
  dependence between tests, which is certain here (a group and its intersections overlap;
  every "rest" shares rows). BH's guarantee needs positive dependence that overlapping
  group-vs-rest tests do not promise.

Groups with fewer than ``min_group_size`` rows are reported (with their figures) as
``too_small`` but not judged: they take no part in the differences, the four-fifths rule
or the tests. Label-based gaps (TPR, FPR, equalized odds) and the TPR test also need
``min_group_size`` labelled rows. Rows whose label is missing (None/NaN: not arrived yet)
count in the selection rate only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.fairness_input import (
    Attribute,
    as_series,
    binary,
    check_positive_seen,
    encode_attributes,
)
from aweigh.monitor.fairness_report import (
    FOUR_FIFTHS,
    AttributeDisparity,
    Estimate,
    FairnessReport,
    GroupMetrics,
)
from aweigh.monitor.fairness_stats import (
    METRICS,
    N_CELLS,
    bootstrap_counts,
    extremes,
    holm,
    metrics_from_counts,
    percentile_interval,
    two_proportion_p,
)

__all__ = [
    "AttributeDisparity",
    "Estimate",
    "FairnessReport",
    "GroupMetrics",
    "check_options",
    "fairness_table",
    "table_from_arrays",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_OVERALL = "(all)"


def _whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _share(value: Any) -> bool:
    number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    return number and 0.0 < float(value) < 1.0


def check_options(min_group_size: int, n_boot: int, confidence: float, alpha: float) -> None:
    """Raise ``InvalidInputError`` naming the first option out of range."""
    checks = (
        ("min_group_size", min_group_size, _whole(min_group_size) and min_group_size >= 0,
         "a whole number >= 0"),
        ("n_boot", n_boot, _whole(n_boot) and 0 <= n_boot <= 100_000,
         "a whole number from 0 to 100000"),
        ("confidence", confidence, _share(confidence), "a share between 0 and 1 (e.g. 0.95)"),
        ("alpha", alpha, _share(alpha), "a share between 0 and 1 (e.g. 0.05)"),
    )  # fmt: skip
    for name, value, ok, want in checks:
        if not ok:
            raise InvalidInputError(
                f"The {name!r} option must be {want}; got {value!r}.", {"option": name}
            )


def fairness_table(
    y_true: Any,
    y_pred: Any,
    sensitive: Mapping[str, Any] | pd.DataFrame,
    *,
    positive: Any = 1,
    intersections: bool = True,
    min_group_size: int = 30,
    n_boot: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    seed: int = 0,
) -> FairnessReport:
    """Per-group metrics with bootstrap intervals, per-attribute gaps and flagged groups.

    Rows are matched by position. Labels may be missing (late); predictions may not.
    """
    check_options(min_group_size, n_boot, confidence, alpha)
    labels, predictions = as_series(y_true, "labels"), as_series(y_pred, "predictions")
    if len(labels) != len(predictions):
        raise InvalidInputError(
            f"There are {len(labels):,} labels for {len(predictions):,} predictions; "
            "give one label (or None while it is pending) per prediction."
        )
    if len(predictions) == 0:
        raise InvalidInputError(
            "The window is empty: no predictions to measure fairness on. Widen the time "
            "range or wait for traffic."
        )
    attributes = encode_attributes(sensitive, len(predictions))
    truth, known = binary(labels, positive, "labels", allow_missing=True)
    is_pos, _ = binary(predictions, positive, "predictions", allow_missing=False)
    check_positive_seen(positive, ("labels", labels), ("predictions", predictions))
    return table_from_arrays(
        truth, known, is_pos, attributes,
        positive=positive, intersections=intersections, min_group_size=min_group_size,
        n_boot=n_boot, confidence=confidence, alpha=alpha, seed=seed,
    )  # fmt: skip


def _groupings(
    attributes: list[Attribute], intersections: bool
) -> tuple[list[tuple[str, Any]], FloatArray, npt.NDArray[np.int64]]:
    """Every group as ``(attribute name, value)``, the membership matrix, the row -> finest
    group index."""
    codes = np.stack([c for _, c, _ in attributes], axis=1)
    fine_codes, fine_of_row = np.unique(codes, axis=0, return_inverse=True)
    subsets: list[tuple[int, ...]] = [(i,) for i in range(len(attributes))]
    if intersections:
        for size in range(2, len(attributes) + 1):
            subsets += list(itertools.combinations(range(len(attributes)), size))
    names: list[tuple[str, Any]] = []
    rows: list[BoolArray] = []
    for subset in subsets:
        keys, member_of = np.unique(fine_codes[:, subset], axis=0, return_inverse=True)
        attribute = "&".join(attributes[i][0] for i in subset)
        for g, key in enumerate(keys):
            values = tuple(attributes[i][2][int(code)] for i, code in zip(subset, key, strict=True))
            names.append((attribute, values if len(subset) > 1 else values[0]))
            rows.append(member_of.reshape(-1) == g)
    names.append((_OVERALL, _OVERALL))
    rows.append(np.ones(len(fine_codes), dtype=bool))
    return names, np.asarray(rows, dtype=np.float64), fine_of_row.reshape(-1)


def _estimates(
    point: dict[str, FloatArray], boot: dict[str, FloatArray], confidence: float
) -> dict[str, list[Estimate]]:
    out: dict[str, list[Estimate]] = {}
    for name in METRICS:
        low, high = percentile_interval(boot[name], confidence)
        value = point[name]
        low, high = np.where(np.isnan(value), np.nan, low), np.where(np.isnan(value), np.nan, high)
        out[name] = [
            Estimate(float(v), float(a), float(b)) for v, a, b in zip(value, low, high, strict=True)
        ]
    return out


def _gap(
    values: FloatArray, boot: FloatArray, confidence: float, ratio: bool
) -> tuple[Estimate, FloatArray]:
    """Max - min (or min / max) over groups: the estimate and its replicates."""

    def one(x: FloatArray) -> FloatArray:
        low, high = extremes(x, axis=-1)
        if not ratio:
            return high - low
        out = np.where(high == 0, 1.0, np.nan)  # every group at 0: equal rates
        np.divide(low, high, out=out, where=high > 0)
        return out

    replicates = one(boot) if boot.ndim == 2 else np.full(0, np.nan)
    point = float(one(values[None, :])[0]) if values.size >= 2 else math.nan
    return _estimate(point, replicates, confidence), replicates


def _estimate(point: float, replicates: FloatArray, confidence: float) -> Estimate:
    if math.isnan(point) or replicates.size == 0:
        return Estimate(point, math.nan, math.nan)
    low, high = percentile_interval(replicates[:, None], confidence)
    return Estimate(point, float(low[0]), float(high[0]))


def _worst(
    a: tuple[Estimate, FloatArray], b: tuple[Estimate, FloatArray], confidence: float
) -> Estimate:
    """The larger of two gaps (equalized odds: TPR gap vs FPR gap), NaN-skipping."""
    point = float(extremes(np.array([[a[0].value, b[0].value]]))[1][0])
    return _estimate(point, extremes(np.stack([a[1], b[1]], axis=1))[1], confidence)


def table_from_arrays(
    truth: BoolArray,
    known: BoolArray,
    is_pos: BoolArray,
    attributes: list[Attribute],
    *,
    positive: Any,
    intersections: bool = True,
    min_group_size: int = 30,
    n_boot: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    seed: int = 0,
) -> FairnessReport:
    """:func:`fairness_table` on already checked and encoded inputs (no validation)."""
    names, membership, fine_of_row = _groupings(attributes, intersections)
    cell = np.where(known, 2 * truth.astype(np.int64) + is_pos, 4 + is_pos.astype(np.int64))
    n_fine = membership.shape[1]
    fine = np.bincount(fine_of_row * N_CELLS + cell, minlength=n_fine * N_CELLS)
    fine = fine.reshape(n_fine, N_CELLS).astype(np.int64)
    counts = membership @ fine
    point = metrics_from_counts(counts)
    replicates = bootstrap_counts(fine, membership, n_boot, np.random.default_rng(seed))
    boot = metrics_from_counts(replicates)
    est = _estimates(point, boot, confidence)
    n_rows = counts.sum(axis=1)
    n_labeled = counts[:, :4].sum(axis=1)
    size_ok = n_rows >= min_group_size
    label_ok = size_ok & (n_labeled >= min_group_size)
    overall = len(names) - 1
    pvalues = _tests(counts, size_ok, label_ok, overall)
    adjusted = holm([p for pair in pvalues for p in pair])
    disparities = []
    for attribute in dict.fromkeys(name for name, _ in names[:overall]):
        idx = np.array([i for i, (a, _) in enumerate(names) if a == attribute])
        judged, labeled = idx[size_ok[idx]], idx[label_ok[idx]]
        sel, sel_boot = point["selection_rate"], boot["selection_rate"]
        tpr_gap = _gap(point["tpr"][labeled], boot["tpr"][:, labeled], confidence, False)
        fpr_gap = _gap(point["fpr"][labeled], boot["fpr"][:, labeled], confidence, False)
        ratio = _gap(sel[judged], sel_boot[:, judged], confidence, True)[0]
        disparities.append(
            AttributeDisparity(
                attribute=attribute,
                groups=len(idx),
                judged=len(judged),
                demographic_parity_difference=_gap(
                    sel[judged], sel_boot[:, judged], confidence, False
                )[0],
                demographic_parity_ratio=ratio,
                equalized_odds_difference=_worst(tpr_gap, fpr_gap, confidence),
                tpr_difference=tpr_gap[0],
                fpr_difference=fpr_gap[0],
                four_fifths=None if math.isnan(ratio.value) else ratio.value >= FOUR_FIFTHS,
            )
        )
    groups = []
    for i, (attribute, value) in enumerate(names):
        p_sel, p_tpr = adjusted[2 * i], adjusted[2 * i + 1]
        groups.append(
            GroupMetrics(
                attribute=attribute,
                group=value,
                n=int(n_rows[i]),
                n_labeled=int(n_labeled[i]),
                too_small=bool(not size_ok[i]),
                **{name: est[name][i] for name in METRICS},
                p_selection=p_sel,
                p_tpr=p_tpr,
                flagged=bool(p_sel < alpha or p_tpr < alpha),
            )
        )
    return FairnessReport(
        n=int(n_rows[overall]),
        n_labeled=int(n_labeled[overall]),
        positive=positive,
        overall=groups[overall],
        groups=tuple(groups[:overall]),
        attributes=tuple(disparities),
        min_group_size=min_group_size,
        n_boot=n_boot,
        confidence=confidence,
        alpha=alpha,
    )


def _tests(
    counts: FloatArray, size_ok: BoolArray, label_ok: BoolArray, overall: int
) -> list[tuple[float, float]]:
    """Raw p-values (selection rate, TPR) of each group against the rest; NaN if untested."""
    _, fp, fn, tp, _, up = (counts[:, i].astype(float) for i in range(N_CELLS))
    rows = counts.sum(axis=1).astype(float)
    chosen = fp + tp + up
    positives = tp + fn
    out = []
    for i in range(len(counts)):
        p_sel = p_tpr = math.nan
        if i != overall and size_ok[i]:
            p_sel = two_proportion_p(
                chosen[i], rows[i], chosen[overall] - chosen[i], rows[overall] - rows[i]
            )
        if i != overall and label_ok[i]:
            p_tpr = two_proportion_p(
                tp[i], positives[i], tp[overall] - tp[i], positives[overall] - positives[i]
            )
        out.append((p_sel, p_tpr))
    return out
