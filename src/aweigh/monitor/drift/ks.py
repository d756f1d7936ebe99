"""Kolmogorov-Smirnov distance between two numeric column sketches.

``D = max_x |F_current(x) - F_reference(x)|``, evaluated at every value either KLL
sketch keeps (exactly the two-sample KS statistic when neither sketch compacted).
The effect is ``D`` itself; its null is Kolmogorov's distribution at
``n_eff = n * m / (n + m)`` (:mod:`aweigh.monitor.drift._nulls`). The sketch error
bound is the sum of both sketches' uniform rank error bounds.

>>> import numpy as np
>>> from aweigh.monitor.drift.sketch import ColumnSketch
>>> rng = np.random.default_rng(42)
>>> ref, cur = ColumnSketch(), ColumnSketch()
>>> ref.update(rng.normal(size=30_000)); cur.update(rng.normal(0.3, 1.0, size=1_000))
>>> result = ks_test(ref, cur)
>>> result.drifted, round(result.effect, 2), result.effect_name
(True, 0.15, 'ks_distance')
"""

from __future__ import annotations

import numpy as np

from aweigh.monitor.drift._binning import numeric_bins
from aweigh.monitor.drift._bounds import retained_values, sup_rank_error
from aweigh.monitor.drift._common import numeric_summary, require
from aweigh.monitor.drift._decide import run_detector
from aweigh.monitor.drift._nulls import KolmogorovNull, n_effective
from aweigh.monitor.drift.base import DriftResult, Measurement
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["ks_test", "measure"]

_KINDS = ("numeric", "datetime")


def measure(column: str, reference: ColumnSketch, current: ColumnSketch) -> Measurement:
    """The KS distance of two numeric sketches, with its null and error bound."""
    ref = require(reference, _KINDS, "ks", "reference")
    cur = require(current, _KINDS, "ks", "current")
    qr, qc = ref.quantiles, cur.quantiles
    assert qr is not None
    assert qc is not None
    points = np.union1d(retained_values(qr), retained_values(qc))
    f_ref = qr.ranks(points) / qr.n
    f_cur = qc.ranks(points) / qc.n
    gap = f_cur - f_ref
    at = int(np.argmax(np.abs(gap)))
    d = float(abs(gap[at]))
    detail = {
        "at": float(points[at]),
        "reference_cdf": float(f_ref[at]),
        "current_cdf": float(f_cur[at]),
        "reference": numeric_summary(ref),
        "current": numeric_summary(cur),
        "bins": numeric_bins(ref, cur).table(),
    }
    return Measurement(
        column=column,
        method="ks",
        kind="numeric",
        statistic=d,
        effect=d,
        effect_name="ks_distance",
        label="KS distance",
        null=KolmogorovNull(n_effective(qr.n, qc.n)),
        n_reference=qr.n,
        n_current=qc.n,
        approx_error=sup_rank_error(qr) + sup_rank_error(qc),
        detail=detail,
    )


def ks_test(
    reference: ColumnSketch,
    current: ColumnSketch,
    *,
    alpha: float = 0.01,
    min_effect: float | None = None,
    column: str = "value",
) -> DriftResult:
    """Test one numeric column for drift with the KS distance (decision rule: package docs)."""
    return run_detector(
        measure, "ks", reference, current, alpha=alpha, min_effect=min_effect, column=column
    )
