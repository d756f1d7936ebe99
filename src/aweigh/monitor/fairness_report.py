"""Result types of a fairness table: per-group metrics, per-attribute gaps, the report.

All are frozen dataclasses with ``to_dict()`` giving plain JSON types (NaN becomes
``None``, tuples become lists) so a report can be stored, sent or rendered as is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from aweigh.core.errors import NotFoundError

__all__ = [
    "FOUR_FIFTHS",
    "AttributeDisparity",
    "Estimate",
    "FairnessReport",
    "GroupMetrics",
    "plain",
]

#: The four-fifths (80 %) rule: the lowest group selection rate must be at least this
#: share of the highest.
FOUR_FIFTHS = 0.8
GROUP_METRICS = ("selection_rate", "tpr", "fpr", "precision", "accuracy")
DIFFERENCES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "tpr_difference",
    "fpr_difference",
)


def plain(value: Any) -> Any:
    """``value`` with NaN as None, numpy scalars as Python ones, tuples as lists."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its bootstrap interval (all NaN when undefined)."""

    value: float
    low: float
    high: float

    @property
    def ci(self) -> tuple[float, float]:
        return (self.low, self.high)

    def to_dict(self) -> dict[str, float | None]:
        return {"value": plain(self.value), "low": plain(self.low), "high": plain(self.high)}

    def __str__(self) -> str:
        if math.isnan(self.value):
            return "-"
        return f"{self.value:.3f} [{_fmt(self.low)}, {_fmt(self.high)}]"


@dataclass(frozen=True, slots=True)
class GroupMetrics:
    """One group of one attribute (``"sex"``) or intersection (``"sex&race"``).

    ``group`` is the attribute's value, or a tuple of values for an intersection.
    ``p_selection``/``p_tpr`` are Holm-adjusted p-values of the group against the rest of
    the population (NaN when not tested); ``flagged`` when either is below alpha.
    """

    attribute: str
    group: Any
    n: int
    n_labeled: int
    too_small: bool
    selection_rate: Estimate
    tpr: Estimate
    fpr: Estimate
    precision: Estimate
    accuracy: Estimate
    p_selection: float = math.nan
    p_tpr: float = math.nan
    flagged: bool = False

    @property
    def label(self) -> str:
        """``sex=Female`` or ``sex&race=Female&Black``."""
        values = self.group if isinstance(self.group, tuple) else (self.group,)
        return f"{self.attribute}={'&'.join(str(v) for v in values)}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attribute": self.attribute,
            "group": plain(self.group),
            "n": self.n,
            "n_labeled": self.n_labeled,
            "too_small": self.too_small,
            "p_selection": plain(self.p_selection),
            "p_tpr": plain(self.p_tpr),
            "flagged": self.flagged,
        }
        for name in GROUP_METRICS:
            out[name] = getattr(self, name).to_dict()
        return out


@dataclass(frozen=True, slots=True)
class AttributeDisparity:
    """Gaps between the judged groups of one attribute (groups below the minimum size are
    left out); ``four_fifths`` is None when fewer than two groups could be judged."""

    attribute: str
    groups: int
    judged: int
    demographic_parity_difference: Estimate
    demographic_parity_ratio: Estimate
    equalized_odds_difference: Estimate
    tpr_difference: Estimate
    fpr_difference: Estimate
    four_fifths: bool | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attribute": self.attribute,
            "groups": self.groups,
            "judged": self.judged,
            "four_fifths": self.four_fifths,
        }
        for name in DIFFERENCES:
            out[name] = getattr(self, name).to_dict()
        return out


@dataclass(frozen=True, slots=True)
class FairnessReport:
    """Fairness of one set of predictions: ``overall``, every group, every attribute's gaps."""

    n: int
    n_labeled: int
    positive: Any
    overall: GroupMetrics
    groups: tuple[GroupMetrics, ...]
    attributes: tuple[AttributeDisparity, ...]
    min_group_size: int
    n_boot: int
    confidence: float
    alpha: float
    correction: str = "holm"

    @property
    def flagged(self) -> tuple[GroupMetrics, ...]:
        """Groups whose selection rate or TPR differs from the rest after correction."""
        return tuple(g for g in self.groups if g.flagged)

    @property
    def failing(self) -> tuple[AttributeDisparity, ...]:
        """Attributes that break the four-fifths rule."""
        return tuple(a for a in self.attributes if a.four_fifths is False)

    @property
    def judged(self) -> bool:
        """Whether any attribute had two groups large enough to compare."""
        return any(a.four_fifths is not None for a in self.attributes)

    @property
    def passed(self) -> bool | None:
        """True/False when judged: no four-fifths failure and no flagged group."""
        if not self.judged:
            return None
        return not self.failing and not self.flagged

    def by_attribute(self, attribute: str) -> tuple[GroupMetrics, ...]:
        """The groups of one attribute (or intersection, ``"sex&race"``)."""
        return tuple(g for g in self.groups if g.attribute == attribute)

    def attribute(self, attribute: str) -> AttributeDisparity:
        """The gaps of one attribute; ``NotFoundError`` names the ones there are."""
        for item in self.attributes:
            if item.attribute == attribute:
                return item
        names = ", ".join(a.attribute for a in self.attributes)
        raise NotFoundError(f"No attribute {attribute!r} in this report; it has {names}.")

    def group(self, attribute: str, value: Any) -> GroupMetrics:
        """One group by attribute and value (a tuple for intersections)."""
        for item in self.by_attribute(attribute):
            if item.group == value:
                return item
        raise NotFoundError(
            f"No group {value!r} of {attribute!r} in this report; it has "
            f"{', '.join(repr(g.group) for g in self.by_attribute(attribute)) or 'none'}."
        )

    @property
    def summary(self) -> str:
        """One line: the verdict, naming every failing attribute and flagged group."""
        small = sum(g.too_small for g in self.groups)
        if not self.judged:
            return (
                f"fairness not judged: no attribute has two groups of at least "
                f"{self.min_group_size} rows ({self.n:,} rows, {small} groups too small)."
            )
        problems = [
            f"{a.attribute} fails four-fifths (ratio {a.demographic_parity_ratio})"
            for a in self.failing
        ]
        rate = self.overall.selection_rate.value
        problems += [
            f"{g.label} flagged (selection {_fmt(g.selection_rate.value)} vs "
            f"{_fmt(rate)} overall, TPR {_fmt(g.tpr.value)} vs {_fmt(self.overall.tpr.value)})"
            for g in self.flagged
        ]
        judged = sum(a.four_fifths is not None for a in self.attributes)
        head = (
            f"{self.n:,} rows, {judged} attributes judged, {len(self.groups)} groups "
            f"({small} too small), {self.correction} alpha {self.alpha:g}"
        )
        if problems:
            return f"fairness FAIL ({head}): " + "; ".join(problems) + "."
        return f"fairness pass ({head}): four-fifths held, no group flagged."

    def rows(self) -> list[dict[str, Any]]:
        """Flat records, one per group, for a table or an HTML report."""
        out = []
        for g in self.groups:
            row: dict[str, Any] = {
                "attribute": g.attribute,
                "group": g.label.partition("=")[2],
                "n": g.n,
                "n_labeled": g.n_labeled,
                "too_small": g.too_small,
            }
            for name in GROUP_METRICS:
                estimate = getattr(g, name)
                row[name] = plain(estimate.value)
                row[f"{name}_low"] = plain(estimate.low)
                row[f"{name}_high"] = plain(estimate.high)
            row.update(p_selection=plain(g.p_selection), p_tpr=plain(g.p_tpr), flagged=g.flagged)
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "n_labeled": self.n_labeled,
            "positive": plain(self.positive),
            "passed": self.passed,
            "summary": self.summary,
            "overall": self.overall.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "attributes": [a.to_dict() for a in self.attributes],
            "settings": {
                "min_group_size": self.min_group_size,
                "n_boot": self.n_boot,
                "confidence": self.confidence,
                "alpha": self.alpha,
                "correction": self.correction,
            },
        }
