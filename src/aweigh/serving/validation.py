"""Online validation of request rows against the served version's data contract.

The contract is compiled once per loaded version (``aweigh.data.online``). ``reject``
violations answer 422 naming row, column, value and rule; ``warn`` violations are
served, counted in ``/metrics`` by column and rule, and flagged on the row's event.
"""

from __future__ import annotations

from typing import Any

from aweigh.core.errors import InvalidInputError
from aweigh.serving.metrics import ServingMetrics
from aweigh.serving.pool import Served

MAX_LISTED = 50


def check_rows(
    served: Served, metrics: ServingMetrics, columns: dict[str, list[Any]], rows: int
) -> tuple[dict[str, list[Any]], dict[int, tuple[str, ...]] | None]:
    """Coerced columns and per-row warning flags; raises 422 for rejected rows."""
    validator = served.validator
    if validator is None:
        return columns, None
    result = validator.validate(columns, rows)
    if not result.violations:
        return result.columns, None
    model, version = served.version.model_name, str(served.version.version)
    counter = metrics.violations
    for v in result.violations:
        counter.labels(model, version, v.column, v.rule, v.policy).inc()
    if result.rejected_rows:
        rejected = [v for v in result.violations if v.policy == "reject"]
        first = rejected[0]
        raise InvalidInputError(
            f"{len(result.rejected_rows)} row(s) break the contract of {served.version.ref}; "
            f"first: row {first.row}: {first.message}. Fix the values or ask the model's "
            "owner to review the contract.",
            {
                "errors": [v.to_dict() for v in rejected[:MAX_LISTED]],
                "rejected_rows": sorted(result.rejected_rows)[:MAX_LISTED],
            },
        )
    flags: dict[int, list[str]] = {}
    for v in result.violations:
        flags.setdefault(v.row, []).append(f"{v.column}:{v.rule}")
    return result.columns, {row: tuple(f) for row, f in flags.items()}
