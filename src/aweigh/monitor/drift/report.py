"""``DriftReport``: every verdict of one comparison, drifted ones first, never summarised away.

``dataset_drift`` is true as soon as any check drifted (no share-of-columns rule that
could hide a drifted column), ``drifted`` lists every drifted column and ``summary``
names each of them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.monitor.drift.base import DriftResult

__all__ = ["MULTIVARIATE", "DriftReport", "sort_results"]

#: the ``column`` of results that look at all features together
MULTIVARIATE = "*"
_SHOWN_UNTESTED = 10
_NAMES = {"domain_classifier": "domain classifier", "pca": "PCA"}


def sort_results(results: list[DriftResult]) -> tuple[DriftResult, ...]:
    """Drifted first, then by ``margin`` (effect over threshold) descending, untested last."""

    def key(result: DriftResult) -> tuple[int, int, float, str, str]:
        margin = result.margin
        return (
            0 if result.drifted else 1,
            0 if result.tested else 1,
            -margin if math.isfinite(margin) else math.inf,
            result.column,
            result.method,
        )

    return tuple(sorted(results, key=key))


@dataclass(frozen=True)
class DriftReport:
    """The outcome of ``compare(reference, current)`` (module notes)."""

    results: tuple[DriftResult, ...]
    columns: tuple[str, ...]
    n_reference: int
    n_current: int
    alpha: float

    @property
    def drifted(self) -> list[str]:
        """Every drifted column, most drifted first (multivariate checks not included)."""
        out: list[str] = []
        for result in self.results:
            if result.drifted and result.column != MULTIVARIATE and result.column not in out:
                out.append(result.column)
        return out

    @property
    def dataset_drift(self) -> bool:
        """True if any check drifted, a column or a multivariate one."""
        return any(result.drifted for result in self.results)

    @property
    def untested(self) -> list[str]:
        """Columns no test could judge (too few rows, all missing, new, skipped)."""
        tested = {r.column for r in self.results if r.tested}
        return [c for c in self.columns if c not in tested]

    @property
    def summary(self) -> str:
        """One line naming every drifted column."""
        drifted = self.drifted
        total = len(self.columns)
        if drifted:
            text = f"{len(drifted)} of {total} columns drifted: {', '.join(drifted)}"
        elif self.untested and len(self.untested) == total:
            reasons = {r.reason for r in self.results if r.column in self.columns}
            why = reasons.pop() if len(reasons) == 1 else "see each column's reason"
            return f"No column could be tested ({why})."
        else:
            text = f"No drift in {total - len(self.untested)} tested columns"
        untested = self.untested
        if untested:
            shown = ", ".join(untested[:_SHOWN_UNTESTED])
            more = f" and {len(untested) - _SHOWN_UNTESTED} more" if len(untested) > 10 else ""
            text += f"; {len(untested)} not tested: {shown}{more}"
        moved = [_NAMES.get(r.method, r.method) for r in self._multivariate if r.drifted]
        if moved:
            text += f"; multivariate drift: the {' and the '.join(moved)} check"
            text += "s see it" if len(moved) > 1 else " sees it"
        return text + "."

    @property
    def _multivariate(self) -> list[DriftResult]:
        return [r for r in self.results if r.column == MULTIVARIATE]

    def for_column(self, column: str) -> list[DriftResult]:
        """The results about one column."""
        found = [r for r in self.results if r.column == column]
        if not found:
            raise InvalidInputError(
                f"The report has no column {column!r}; it has {list(self.columns)[:20]}."
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "drifted": self.drifted,
            "summary": self.summary,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "alpha": self.alpha,
            "columns": list(self.columns),
            "results": [r.to_dict() for r in self.results],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)
