"""Missing-share check: did the share of null/NaN/unreadable values change?

An all-null column, or a column absent from the current window, is a broken pipeline
more often than a changed world, and the distribution tests cannot see it (they only
look at present values). The effect is Cohen's ``h = |2 asin sqrt(p1) - 2 asin sqrt(p0)|``
(variance-stabilised, so ``h * sqrt(n_eff)`` is about standard normal when nothing
changed) with a floor of 0.1: a column going from 0% to 0.25% missing, or 10% to 14%.
It runs only when either side has missing values.

>>> from aweigh.monitor.drift.sketch import ColumnSketch
>>> ref, cur = ColumnSketch(), ColumnSketch()
>>> ref.update([1.0] * 1_000); cur.update([None] * 500)
>>> result = missing_share_test(ref, cur)
>>> result.drifted, round(result.statistic, 2)
(True, 1.0)
"""

from __future__ import annotations

import math

from aweigh.monitor.drift._decide import decide_one, not_tested
from aweigh.monitor.drift._nulls import NormalNull, n_effective
from aweigh.monitor.drift.base import MIN_ROWS, DriftResult, Measurement
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["measure", "missing_share_test", "needs_check", "too_few"]


def needs_check(reference: ColumnSketch, current: ColumnSketch) -> bool:
    """Whether either side has missing values (otherwise there is nothing to test)."""
    return reference.missing > 0 or current.missing > 0


def _kind(sketch: ColumnSketch) -> str:
    return "numeric" if sketch.kind in ("numeric", "datetime") else "categorical"


def measure(column: str, reference: ColumnSketch, current: ColumnSketch) -> Measurement:
    """Cohen's h between the two missing shares, with its normal null."""
    p0, p1 = reference.missing_share, current.missing_share
    h = abs(2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p0)))
    n_eff = n_effective(reference.rows, current.rows)
    return Measurement(
        column=column,
        method="missing_share",
        kind=_kind(reference),
        statistic=p1 - p0,
        effect=h,
        effect_name="cohens_h",
        label=f"missing share {p0:.1%} -> {p1:.1%}: Cohen's h",
        null=NormalNull(1.0 / math.sqrt(n_eff) if n_eff > 0 else math.inf),
        n_reference=reference.rows,
        n_current=current.rows,
        detail={
            "reference_missing": reference.missing,
            "current_missing": current.missing,
            "reference_share": p0,
            "current_share": p1,
        },
    )


def too_few(reference: ColumnSketch, current: ColumnSketch) -> str | None:
    """Why the check cannot run, or None."""
    for side, sketch in (("current", current), ("reference", reference)):
        if sketch.rows < MIN_ROWS:
            return f"too few rows: {sketch.rows:,} in {side}, need at least {MIN_ROWS}"
    return None


def missing_share_test(
    reference: ColumnSketch,
    current: ColumnSketch,
    *,
    alpha: float = 0.01,
    min_effect: float | None = None,
    column: str = "value",
) -> DriftResult:
    """Test whether a column's missing share changed (module notes)."""
    why = too_few(reference, current)
    if why is not None:
        return not_tested(column, "missing_share", _kind(reference), why)
    return decide_one(measure(column, reference, current), alpha=alpha, min_effect=min_effect)
