"""Error bounds for statistics computed from sketches instead of raw values.

A KLL sketch's ``epsilon(delta)`` bounds the rank error of one query with probability
``1 - delta``. Statistics query many points, so:

- :func:`rank_error` bounds ``queries`` fixed points at once (union bound);
- :func:`sup_rank_error` bounds the error at *every* point: take ``G`` grid points at
  the true ranks ``i / G``; ranks are monotone, so between two grid points the error
  grows by at most ``1 / G``. With ``2G`` queries (inclusive and exclusive ranks) the
  bound is ``epsilon(delta / 2G) + 1 / G``, minimised over a few ``G``;
- :func:`divergence_bounds` bounds a sum of per-bin divergence terms when each share
  is only known within an interval. Every term used here (PSI, Jensen-Shannon,
  chi-square distance) is jointly convex in the two shares, zero when they are equal and
  grows with their gap, so its maximum over a box is at a corner and its minimum at
  the corner nearest the diagonal (0 when the intervals overlap).

Every bound holds with probability at least ``1 - DELTA`` per sketch; an exact sketch
(one that never compacted) has error 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from aweigh.data.sketches import QuantileSketch

__all__ = ["DELTA", "divergence_bounds", "rank_error", "retained_values", "sup_rank_error"]

FloatArray = npt.NDArray[np.float64]
Term = Callable[[FloatArray, FloatArray], FloatArray]

#: failure probability of each sketch error bound
DELTA = 0.01
_GRIDS = (10, 30, 100, 300, 1_000, 3_000, 10_000)


def rank_error(sketch: QuantileSketch, queries: int) -> float:
    """A normalised rank error bound holding at ``queries`` fixed points at once."""
    if sketch.n == 0 or sketch.max_rank_error == 0:
        return 0.0
    return sketch.epsilon(DELTA / max(queries, 1))


def sup_rank_error(sketch: QuantileSketch) -> float:
    """A normalised rank error bound holding at every point at once (module notes)."""
    if sketch.n == 0 or sketch.max_rank_error == 0:
        return 0.0
    best = sketch.max_rank_error / sketch.n
    for grid in _GRIDS:
        best = min(best, sketch.epsilon(DELTA / (2 * grid)) + 1.0 / grid)
    return best


def retained_values(sketch: QuantileSketch) -> FloatArray:
    """The distinct values a sketch keeps: where its CDF can step."""
    levels = sketch.to_dict()["levels"]
    flat = np.concatenate([np.asarray(level, dtype=np.float64) for level in levels])
    return np.unique(flat)


def divergence_bounds(
    term: Term, c_lo: FloatArray, c_hi: FloatArray, r_lo: FloatArray, r_hi: FloatArray
) -> tuple[float, float]:
    """Lower and upper bounds of ``sum(term(c, r))`` over ``c in [c_lo, c_hi]``,
    ``r in [r_lo, r_hi]`` per bin (module notes)."""
    corners = np.stack([term(c_lo, r_lo), term(c_lo, r_hi), term(c_hi, r_lo), term(c_hi, r_hi)])
    upper = float(corners.max(axis=0).sum())
    lower = np.zeros(c_lo.size)
    above = c_lo > r_hi
    below = r_lo > c_hi
    if above.any():
        lower[above] = term(c_lo[above], r_hi[above])
    if below.any():
        lower[below] = term(c_hi[below], r_lo[below])
    return float(lower.sum()), upper
