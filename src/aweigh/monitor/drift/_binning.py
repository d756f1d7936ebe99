"""Bins shared by the binned tests (PSI, Jensen-Shannon, chi-square), with count bounds.

Numbers: ``bins`` equal-mass bins at the reference's quantiles (duplicate edges of
discrete columns collapse; fewer bins when the smaller sample would expect under 10
values per bin, below which the chi-square approximation of JS and PSI runs liberal),
plus a bin below the reference minimum and one above its maximum, so values outside
the reference range are seen and reported. Bins empty on both sides are dropped.

Categories: one bucket per reference category that is common enough for the
chi-square approximation (expected count >= 5 in the smaller sample, at most 48
buckets), ``(other)`` for the rest, and ``(unseen)`` for categories the reference never
saw. Unseen values are always bucketed on their own and reported (count, share,
examples), never dropped. When a reference has more distinct values than its sketch
keeps (Misra-Gries error > 0), unseen cannot be told from rare, so they join ``(other)``.

Each count comes with a bound on its sketch error (0 when exact); see
:mod:`aweigh.monitor.drift._bounds`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from aweigh.monitor.drift._bounds import rank_error
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["Binned", "category_buckets", "numeric_bins"]

FloatArray = npt.NDArray[np.float64]
MAX_BUCKETS = 50
MIN_EXPECTED = 5.0  # per category bucket
MIN_PER_BIN = 10  # per numeric bin: JS and PSI run liberal with fewer
OTHER = "(other)"
UNSEEN = "(unseen)"


@dataclass(frozen=True)
class Binned:
    """Counts per bin on both sides, each within ``+-err`` of the truth."""

    labels: list[str]
    ref: FloatArray
    cur: FloatArray
    ref_err: FloatArray
    cur_err: FloatArray
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_ref(self) -> float:
        return float(self.ref.sum())

    @property
    def n_cur(self) -> float:
        return float(self.cur.sum())

    @property
    def df(self) -> int:
        """Degrees of freedom: occupied bins less one."""
        return max(int(np.count_nonzero(self.ref + self.cur > 0)) - 1, 0)

    @property
    def exact(self) -> bool:
        return not (self.ref_err.any() or self.cur_err.any())

    def shares(self) -> tuple[FloatArray, FloatArray]:
        return self.cur / max(self.n_cur, 1.0), self.ref / max(self.n_ref, 1.0)

    def share_bounds(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``c_lo, c_hi, r_lo, r_hi``: each share's interval."""
        nc, nr = max(self.n_cur, 1.0), max(self.n_ref, 1.0)
        c_lo = np.clip((self.cur - self.cur_err) / nc, 0.0, 1.0)
        c_hi = np.clip((self.cur + self.cur_err) / nc, 0.0, 1.0)
        r_lo = np.clip((self.ref - self.ref_err) / nr, 0.0, 1.0)
        r_hi = np.clip((self.ref + self.ref_err) / nr, 0.0, 1.0)
        return c_lo, c_hi, r_lo, r_hi

    def table(self) -> list[dict[str, Any]]:
        """Per-bin shares for reports (at most 50 rows)."""
        cur, ref = self.shares()
        return [
            {"bin": label, "reference": float(r), "current": float(c)}
            for label, r, c in zip(self.labels, ref, cur, strict=True)
        ]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def numeric_bins(ref: ColumnSketch, cur: ColumnSketch, bins: int = 10) -> Binned:
    """Equal-mass reference quantile bins plus below/above-range bins (module notes)."""
    qr, qc = ref.quantiles, cur.quantiles
    assert qr is not None
    assert qc is not None
    bins = max(2, min(bins, int(min(qr.n, qc.n) // MIN_PER_BIN)))
    inner = qr.quantiles(np.arange(1, bins) / bins)
    edges = np.unique(np.append(inner, qr.max))
    low = qr.min
    queries = edges.size + 1
    ref_counts = _counts(qr.ranks(edges), 0.0, float(qr.n))
    cur_counts = _counts(qc.ranks(edges), float(qc.ranks([low], inclusive=False)[0]), float(qc.n))
    ref_err = np.full(ref_counts.size, 2.0 * rank_error(qr, queries) * qr.n)
    ref_err[[0, -1]] = 0.0  # exact: the sketch keeps the true min and max
    cur_err = np.full(cur_counts.size, 2.0 * rank_error(qc, queries) * qc.n)
    labels = [f"< {_fmt(low)}", f"[{_fmt(low)}, {_fmt(edges[0])}]"]
    labels += [f"({_fmt(a)}, {_fmt(b)}]" for a, b in itertools.pairwise(edges)]
    labels.append(f"> {_fmt(edges[-1])}")
    used = np.flatnonzero(ref_counts + cur_counts > 0)  # an empty bin carries no information
    return Binned(
        [labels[i] for i in used], ref_counts[used], cur_counts[used], ref_err[used], cur_err[used]
    )


def _counts(ranks: FloatArray, below: float, n: float) -> FloatArray:
    inclusive = np.maximum.accumulate(np.asarray(ranks, dtype=np.float64))
    cuts = np.concatenate([[0.0, below], np.maximum(inclusive, below), [n]])
    return np.clip(np.diff(cuts), 0.0, None)


def category_buckets(ref: ColumnSketch, cur: ColumnSketch) -> Binned:
    """Reference categories, ``(other)`` and ``(unseen)`` buckets (module notes)."""
    ri, ci = ref.items, cur.items
    assert ri is not None
    assert ci is not None
    ref_counts, cur_counts = dict(ri.top()), dict(ci.top())
    nr, nc = float(ri.n), float(ci.n)
    small = max(min(nr, nc), 1.0)
    # a stored count c means a true count in [c, c + error]: use the middle, +-error/2
    er, ec = ri.error / 2.0, ci.error / 2.0

    def estimate(counts: dict[Any, int], name: Any, half: float) -> float:
        return counts[name] + half if name in counts else half

    labels: list[str] = []
    ref_out: list[float] = []
    cur_out: list[float] = []
    for name in ref_counts:  # most frequent first
        r, c = estimate(ref_counts, name, er), estimate(cur_counts, name, ec)
        if len(labels) < MAX_BUCKETS - 2 and (r / max(nr, 1.0) + c / max(nc, 1.0)) / 2 * small >= (
            MIN_EXPECTED
        ):
            labels.append(str(name))
            ref_out.append(r)
            cur_out.append(c)
    unseen = [(n, c) for n, c in ci.top() if n not in ref_counts] if ri.exact else []
    unseen_count = float(sum(c for _, c in unseen))
    other_ref = max(nr - sum(ref_out), 0.0)
    other_cur = max(nc - sum(cur_out) - unseen_count, 0.0)
    errs_ref = [er if er else 0.0] * len(labels)
    errs_cur = [ec if ec else 0.0] * len(labels)
    if other_ref > 0 or other_cur > 0:
        labels.append(OTHER)
        ref_out.append(other_ref)
        cur_out.append(other_cur)
        errs_ref.append(min(er * (len(labels) - 1), nr))
        errs_cur.append(min(ec * (len(labels) - 1), nc))
    extra: dict[str, Any] = {}
    if unseen:
        labels.append(UNSEEN)
        ref_out.append(0.0)
        cur_out.append(unseen_count)
        errs_ref.append(0.0)
        errs_cur.append(min(ec * len(unseen), nc))
        extra = {
            "unseen_count": int(unseen_count),
            "unseen_share": unseen_count / max(nc, 1.0),
            "unseen_categories": len(unseen),
            "unseen_examples": [str(n) for n, _ in unseen[:5]],
        }
    return Binned(
        labels,
        np.asarray(ref_out, dtype=np.float64),
        np.asarray(cur_out, dtype=np.float64),
        np.asarray(errs_ref, dtype=np.float64),
        np.asarray(errs_cur, dtype=np.float64),
        extra,
    )
