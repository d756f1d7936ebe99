"""Null distributions of effect sizes: p-values and critical values at given sample sizes.

All are asymptotic and cheap (closed forms from ``scipy.special``), so thresholds cost
nothing per column:

- :class:`KolmogorovNull`: ``sqrt(n_eff) * D`` follows the Kolmogorov distribution,
  with ``n_eff = n * m / (n + m)`` and Stephens' small-sample correction
  ``(sqrt(n_eff) + 0.12 + 0.11 / sqrt(n_eff)) * D``. With ties the test is conservative.
- :class:`ChiSquareNull`: ``scale * effect**power ~ chi2(df)``. Pearson's
  ``n_eff * w**2``, PSI (``n_eff * PSI``, Jeffreys divergence) and Jensen-Shannon
  (``8 * n_eff * JS``) all share this limit, since each is ``sum (p - q)**2 / pi`` to
  second order.
- :class:`NormalNull`: ``effect / se ~ N(0, 1)``, one or two sided.
- :class:`GammaNull`: a positive statistic with known null mean and sd (the
  Wasserstein distance), approximated by the gamma law with those moments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

__all__ = [
    "ChiSquareNull",
    "GammaNull",
    "KolmogorovNull",
    "NormalNull",
    "n_effective",
]


def n_effective(n: int, m: int) -> float:
    """The effective sample size ``n * m / (n + m)`` of a two-sample comparison."""
    return n * m / (n + m) if n > 0 and m > 0 else 0.0


def _clip(p: float) -> float:
    return min(max(float(p), 0.0), 1.0)


@dataclass(frozen=True)
class KolmogorovNull:
    """Two-sample Kolmogorov-Smirnov distance ``D`` (module notes)."""

    n_eff: float

    @property
    def _scale(self) -> float:
        root = math.sqrt(self.n_eff)
        return root + 0.12 + 0.11 / root

    def p_value(self, effect: float) -> float:
        return _clip(special.kolmogorov(self._scale * effect)) if effect > 0 else 1.0

    def critical(self, alpha: float) -> float:
        return float(special.kolmogi(alpha)) / self._scale


@dataclass(frozen=True)
class ChiSquareNull:
    """``scale * effect**power`` is chi-square with ``df`` degrees of freedom."""

    df: int
    scale: float
    power: float = 1.0

    def p_value(self, effect: float) -> float:
        if self.df < 1 or effect <= 0:
            return 1.0
        return _clip(special.chdtrc(self.df, self.scale * effect**self.power))

    def critical(self, alpha: float) -> float:
        if self.df < 1:
            return 0.0  # one bucket only: both sides are identical
        return float((special.chdtri(self.df, alpha) / self.scale) ** (1.0 / self.power))


@dataclass(frozen=True)
class NormalNull:
    """``effect / se`` is standard normal; ``two_sided`` tests ``|effect|``."""

    se: float
    two_sided: bool = True

    def p_value(self, effect: float) -> float:
        if self.se <= 0:
            return 0.0 if effect > 0 else 1.0
        z = effect / self.se
        if self.two_sided:
            return _clip(math.erfc(abs(z) / math.sqrt(2.0)))
        return _clip(0.5 * math.erfc(z / math.sqrt(2.0)))

    def critical(self, alpha: float) -> float:
        level = alpha / 2.0 if self.two_sided else alpha
        return float(-special.ndtri(level)) * max(self.se, 0.0)


@dataclass(frozen=True)
class GammaNull:
    """A positive effect with null ``mean`` and ``sd``, approximated by the gamma
    distribution with those two moments (Satterthwaite-Welch style)."""

    mean: float
    sd: float

    @property
    def _shape_scale(self) -> tuple[float, float]:
        return (self.mean / self.sd) ** 2, self.sd**2 / self.mean

    def p_value(self, effect: float) -> float:
        if effect <= 0:
            return 1.0
        if self.mean <= 0 or self.sd <= 0:
            return 0.0
        shape, scale = self._shape_scale
        return _clip(special.gammaincc(shape, effect / scale))

    def critical(self, alpha: float) -> float:
        if self.mean <= 0 or self.sd <= 0:
            return 0.0
        shape, scale = self._shape_scale
        return float(scale * special.gammainccinv(shape, alpha))
