"""Small helpers the univariate detectors share: argument checks and numeric summaries."""

from __future__ import annotations

from typing import Any

import numpy as np

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = ["numeric_summary", "require"]

_SUMMARY_RANKS = (0.05, 0.25, 0.5, 0.75, 0.95)


def require(sketch: Any, kinds: tuple[str, ...], method: str, side: str) -> ColumnSketch:
    """``sketch`` if it is a ColumnSketch of one of ``kinds`` with data, else a clear error."""
    if not isinstance(sketch, ColumnSketch):
        raise InvalidInputError(
            f"The {method} detector takes ColumnSketch objects; the {side} is "
            f"{type(sketch).__name__}. Build one with ColumnSketch(kind).update(values)."
        )
    if sketch.kind not in kinds:
        raise InvalidInputError(
            f"The {method} detector compares {' or '.join(kinds)} columns; the {side} "
            f"sketch is {sketch.kind}."
        )
    if sketch.n == 0:
        raise InvalidInputError(f"The {side} sketch has no values to compare.")
    return sketch


def numeric_summary(sketch: ColumnSketch) -> dict[str, float]:
    """Mean, standard deviation and five quantiles, for reports."""
    assert sketch.quantiles is not None
    assert sketch.moments is not None
    values = sketch.quantiles.quantiles(_SUMMARY_RANKS)
    out = {f"p{round(q * 100):02d}": float(v) for q, v in zip(_SUMMARY_RANKS, values, strict=True)}
    out["mean"] = float(sketch.moments.mean)
    std = sketch.moments.std
    out["std"] = float(std) if np.isfinite(std) else 0.0
    return out
