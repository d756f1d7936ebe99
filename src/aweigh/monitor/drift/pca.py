"""PCA reconstruction error: do current rows still fit the reference's correlations?

On numeric columns only: a seeded sample of at most 20,000 reference rows is split in
half; one half fits the standardisation (mean, sd) and a PCA keeping the fewest
components that explain 90% of the variance (at most d - 1); the other half is held
out. Each row's error is its mean squared residual after projecting on those
components (missing values imputed at the mean). A current window whose rows break
the reference's correlation structure reconstructs worse.

The effect is the relative increase of the mean error over the held-out reference,
``mean_current / mean_held_out - 1``. Its threshold comes from the held-out rows: with
their error sd ``s``, the difference of means has standard error
``s * sqrt(1 / n_current + 1 / n_held_out)`` when nothing changed (one-sided normal
null); the floor is a 10% increase.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from aweigh.monitor.drift._features import features
from aweigh.monitor.drift._nulls import NormalNull
from aweigh.monitor.drift.base import MIN_ROWS, Measurement
from aweigh.monitor.drift.report import MULTIVARIATE

__all__ = ["EXPLAINED", "MAX_ROWS", "measure"]

FloatArray = npt.NDArray[np.float64]
MAX_ROWS = 20_000
EXPLAINED = 0.9
_TOP = 5


def _errors(x: FloatArray, centre: FloatArray, scale: FloatArray, basis: FloatArray) -> FloatArray:
    z = (x - centre) / scale
    z = np.where(np.isfinite(z), z, 0.0)
    residual = z - (z @ basis.T) @ basis
    return np.asarray(residual**2, dtype=np.float64)


def measure(
    reference: pa.Table,
    current: pa.Table,
    columns: Sequence[str],
    kinds: Mapping[str, str],
    *,
    seed: int = 42,
) -> Measurement | str:
    """The relative increase of the PCA reconstruction error, or why it cannot run."""
    numeric = [c for c in columns if kinds.get(c) == "numeric"]
    if len(numeric) < 2:
        return "the PCA check needs at least 2 numeric columns"
    data = features(reference, current, numeric, kinds, max_rows=MAX_ROWS, seed=seed)
    rng = np.random.default_rng(seed + 1)
    order = rng.permutation(len(data.ref))
    fit, held = data.ref[order[: order.size // 2]], data.ref[order[order.size // 2 :]]
    if min(len(fit), len(held), len(data.cur)) < MIN_ROWS:
        return f"too few rows for the PCA check: it needs {MIN_ROWS} per part"
    with np.errstate(invalid="ignore"):
        centre = np.nan_to_num(np.nanmean(np.where(np.isfinite(fit), fit, np.nan), axis=0))
        spread = np.nan_to_num(np.nanstd(np.where(np.isfinite(fit), fit, np.nan), axis=0))
    scale = np.where(spread > 0, spread, 1.0)
    z = np.where(np.isfinite((fit - centre) / scale), (fit - centre) / scale, 0.0)
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    share = np.cumsum(singular**2) / max(float(np.sum(singular**2)), 1e-300)
    keep = min(int(np.searchsorted(share, EXPLAINED) + 1), len(numeric) - 1)
    basis = vt[:keep]
    held_err = _errors(held, centre, scale, basis)
    cur_err = _errors(data.cur, centre, scale, basis)
    held_rows, cur_rows = held_err.mean(axis=1), cur_err.mean(axis=1)
    base = max(float(held_rows.mean()), 1e-12)
    mean_cur = float(cur_rows.mean())
    se = float(held_rows.std(ddof=1)) * math.sqrt(1.0 / len(cur_rows) + 1.0 / len(held_rows))
    increase = cur_err.mean(axis=0) - held_err.mean(axis=0)
    top = [
        {"column": numeric[j], "error_increase": float(increase[j])}
        for j in np.argsort(-increase, kind="stable")[:_TOP]
        if increase[j] > 0
    ]
    return Measurement(
        column=MULTIVARIATE,
        method="pca",
        kind="multivariate",
        statistic=mean_cur,
        effect=mean_cur / base - 1.0,
        effect_name="relative_error_increase",
        label="PCA reconstruction error increase",
        null=NormalNull(se / base, two_sided=False),
        n_reference=len(held_rows),
        n_current=len(cur_rows),
        detail={
            "components": keep,
            "columns": len(numeric),
            "held_out_error": base,
            "current_error": mean_cur,
            "top_features": top,
        },
    )
