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

>>> import numpy as np
>>> rng = np.random.default_rng(42)
>>> a, b = ColumnSketch(), ColumnSketch()
>>> a.update(rng.normal(size=5_000)); b.update([0.5, None, 1.5])
>>> both = a.merge(b)
>>> both.rows, both.missing, both.n
(5003, 1, 5002)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from aweigh.core.errors import InvalidInputError
from aweigh.data._tables import to_arrow
from aweigh.data.profile import ColumnProfile, Profile
from aweigh.data.sketches import FrequentItems, Moments, QuantileSketch
from aweigh.monitor.drift._values import (
    arrow_kind,
    as_arrow,
    category_counts,
    category_name,
    check_kind,
    numbers,
)

__all__ = ["DEFAULT_CAPACITY", "DEFAULT_K", "ColumnSketch", "WindowSketch"]

DEFAULT_K = 2000
DEFAULT_CAPACITY = 1024
_NUMBERS = ("numeric", "datetime")
_PROFILE_KINDS = {
    "numeric": "numeric",
    "datetime": "datetime",
    "boolean": "categorical",
    "categorical": "categorical",
}


class ColumnSketch:
    """One column's sketches: quantiles and moments, or category counts (module notes).

    ``kind`` is ``numeric``, ``datetime``, ``categorical`` or ``unknown`` (only missing
    values seen so far: the first typed values decide the kind).
    """

    def __init__(
        self, kind: str = "numeric", *, k: int = DEFAULT_K, capacity: int = DEFAULT_CAPACITY
    ) -> None:
        self._kind = check_kind(kind, "ColumnSketch")
        self._k, self._capacity = k, capacity
        self._rows = 0
        self._missing = 0
        self._quantiles: QuantileSketch | None = None
        self._moments: Moments | None = None
        self._items: FrequentItems | None = None
        self._setup(self._kind)

    def _setup(self, kind: str) -> None:
        self._kind = kind
        if kind in _NUMBERS:
            self._quantiles, self._moments = QuantileSketch(self._k), Moments()
        elif kind == "categorical":
            self._items = FrequentItems(self._capacity)

    # -- reading
    @property
    def kind(self) -> str:
        return self._kind

    @property
    def rows(self) -> int:
        """Every row seen, missing values included."""
        return self._rows

    @property
    def missing(self) -> int:
        """Null, NaN and unreadable values."""
        return self._missing

    @property
    def n(self) -> int:
        """Values a distribution test uses (present and, for numbers, finite)."""
        if self._quantiles is not None:
            return self._quantiles.n
        return self._items.n if self._items is not None else 0

    @property
    def missing_share(self) -> float:
        return self._missing / self._rows if self._rows else 0.0

    @property
    def quantiles(self) -> QuantileSketch | None:
        return self._quantiles

    @property
    def moments(self) -> Moments | None:
        return self._moments

    @property
    def items(self) -> FrequentItems | None:
        return self._items

    # -- writing
    def update(self, values: Any) -> None:
        """Add an array of values (numpy, pyarrow, pandas, a list or a scalar), vectorised."""
        if self._kind == "unknown":
            kind = _kind_of(values)
            if kind == "unknown":
                size = _size(values)
                self._rows += size
                self._missing += size
                return
            self._setup(kind)
        if self._quantiles is not None and self._moments is not None:
            x, _ = numbers(values, self._kind)
            before = self._moments.missing
            self._moments.update(x)
            self._quantiles.update(x)
            self._rows += int(x.size)
            self._missing += self._moments.missing - before
            return
        assert self._items is not None
        names, counts, missing, rows = category_counts(values)
        self._items.update_counts(names, counts, distinct=True)
        self._rows += rows
        self._missing += missing

    def add_missing(self, rows: int) -> None:
        """Count ``rows`` missing values (a column absent from a batch)."""
        self._rows += rows
        self._missing += rows
        if self._moments is not None:
            self._moments = Moments.from_dict(
                {**self._moments.to_dict(), "missing": self._moments.missing + rows}
            )

    def merge(self, other: ColumnSketch) -> ColumnSketch:
        """A new sketch of both inputs (both operands are left unchanged)."""
        if not isinstance(other, ColumnSketch):
            raise InvalidInputError(f"Cannot merge a ColumnSketch with {type(other).__name__}.")
        left, right = self, other
        if left._kind == "unknown" and right._kind != "unknown":
            left, right = right, left
        if right._kind not in ("unknown", left._kind):
            raise InvalidInputError(
                f"Cannot merge a {left._kind} column sketch with a {right._kind} one; "
                "sketch both windows with the same kinds (WindowSketch(kinds=...))."
            )
        out = ColumnSketch.from_dict(left.to_dict())
        if right._kind == "unknown":
            out.add_missing(right._rows)
            return out
        out._rows, out._missing = left._rows + right._rows, left._missing + right._missing
        if left._quantiles is not None and right._quantiles is not None:
            out._quantiles = left._quantiles.merge(right._quantiles)
        if left._moments is not None and right._moments is not None:
            out._moments = left._moments.merge(right._moments)
        if left._items is not None and right._items is not None:
            out._items = left._items.merge(right._items)
        return out

    # -- plain data
    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "column_sketch",
            "kind": self._kind,
            "k": self._k,
            "capacity": self._capacity,
            "rows": self._rows,
            "missing": self._missing,
            "quantiles": None if self._quantiles is None else self._quantiles.to_dict(),
            "moments": None if self._moments is None else self._moments.to_dict(),
            "items": None if self._items is None else self._items.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ColumnSketch:
        if not isinstance(data, Mapping) or data.get("type") != "column_sketch":
            raise InvalidInputError("A column sketch must be a mapping with type 'column_sketch'.")
        counts = [data.get(key) for key in ("k", "capacity", "rows", "missing")]
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in counts):
            raise InvalidInputError(
                "A column sketch needs whole numbers 'k', 'capacity', 'rows' and 'missing'."
            )
        out = cls(data.get("kind", ""), k=data["k"], capacity=data["capacity"])
        out._rows, out._missing = data["rows"], data["missing"]
        parts: list[tuple[str, Any]] = [
            ("quantiles", QuantileSketch),
            ("moments", Moments),
            ("items", FrequentItems),
        ]
        for key, reader in parts:
            if getattr(out, f"_{key}") is not None:
                if not isinstance(data.get(key), Mapping):
                    raise InvalidInputError(f"A {out._kind} column sketch needs {key!r}.")
                setattr(out, f"_{key}", reader.from_dict(data[key]))
        return out

    @classmethod
    def from_column_profile(cls, column: ColumnProfile, kind: str | None = None) -> ColumnSketch:
        """A reference from one column of a training :class:`Profile` (no raw data needed).

        ``kind="categorical"`` reads a numeric column's top values as categories (exact
        while the column had at most 128 distinct values).
        """
        if not isinstance(column, ColumnProfile):
            raise InvalidInputError(
                f"from_column_profile takes a ColumnProfile. Got {type(column).__name__}."
            )
        target = check_kind(kind or _PROFILE_KINDS[column.kind], "from_column_profile")
        out = cls(target, k=DEFAULT_K, capacity=column.top_sketch.capacity)
        out._rows, out._missing = column.rows, column.missing
        if target in _NUMBERS:
            if column.quantile_sketch is None or column.moments is None:
                raise InvalidInputError(
                    f"Column {column.name!r} is {column.kind} in the profile; it has no "
                    "quantile sketch to compare as numbers. Compare it as categorical."
                )
            out._quantiles = QuantileSketch.from_dict(column.quantile_sketch.to_dict())
            out._moments = Moments.from_dict(column.moments.to_dict())
            out._k = out._quantiles.k
        elif target == "categorical":
            top = column.top_sketch
            merged: dict[str, int] = {}
            for value, count in top.top():
                name = category_name(value)
                merged[name] = merged.get(name, 0) + count
            out._items = FrequentItems.from_dict(
                {
                    "type": "frequent_items",
                    "capacity": top.capacity,
                    "n": top.n,
                    "error": top.error,
                    "items": [[name, count] for name, count in merged.items()],
                }
            )
        return out


def _kind_of(values: Any) -> str:
    if isinstance(values, np.ndarray) and values.dtype.kind in "iufb":
        return "numeric" if values.dtype.kind != "b" else "categorical"
    return arrow_kind(as_arrow(values).type)


def _size(values: Any) -> int:
    if np.isscalar(values) or values is None:
        return 1
    return len(values)


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
        if isinstance(data, Iterable) and not _is_table(data):
            for part in data:
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
