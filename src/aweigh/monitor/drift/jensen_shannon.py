"""Jensen-Shannon distance on reference quantile bins (numbers) or categories.

``JS = sqrt(0.5 * KL(c || m) + 0.5 * KL(r || m))`` with ``m = (c + r) / 2`` and natural
logarithms (``scipy.spatial.distance.jensenshannon``'s default), on the same bins as
PSI. It is bounded (at most ``sqrt(ln 2)``) and needs no smoothing. Since the JS
divergence is ``sum (c - r)**2 / (8 m)`` to second order, ``8 * n_eff * JS**2`` is
asymptotically chi-square with (bins - 1) degrees of freedom when nothing changed.

>>> import numpy as np
>>> from aweigh.monitor.drift.sketch import ColumnSketch
>>> rng = np.random.default_rng(42)
>>> ref, cur = ColumnSketch(), ColumnSketch()
>>> ref.update(rng.normal(size=30_000)); cur.update(rng.normal(0.3, 1.0, size=1_000))
>>> result = jensen_shannon_test(ref, cur)
>>> result.drifted, round(result.effect, 2)
(True, 0.12)
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from aweigh.monitor.drift._binning import category_buckets, numeric_bins
from aweigh.monitor.drift._bounds import divergence_bounds
from aweigh.monitor.drift._common import require
from aweigh.monitor.drift._decide import run_detector
from aweigh.monitor.drift._nulls import ChiSquareNull, n_effective
from aweigh.monitor.drift.base import DriftResult, Measurement
from aweigh.monitor.drift.psi import BINS
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["jensen_shannon_test", "js_terms", "measure"]

FloatArray = npt.NDArray[np.float64]


def js_terms(c: FloatArray, r: FloatArray) -> FloatArray:
    """Per-bin Jensen-Shannon divergence terms of two share vectors (0 * log 0 = 0)."""
    m = (c + r) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(c > 0, c * np.log(c / m), 0.0)
        right = np.where(r > 0, r * np.log(r / m), 0.0)
    return np.asarray(0.5 * (left + right), dtype=np.float64)


def measure(column: str, reference: ColumnSketch, current: ColumnSketch) -> Measurement:
    """The JS distance of two sketches (numeric or categorical), with null and error bound."""
    kinds = ("numeric", "datetime", "categorical")
    ref = require(reference, kinds, "jensen_shannon", "reference")
    cur = require(current, kinds, "jensen_shannon", "current")
    numeric = ref.kind != "categorical"
    binned = numeric_bins(ref, cur, BINS) if numeric else category_buckets(ref, cur)
    c, r = binned.shares()
    divergence = max(float(js_terms(c, r).sum()), 0.0)
    distance = math.sqrt(divergence)
    error = 0.0
    if not binned.exact:
        lower, upper = divergence_bounds(js_terms, *binned.share_bounds())
        error = max(math.sqrt(max(upper, 0.0)) - distance, distance - math.sqrt(max(lower, 0.0)))
    return Measurement(
        column=column,
        method="jensen_shannon",
        kind="numeric" if numeric else "categorical",
        statistic=distance,
        effect=distance,
        effect_name="js_distance",
        label="Jensen-Shannon distance",
        null=ChiSquareNull(binned.df, 8.0 * n_effective(ref.n, cur.n), power=2.0),
        n_reference=ref.n,
        n_current=cur.n,
        approx_error=max(error, 0.0),
        detail={"bins": binned.table(), **binned.extra},
    )


def jensen_shannon_test(
    reference: ColumnSketch,
    current: ColumnSketch,
    *,
    alpha: float = 0.01,
    min_effect: float | None = None,
    column: str = "value",
) -> DriftResult:
    """Test one column for drift with the Jensen-Shannon distance (package docs)."""
    return run_detector(
        measure,
        "jensen_shannon",
        reference,
        current,
        alpha=alpha,
        min_effect=min_effect,
        column=column,
    )
