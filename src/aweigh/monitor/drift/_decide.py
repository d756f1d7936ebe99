"""From measurements to verdicts: Holm across a family, thresholds, one-line reasons.

For a family of ``m`` tests at family-wise level ``alpha`` (Holm 1979): order the tests
by the p-value of their conservative effect (effect less sketch error); the i-th
(from 0) is tested at ``alpha / (m - i)`` until the first one that fails; that one and
all after it are held at the level where the procedure stopped. Each test's threshold
is ``max(min_effect, critical value of its null at its level)`` and it drifted iff
``effect - approx_error >= threshold``. The min-effect floor only removes rejections,
so the family-wise false-alarm rate stays at most ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift.base import METHODS, MIN_EFFECT, MIN_ROWS, DriftResult, Measurement
from aweigh.monitor.drift.sketch import ColumnSketch

__all__ = [
    "check_alpha",
    "check_min_effect",
    "decide",
    "decide_one",
    "not_tested",
    "run_detector",
    "screen",
]


def check_alpha(alpha: Any, where: str) -> float:
    """``alpha`` if it is a probability in (0, 0.5], else a clear error."""
    ok = isinstance(alpha, int | float) and not isinstance(alpha, bool)
    if not ok or not 0 < alpha <= 0.5:
        raise InvalidInputError(
            f"The 'alpha' parameter of {where} must be a number in (0, 0.5]. Got {alpha!r} instead."
        )
    return float(alpha)


def check_min_effect(value: Any, where: str) -> dict[str, float]:
    """Default minimum effects updated with ``value`` (a dict method -> effect > 0)."""
    out = dict(MIN_EFFECT)
    if value is None:
        return out
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            f"The 'min_effect' parameter of {where} must be a dict from method to a number "
            f"> 0, e.g. {{'ks': 0.05}}. Got {type(value).__name__} instead."
        )
    for method, effect in value.items():
        if method not in METHODS:
            raise InvalidInputError(
                f"The 'min_effect' parameter of {where} names an unknown method {method!r}; "
                f"methods are {list(METHODS)}."
            )
        number = isinstance(effect, int | float) and not isinstance(effect, bool)
        if not number or not 0 < effect < math.inf:
            raise InvalidInputError(
                f"The 'min_effect' for {method!r} must be a number > 0. Got {effect!r} instead."
            )
        out[method] = float(effect)
    return out


def _g(x: float) -> str:
    return f"{x:.3g}"


def _reason(m: Measurement, threshold: float, critical: float, level: float, floor: float) -> str:
    shown = f"{m.label} {_g(m.effect)}{m.unit}"
    if m.approx_error > 0:
        shown += f" (less sketch error {_g(m.approx_error)})"
    verdict = ">=" if m.conservative >= threshold else "<"
    return (
        f"{shown} {verdict} {_g(threshold)}{m.unit} (critical {_g(critical)} at alpha "
        f"{level:.2g}, min effect {_g(floor)}; n={m.n_reference:,} vs {m.n_current:,})"
    )


def decide(
    measurements: Sequence[Measurement], *, alpha: float, min_effect: Mapping[str, float]
) -> list[DriftResult]:
    """Verdicts for a family of tests, in the order given (module notes)."""
    count = len(measurements)
    conservative = [m.conservative for m in measurements]
    p_values = [m.null.p_value(c) for m, c in zip(measurements, conservative, strict=True)]
    order = sorted(
        range(count),
        key=lambda i: (p_values[i], -conservative[i], measurements[i].column),
    )
    levels = [0.0] * count
    criticals = [0.0] * count
    stopped: float | None = None
    for rank, i in enumerate(order):
        level = alpha / (count - rank) if stopped is None else stopped
        critical = measurements[i].null.critical(level)
        if stopped is None and not conservative[i] >= critical:
            stopped = level
        levels[i], criticals[i] = level, critical
    results = []
    for i, m in enumerate(measurements):
        floor = min_effect.get(m.method, MIN_EFFECT.get(m.method, 0.0))
        threshold = max(floor, criticals[i])
        results.append(
            DriftResult(
                column=m.column,
                method=m.method,
                kind=m.kind,
                statistic=m.statistic,
                effect=m.effect,
                effect_name=m.effect_name,
                p_value=p_values[i],
                threshold=threshold,
                alpha=levels[i],
                drifted=bool(conservative[i] >= threshold),
                n_reference=m.n_reference,
                n_current=m.n_current,
                approx_error=m.approx_error,
                reason=_reason(m, threshold, criticals[i], levels[i], floor),
                detail={**m.detail, "min_effect": floor, "critical": criticals[i]},
            )
        )
    return results


def decide_one(
    measurement: Measurement, *, alpha: float = 0.01, min_effect: float | None = None
) -> DriftResult:
    """The verdict of one test on its own (no multiplicity correction)."""
    level = check_alpha(alpha, "a drift detector")
    floors = check_min_effect(
        None if min_effect is None else {measurement.method: min_effect}, "a drift detector"
    )
    return decide([measurement], alpha=level, min_effect=floors)[0]


def screen(reference: ColumnSketch, current: ColumnSketch) -> str | None:
    """Why a distribution test cannot run on these sketches, or None if it can."""
    if current.rows == 0:
        return "not enough data: the current window has no rows"
    if reference.rows == 0:
        return "not enough data: the reference has no rows"
    if current.n == 0:
        return "all values missing in current"
    if reference.n == 0:
        return "all values missing in reference: nothing to compare with"
    for side, sketch in (("current", current), ("reference", reference)):
        if sketch.n < MIN_ROWS:
            return (
                f"too few rows: {sketch.n:,} non-missing values in {side}, need at least {MIN_ROWS}"
            )
    return None


def not_tested(
    column: str,
    method: str,
    kind: str,
    reason: str,
    *,
    n_reference: int = 0,
    n_current: int = 0,
    effect_name: str = "",
    detail: Mapping[str, Any] | None = None,
) -> DriftResult:
    """A result for a check that could not run: NaN statistics, not drifted, the reason."""
    return DriftResult(
        column=column,
        method=method,
        kind=kind,
        statistic=math.nan,
        effect=math.nan,
        effect_name=effect_name,
        p_value=None,
        threshold=math.nan,
        alpha=None,
        drifted=False,
        n_reference=n_reference,
        n_current=n_current,
        approx_error=0.0,
        reason=reason,
        detail=dict(detail or {}),
    )


def run_detector(
    measure: Callable[[str, ColumnSketch, ColumnSketch], Measurement],
    method: str,
    reference: ColumnSketch,
    current: ColumnSketch,
    *,
    alpha: float,
    min_effect: float | None,
    column: str,
) -> DriftResult:
    """One detector on two sketches: a verdict, or a not-tested result saying why."""
    for side, sketch in (("reference", reference), ("current", current)):
        if not isinstance(sketch, ColumnSketch):
            raise InvalidInputError(
                f"The {method} detector takes ColumnSketch objects; the {side} is "
                f"{type(sketch).__name__}. Build one with ColumnSketch(kind).update(values)."
            )
    why = screen(reference, current)
    if why is not None:
        kind = "numeric" if reference.kind in ("numeric", "datetime") else "categorical"
        return not_tested(column, method, kind, why, n_reference=reference.n, n_current=current.n)
    return decide_one(measure(column, reference, current), alpha=alpha, min_effect=min_effect)
