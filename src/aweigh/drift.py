"""``aweigh.drift``: has the data changed since the model was trained?

``compare(reference, current)`` tests every column of ``current`` against
``reference`` and returns a :class:`DriftReport`: one :class:`DriftResult` per check
(statistic, effect size, p-value, threshold, decision, a plain-English reason), the list
of every drifted column and a one-line summary that names each of them. Either side may
be a pandas DataFrame, a pyarrow Table, a training ``Profile``, a :class:`WindowSketch`,
or a path to a CSV (optionally gzipped), Parquet, profile JSON or window-sketch JSON
file. Decisions use effect sizes with sample-size-aware thresholds and Holm's
correction across columns, so a million unchanged rows raise no alarm while a real
0.3-sd shift in a thousand rows does; :mod:`aweigh.monitor.drift` documents the rule.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(42)
>>> train = pd.DataFrame({"age": rng.normal(40, 10, 5_000), "plan": rng.choice(["a", "b"], 5_000)})
>>> live = pd.DataFrame({"age": rng.normal(43, 10, 1_000), "plan": rng.choice(["a", "b"], 1_000)})
>>> report = compare(train, live)
>>> report.summary
'1 of 2 columns drifted: age.'

For windows of events, sketch once and merge (constant memory, one pass)::

    window = WindowSketch()
    for batch in batches:
        window.update(batch)
    compare(WindowSketch.from_profile(training_profile), window)

and for one stream, ``StreamingDrift(reference_sketch, window=1000)`` in river's shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.data.profile import Profile
from aweigh.monitor.drift import (
    ColumnSketch,
    DriftReport,
    DriftResult,
    StreamingDrift,
    WindowSketch,
    compare_labels,
    compare_predictions,
)
from aweigh.monitor.drift import compare as _compare

__all__ = [
    "SUFFIXES",
    "ColumnSketch",
    "DriftReport",
    "DriftResult",
    "StreamingDrift",
    "WindowSketch",
    "compare",
    "compare_labels",
    "compare_predictions",
    "read",
]

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq", ".json")


def read(path: str | Path) -> pa.Table | Profile | WindowSketch:
    """A CSV/Parquet file as an Arrow table, or a profile / window-sketch JSON file."""
    where = Path(path)
    shown = repr(str(where))
    if not where.exists():
        raise InvalidInputError(f"No file at {shown}. Check the path.")
    if not where.is_file():
        raise InvalidInputError(f"{shown} is not a file. Give a CSV, Parquet or JSON file.")
    name = where.name.lower()
    if not name.endswith(SUFFIXES):
        raise InvalidInputError(f"Cannot read {shown}: use a file ending in {', '.join(SUFFIXES)}.")
    if name.endswith(".json"):
        return _read_json(where, shown)
    try:
        if name.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            return pq.read_table(where)
        import pyarrow.csv as pcsv

        # empty text is missing, as pandas reads it
        options = pcsv.ConvertOptions(strings_can_be_null=True)
        return pcsv.read_csv(where, convert_options=options)
    except pa.ArrowInvalid as exc:
        message = str(exc).splitlines()[0][:200]
        if "Empty CSV file" in message:
            raise InvalidInputError(f"{shown} is empty: it has no header and no rows.") from exc
        kind = "CSV" if ".csv" in name else "Parquet"
        raise InvalidInputError(
            f"Cannot parse {shown} as {kind}: {message}. Check the file's format."
        ) from exc
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {shown}: {exc}.") from exc


def _read_json(where: Path, shown: str) -> Profile | WindowSketch:
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{shown} is not valid JSON ({exc}).") from exc
    try:
        if isinstance(data, dict) and data.get("type") == "window_sketch":
            return WindowSketch.from_dict(data)
        if isinstance(data, dict) and data.get("format") == "aweigh.profile":
            return Profile.from_dict(data)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{shown}: {exc.message}") from exc
    raise InvalidInputError(
        f"{shown} is neither an aweigh profile nor a window sketch (save one with "
        "Profile.to_json() or WindowSketch.to_json())."
    )


def _load(data: Any) -> Any:
    return read(data) if isinstance(data, str | Path) else data


def compare(reference: Any, current: Any, **options: Any) -> DriftReport:
    """Test ``current`` against ``reference`` for drift (tables, profiles, sketches or
    file paths); ``options`` are those of :func:`aweigh.monitor.drift.compare`."""
    return _compare(_load(reference), _load(current), **options)
