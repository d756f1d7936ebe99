"""Training sets from the event log, with consent and children respected.

:meth:`EventLog.export_training` joins each prediction with its label (the latest
feedback event with the same ``request_id`` and ``row``) and keeps a row only when:

* the prediction's ``purposes`` includes the purpose asked for (``"training"`` by
  default). ``purposes`` None means no consent was recorded, and such rows are
  excluded, as is an empty tuple: no recorded consent is no consent;
* the prediction's ``child`` is not True, unless ``allow_children`` (a purpose that
  the law allows for children's data). ``child`` None (unknown) is not a child.

The outcome says how many rows were excluded and why. The reasons do not overlap:
a row without consent counts as ``no_consent`` whether or not it is a child's.
Predictions with no label yet are not a training row and are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from aweigh.core.errors import InvalidInputError

__all__ = ["EXPORT_COLUMNS", "ExportOutcome", "check_purpose", "export_queries"]

EXPORT_COLUMNS = (
    "request_id",
    "row",
    "model",
    "version",
    "ts",
    "date",
    "inputs",
    "output",
    "proba",
    "latency_ms",
    "subject_id",
    "flags",
    "purposes",
    "child",
    "label",
    "label_ts",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportOutcome:
    """A training set and what was left out of it.

    ``table`` has :data:`EXPORT_COLUMNS`: the prediction's columns, its ``label``
    (JSON text, like ``output``) and ``label_ts``, ordered by ``ts``. ``excluded_no_consent``
    counts labelled rows whose ``purposes`` lacks ``purpose`` (or is null);
    ``excluded_child`` labelled rows of children (with consent) left out because
    ``allow_children`` was False; ``unlabelled`` predictions without feedback.
    """

    table: pa.Table
    purpose: str
    allow_children: bool
    excluded_no_consent: int
    excluded_child: int
    unlabelled: int

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)

    @property
    def excluded_children(self) -> int:
        """Same as :attr:`excluded_child`."""
        return self.excluded_child

    @property
    def excluded(self) -> dict[str, int]:
        """Excluded rows by reason: ``{"no_consent": n, "child": m}``."""
        return {"no_consent": self.excluded_no_consent, "child": self.excluded_child}

    def summary(self) -> dict[str, Any]:
        """Counts only (no data), for the CLI and the audit log."""
        return {
            "purpose": self.purpose,
            "allow_children": self.allow_children,
            "rows": self.rows,
            "excluded": self.excluded,
            "unlabelled": self.unlabelled,
        }


def check_purpose(purpose: object) -> str:
    if not isinstance(purpose, str) or not purpose.strip():
        raise InvalidInputError(
            f"The export purpose must be a non-empty string such as 'training'. "
            f"Got {purpose!r} instead.",
            {"field": "purpose"},
        )
    return purpose


def export_queries(sql_filter: str | None) -> tuple[str, str]:
    """The SQL of the rows and of the counts, with ``$purpose`` and ``$allow`` to bind.

    ``sql_filter`` is a boolean SQL expression over the columns of the prediction
    events (e.g. ``model = 'adult' AND version = 3``); it runs through the same
    read-only guard as :meth:`EventLog.query`.
    """
    if sql_filter is not None and (not isinstance(sql_filter, str) or not sql_filter.strip()):
        raise InvalidInputError(
            "The export filter must be a non-empty SQL condition over the prediction "
            f"events (e.g. \"model = 'adult'\"), or None. Got {sql_filter!r} instead.",
            {"field": "sql_filter"},
        )
    where = "" if sql_filter is None else f" AND (\n{sql_filter}\n)"
    prediction_columns = ", ".join(f'"{c}"' for c in EXPORT_COLUMNS[:-2])
    common = f"""
WITH p AS (
    SELECT {prediction_columns} FROM events WHERE kind = 'prediction'{where}
),
f AS (
    SELECT request_id, "row", arg_max(label, ts) AS label, max(ts) AS label_ts
    FROM events WHERE kind = 'feedback' GROUP BY request_id, "row"
),
j AS (
    SELECT p.*, f.label, f.label_ts,
        CASE
            WHEN p.purposes IS NULL OR NOT list_contains(p.purposes, $purpose) THEN 'no_consent'
            WHEN p.child IS TRUE AND NOT $allow THEN 'child'
        END AS excluded
    FROM p JOIN f USING (request_id, "row")
)"""
    columns = ", ".join(f'"{c}"' for c in EXPORT_COLUMNS)
    rows = f"{common}\nSELECT {columns} FROM j WHERE excluded IS NULL ORDER BY ts, request_id, row"
    counts = f"""{common}
SELECT
    count(*) FILTER (WHERE excluded = 'no_consent') AS no_consent,
    count(*) FILTER (WHERE excluded = 'child') AS child,
    (SELECT count(*) FROM p ANTI JOIN f USING (request_id, "row")) AS unlabelled
FROM j"""
    return rows, counts
