"""What every drift check returns (:class:`DriftResult`) and the defaults it is judged by.

A detector measures one column (or the whole table) and hands back a
:class:`Measurement`: the statistic, its effect size, the effect's null distribution
for these sample sizes and the sketch error bound. :mod:`aweigh.monitor.drift._decide`
turns a family of measurements into :class:`DriftResult` values (multiplicity control,
thresholds, decision, one plain-English reason).

Default minimum effects are anchored on one change: a mean shift of 0.1 standard
deviations of a normal column (for categories: a chi-square distance ``w`` of 0.1,
which is about the same size, since PSI ~ w**2 and JS divergence ~ w**2 / 8). Smaller
changes never raise an alarm, however many rows there are; larger ones do once the
sample is big enough for the null critical value to fall below them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "KINDS",
    "METHODS",
    "MIN_EFFECT",
    "MIN_ROWS",
    "DriftResult",
    "Measurement",
    "Null",
    "plain",
]

#: what a result is about
KINDS = ("numeric", "categorical", "multivariate", "prediction", "label")

#: the effect below which no alarm is raised, per method (see the module notes)
MIN_EFFECT: dict[str, float] = {
    "ks": 0.04,  # KS distance of a 0.1-sd shift of a normal: 2 * Phi(0.05) - 1 = 0.040
    "psi": 0.01,  # PSI of a 0.1-sd shift on 10 quantile bins is 0.0095
    "wasserstein": 0.1,  # in reference standard deviations
    "jensen_shannon": 0.035,  # JS distance (natural log) of a 0.1-sd shift: 0.034
    "chi_square": 0.1,  # chi-square distance w of the two share vectors
    "missing_share": 0.1,  # Cohen's h of the missing shares (0% -> 0.25% is h = 0.1)
    "domain_classifier": 0.03,  # ROC AUC - 0.5 (one 0.1-sd shifted column gives 0.028)
    "pca": 0.1,  # relative increase of the mean reconstruction error
}

#: every method name ``compare`` and the detectors accept
METHODS = tuple(MIN_EFFECT)

#: fewest non-missing values per side before a distribution is tested
MIN_ROWS = 30


class Null(Protocol):
    """The null distribution of an effect size at the sample sizes of one comparison."""

    def p_value(self, effect: float) -> float:
        """Probability of an effect at least this large when nothing changed."""
        ...

    def critical(self, alpha: float) -> float:
        """The effect that a no-change comparison exceeds with probability ``alpha``."""
        ...


@dataclass(frozen=True)
class Measurement:
    """One detector's raw output before the family decision (internal to the package)."""

    column: str
    method: str
    kind: str
    statistic: float
    effect: float
    effect_name: str
    label: str  # how the reason names the effect, e.g. "KS distance"
    null: Null
    n_reference: int
    n_current: int
    approx_error: float = 0.0
    detail: Mapping[str, Any] = field(default_factory=dict)
    unit: str = ""  # appended to effect values in the reason, e.g. " sd"

    @property
    def conservative(self) -> float:
        """The effect less its sketch error bound: what decisions use."""
        return max(self.effect - self.approx_error, 0.0)


@dataclass(frozen=True)
class DriftResult:
    """The verdict of one drift check on one column (or the whole table for multivariate).

    ``threshold`` is on the effect scale, after multiplicity correction:
    ``max(min_effect, null critical value at alpha)``; ``drifted`` is
    ``effect - approx_error >= threshold``. ``p_value`` is that of the effect less its
    sketch error (None where no test ran); ``alpha`` is the per-test level after the
    Holm correction. Checks that could not run (too few rows, all values missing) have
    NaN statistics, ``drifted=False`` and say why in ``reason``.
    """

    column: str
    method: str
    kind: str
    statistic: float
    effect: float
    effect_name: str
    p_value: float | None
    threshold: float
    alpha: float | None
    drifted: bool
    n_reference: int
    n_current: int
    approx_error: float
    reason: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tested(self) -> bool:
        """Whether a test ran (False for "too few rows", missing columns and the like)."""
        return self.alpha is not None

    @property
    def margin(self) -> float:
        """``(effect - approx_error) / threshold``: above 1 means drifted (NaN if untested)."""
        if not self.tested or not self.threshold > 0:
            return math.nan
        return (self.effect - self.approx_error) / self.threshold

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; NaN and infinities become None."""
        return {
            "column": self.column,
            "method": self.method,
            "kind": self.kind,
            "statistic": plain(self.statistic),
            "effect": plain(self.effect),
            "effect_name": self.effect_name,
            "p_value": plain(self.p_value),
            "threshold": plain(self.threshold),
            "alpha": plain(self.alpha),
            "drifted": bool(self.drifted),
            "n_reference": int(self.n_reference),
            "n_current": int(self.n_current),
            "approx_error": plain(self.approx_error),
            "reason": self.reason,
            "detail": plain(dict(self.detail)),
        }


def plain(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers and NaN/inf as None, recursively."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    return str(value)
