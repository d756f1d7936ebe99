"""The statistics behind fairness tables: confusion cells, a vectorised bootstrap, tests.

Every fairness metric here is a function of six counts per group, the *cells*: the four
confusion cells of labelled rows (TN, FP, FN, TP) and two for rows whose label has not
arrived yet (predicted negative, predicted positive). A row bootstrap (draw n rows with
replacement) therefore matters only through how many draws land in each cell of each
finest group (the intersection of all sensitive attributes). Those counts follow a
multinomial distribution with n trials and the observed cell shares as probabilities, so
drawing them directly with ``Generator.multinomial`` for all replicates at once gives
exactly the distribution of a row bootstrap, at a cost that depends on the number of
cells, not rows. Coarser groups (one attribute, or a pair) are sums of finest cells: a
0/1 membership matrix turns one draw into every group's counts.

Intervals are percentile intervals over the replicates; a replicate in which a metric is
undefined (a group drew no positive labels, so no TPR) is left out of that interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "CELLS",
    "bootstrap_counts",
    "extremes",
    "holm",
    "metrics_from_counts",
    "percentile_interval",
    "two_proportion_p",
]

#: Cell order: labelled TN, FP, FN, TP (= 2 * label + prediction), then unlabelled
#: predicted negative and predicted positive (= 4 + prediction).
CELLS = ("tn", "fp", "fn", "tp", "unlabeled_neg", "unlabeled_pos")
N_CELLS = len(CELLS)
METRICS = ("selection_rate", "tpr", "fpr", "precision", "accuracy")

# Cap on replicate x cell entries drawn at once (bounds memory for many finest groups).
_CHUNK_ENTRIES = 2_000_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` with NaN where ``den`` is 0 (no warning)."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def metrics_from_counts(counts: npt.NDArray[np.int64] | FloatArray) -> dict[str, FloatArray]:
    """Selection rate, TPR, FPR, precision, accuracy from cell counts of shape ``(..., 6)``.

    Unlabelled rows count in the selection rate only; a metric whose denominator is empty
    (no positive labels for TPR, no positive predictions for precision) is NaN.
    """
    c = np.asarray(counts, dtype=np.float64)
    tn, fp, fn, tp, un, up = (c[..., i] for i in range(N_CELLS))
    rows = tn + fp + fn + tp + un + up
    return {
        "selection_rate": _ratio(fp + tp + up, rows),
        "tpr": _ratio(tp, tp + fn),
        "fpr": _ratio(fp, fp + tn),
        "precision": _ratio(tp, tp + fp),
        "accuracy": _ratio(tn + tp, tn + fp + fn + tp),
    }


def bootstrap_counts(
    fine_counts: IntArray,
    membership: npt.NDArray[np.float64],
    n_boot: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """Row-bootstrap replicates of every group's cells, shape ``(n_boot, groups, 6)``.

    ``fine_counts`` has shape ``(finest groups, 6)``; ``membership`` is ``(groups,
    finest groups)`` with 1 where a finest group belongs to a group.
    """
    flat = fine_counts.reshape(-1).astype(np.float64)
    total = int(flat.sum())
    n_fine = fine_counts.shape[0]
    out = np.empty((n_boot, membership.shape[0], N_CELLS))
    if n_boot == 0 or total == 0:
        out[:] = 0.0
        return out
    keep = np.flatnonzero(flat)  # draw only cells that occur: zero-probability cells stay 0
    pvals = flat[keep] / total
    step = max(1, _CHUNK_ENTRIES // max(1, flat.size))
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        drawn = np.zeros((stop - start, flat.size))
        drawn[:, keep] = rng.multinomial(total, pvals, size=stop - start)
        # One matrix product for the chunk: (groups, fine) @ (fine, replicates * cells).
        by_fine = drawn.reshape(stop - start, n_fine, N_CELLS).transpose(1, 0, 2)
        summed = membership @ by_fine.reshape(n_fine, -1)
        out[start:stop] = summed.reshape(-1, stop - start, N_CELLS).transpose(1, 0, 2)
    return out


def percentile_interval(samples: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Per-column percentile interval of ``samples`` (replicates on axis 0), NaNs skipped.

    Columns with no finite replicate get NaN bounds.
    """
    if samples.shape[0] == 0:
        empty = np.full(samples.shape[1:], np.nan)
        return empty, empty.copy()
    ordered = np.sort(samples, axis=0)  # NaN sorts last
    valid = np.sum(~np.isnan(samples), axis=0)
    tail = (1.0 - confidence) / 2.0
    bounds = []
    for q in (tail, 1.0 - tail):
        pos = q * np.maximum(valid - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
        frac = pos - lo
        below = np.take_along_axis(ordered, lo[None, ...], axis=0)[0]
        above = np.take_along_axis(ordered, hi[None, ...], axis=0)[0]
        bound = below + (above - below) * frac
        bounds.append(np.where(valid > 0, bound, np.nan))
    return bounds[0], bounds[1]


def extremes(values: FloatArray, axis: int = -1) -> tuple[FloatArray, FloatArray]:
    """NaN-skipping min and max along ``axis``; NaN where every value is NaN (no warning)."""
    missing = np.isnan(values)
    empty = np.all(missing, axis=axis)
    low = np.where(missing, np.inf, values).min(axis=axis, initial=np.inf)
    high = np.where(missing, -np.inf, values).max(axis=axis, initial=-np.inf)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value of the pooled z-test that ``x1/n1`` equals ``x2/n2``.

    NaN when either side is empty; 1.0 when the pooled rate is 0 or 1 (no variation).
    """
    if n1 <= 0 or n2 <= 0:
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2.0))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (NaN entries stay NaN and are not counted)."""
    adjusted = [math.nan] * len(pvalues)
    order = sorted((p, i) for i, p in enumerate(pvalues) if not math.isnan(p))
    m = len(order)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted
