"""Column and window sketches: what drift is computed on, in one pass and constant memory.

A :class:`ColumnSketch` holds one column as the mergeable sketches of
:mod:`aweigh.data.sketches`: for numbers (and datetimes, as epoch seconds) a KLL
:class:`~aweigh.data.sketches.QuantileSketch` plus :class:`~aweigh.data.sketches.Moments`;
for categories a Misra-Gries :class:`~aweigh.data.sketches.FrequentItems`; always the
row and missing counts. A :class:`WindowSketch` is one per column of a table.

Windows merge (hourly into daily) and round-trip through JSON; a training
:class:`~aweigh.data.profile.Profile` converts into a reference without its raw data
(:meth:`WindowSketch.from_profile`). Monitor sketches use ``k=2000`` (profiles use 200):
decisions subtract the sketch error bound, and at ``k=2000`` the bounds stay well below
the effect floors even for a million values arriving 1,000 at a time (measured: KS
0.002 of 0.04, PSI 0.0012 of 0.01, JS 0.011 of 0.035, Wasserstein 0.019 of 0.1 sd)
for about 6,000 kept values (~120 KB of JSON) per numeric column.
Categories are exact while a column has at most ``capacity`` (1,024) distinct values.

>>> import pandas as pd
>>> hour1 = WindowSketch.of(pd.DataFrame({"x": [1.0, 2.0], "plan": ["a", "b"]}))
>>> hour2 = WindowSketch.of(pd.DataFrame({"x": [3.0]}))
>>> day = hour1.merge(hour2)
>>> day.rows, day["plan"].missing, day.kinds
(3, 1, {'x': 'numeric', 'plan': 'categorical'})
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.data._tables import to_arrow
from aweigh.data.profile import Profile
from aweigh.monitor.drift._values import arrow_kind, check_kind
from aweigh.monitor.drift.column import DEFAULT_CAPACITY, DEFAULT_K, ColumnSketch

__all__ = ["DEFAULT_CAPACITY", "DEFAULT_K", "ColumnSketch", "WindowSketch"]


class WindowSketch:
    """One :class:`ColumnSketch` per column of a table, updated one batch at a time.

    ``kinds`` fixes column kinds (``{"zip": "categorical"}``); other columns take theirs
    from the first typed batch (integers and floats numeric, timestamps datetime,
    everything else categorical). A column absent from a batch counts as missing there.
    """

    def __init__(
        self,
        kinds: Mapping[str, str] | None = None,
        *,
        k: int = DEFAULT_K,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self._kinds = {str(n): check_kind(v, "WindowSketch") for n, v in (kinds or {}).items()}
        self._k, self._capacity = k, capacity
        self._columns: dict[str, ColumnSketch] = {}
        self._rows = 0

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._columns)

    @property
    def kinds(self) -> dict[str, str]:
        """Each column's kind."""
        return {name: column.kind for name, column in self._columns.items()}

    def __getitem__(self, name: str) -> ColumnSketch:
        try:
            return self._columns[name]
        except KeyError:
            raise InvalidInputError(
                f"The window has no column {name!r}; it has {list(self._columns)[:20]}."
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def update(self, data: Any) -> None:
        """Add a table: pandas/polars DataFrame, Arrow Table or RecordBatch, or a
        RecordBatchReader / iterable of those (read one batch at a time)."""
        if isinstance(data, pa.RecordBatchReader):
            for batch in data:
                self._add(pa.Table.from_batches([batch]))
            return
        if isinstance(data, list | tuple | Iterator) and not _is_table(data):
            for part in data:  # batches, one at a time
                self.update(part)
            return
        self._add(to_arrow(data, what="The window"))

    def _add(self, table: pa.Table) -> None:
        rows = table.num_rows
        for name, column in self._columns.items():
            if name not in table.column_names:
                column.add_missing(rows)
        for name, values in zip(table.column_names, table.columns, strict=True):
            sketch = self._columns.get(name)
            if sketch is None:
                kind = self._kinds.get(name) or arrow_kind(values.type)
                sketch = ColumnSketch(kind, k=self._k, capacity=self._capacity)
                sketch.add_missing(self._rows)
                self._columns[name] = sketch
            sketch.update(values)
        self._rows += rows

    def merge(self, other: WindowSketch) -> WindowSketch:
        """The window of both (columns matched by name; absent means missing)."""
        if not isinstance(other, WindowSketch):
            raise InvalidInputError(f"Cannot merge a WindowSketch with {type(other).__name__}.")
        out = WindowSketch({**other._kinds, **self._kinds}, k=self._k, capacity=self._capacity)
        out._rows = self._rows + other._rows
        for name in list(self._columns) + [n for n in other._columns if n not in self._columns]:
            a, b = self._columns.get(name), other._columns.get(name)
            if a is None or b is None:
                present = a if a is not None else b
                assert present is not None
                merged = ColumnSketch.from_dict(present.to_dict())
                merged.add_missing(other._rows if b is None else self._rows)
                out._columns[name] = merged
            else:
                out._columns[name] = a.merge(b)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "window_sketch",
            "format_version": 1,
            "rows": self._rows,
            "k": self._k,
            "capacity": self._capacity,
            "kinds": dict(self._kinds),
            "columns": [{"name": n, **c.to_dict()} for n, c in self._columns.items()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> WindowSketch:
        if not isinstance(data, Mapping) or data.get("type") != "window_sketch":
            raise InvalidInputError("A window sketch must be a mapping with type 'window_sketch'.")
        if data.get("format_version") != 1:
            raise InvalidInputError(
                f"The window sketch has format_version {data.get('format_version')!r}; "
                "this aweigh reads version 1."
            )
        numbers_ok = all(
            isinstance(data.get(key), int) and not isinstance(data.get(key), bool)
            for key in ("rows", "k", "capacity")
        )
        if not numbers_ok or not isinstance(data.get("columns"), list):
            raise InvalidInputError(
                "A window sketch needs whole numbers 'rows', 'k', 'capacity' and a 'columns' list."
            )
        out = cls(data.get("kinds") or {}, k=data["k"], capacity=data["capacity"])
        out._rows = data["rows"]
        for item in data["columns"]:
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise InvalidInputError("Each column of a window sketch needs a 'name'.")
            out._columns[item["name"]] = ColumnSketch.from_dict(item)
        return out

    @classmethod
    def from_json(cls, text: str | bytes) -> WindowSketch:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(f"The window sketch is not valid JSON ({exc}).") from exc
        return cls.from_dict(data)

    @classmethod
    def from_profile(
        cls,
        profile: Profile,
        *,
        columns: Iterable[str] | None = None,
        categorical: Iterable[str] = (),
    ) -> WindowSketch:
        """A reference window from a training :class:`Profile` (no raw data needed).

        ``columns`` picks columns (default: all); those named in ``categorical`` are
        read as categories even if numeric.
        """
        if not isinstance(profile, Profile):
            raise InvalidInputError(f"from_profile takes a Profile. Got {type(profile).__name__}.")
        names = list(profile.columns) if columns is None else list(columns)
        absent = [n for n in names if n not in profile.columns]
        if absent:
            raise InvalidInputError(
                f"The profile has no columns {absent[:10]}; it has {list(profile.columns)[:20]}."
            )
        forced = set(categorical)
        out = cls({name: "categorical" for name in forced if name in names})
        out._rows = profile.rows
        for name in names:
            kind = "categorical" if name in forced else None
            out._columns[name] = ColumnSketch.from_column_profile(profile[name], kind)
        return out

    @classmethod
    def of(cls, data: Any, kinds: Mapping[str, str] | None = None, **options: Any) -> WindowSketch:
        """The sketch of one table in one call."""
        out = cls(kinds, **options)
        out.update(data)
        return out


def _is_table(data: Any) -> bool:
    if isinstance(data, pa.Table | pa.RecordBatch):
        return True
    module = type(data).__module__.split(".")[0]
    return module in ("pandas", "polars")
