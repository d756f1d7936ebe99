"""Chi-square test of two categorical column sketches, unseen categories included.

The statistic is Pearson's ``X**2`` of the 2 x K table of bucket counts (what
``scipy.stats.chi2_contingency(table, correction=False)`` computes). Its usual effect
size, Cohen's ``w = sqrt(X**2 / N)``, depends on how unbalanced the two samples are,
so the effect here is the chi-square distance of the two share vectors,
``w = sqrt(sum (c - r)**2 / ((c + r) / 2))``: it does not move with the sample sizes,
``n_eff * w**2`` is asymptotically chi-square with (K - 1) degrees of freedom when
nothing changed, and ``w**2`` is about the PSI (so 0.1 here ~ PSI 0.01).

Categories the reference never saw form an ``(unseen)`` bucket (reference count 0):
it counts toward the statistic and is reported in ``detail``; it never crashes. A
current window whose unseen values make up ``q`` of its rows has ``w >= sqrt(2 q)``.

>>> from aweigh.monitor.drift.sketch import ColumnSketch
>>> ref, cur = ColumnSketch("categorical"), ColumnSketch("categorical")
>>> ref.update(["a"] * 600 + ["b"] * 400); cur.update(["a"] * 300 + ["b"] * 300 + ["c"] * 400)
>>> result = chi_square_test(ref, cur)
>>> result.drifted, result.detail["unseen_examples"]
(True, ['c'])
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aweigh.monitor.drift._binning import category_buckets
from aweigh.monitor.drift._bounds import divergence_bounds
from aweigh.monitor.drift._common import require
from aweigh.monitor.drift._decide import run_detector
from aweigh.monitor.drift._nulls import ChiSquareNull, n_effective
from aweigh.monitor.drift.base import DriftResult, Measurement
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["chi_square_test", "measure", "pearson"]

FloatArray = npt.NDArray[np.float64]


def _distance_terms(c: FloatArray, r: FloatArray) -> FloatArray:
    total = c + r
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(total > 0, 2.0 * (c - r) ** 2 / total, 0.0)
    return np.asarray(out, dtype=np.float64)


def pearson(cur: FloatArray, ref: FloatArray) -> float:
    """Pearson's X**2 of the 2 x K table with rows ``ref`` and ``cur`` (empty buckets skipped)."""
    n, m = float(ref.sum()), float(cur.sum())
    if n <= 0 or m <= 0:
        return 0.0
    p, q = ref / n, cur / m
    pooled = n * p + m * q
    keep = pooled > 0
    return float(n * m * np.sum((p[keep] - q[keep]) ** 2 / pooled[keep]))


def measure(column: str, reference: ColumnSketch, current: ColumnSketch) -> Measurement:
    """Pearson's X**2 and the chi-square distance of two categorical sketches."""
    ref = require(reference, ("categorical",), "chi_square", "reference")
    cur = require(current, ("categorical",), "chi_square", "current")
    binned = category_buckets(ref, cur)
    c, r = binned.shares()
    w = math.sqrt(max(float(_distance_terms(c, r).sum()), 0.0))
    error = 0.0
    if not binned.exact:
        lower, upper = divergence_bounds(_distance_terms, *binned.share_bounds())
        error = max(math.sqrt(max(upper, 0.0)) - w, w - math.sqrt(max(lower, 0.0)), 0.0)
    return Measurement(
        column=column,
        method="chi_square",
        kind="categorical",
        statistic=pearson(binned.cur, binned.ref),
        effect=w,
        effect_name="chi_square_distance",
        label="chi-square distance",
        null=ChiSquareNull(binned.df, n_effective(ref.n, cur.n), power=2.0),
        n_reference=ref.n,
        n_current=cur.n,
        approx_error=error,
        detail={"df": binned.df, "bins": binned.table(), **binned.extra},
    )


def chi_square_test(
    reference: ColumnSketch,
    current: ColumnSketch,
    *,
    alpha: float = 0.01,
    min_effect: float | None = None,
    column: str = "value",
) -> DriftResult:
    """Test one categorical column for drift with the chi-square test (package docs)."""
    return run_detector(
        measure, "chi_square", reference, current, alpha=alpha, min_effect=min_effect, column=column
    )
