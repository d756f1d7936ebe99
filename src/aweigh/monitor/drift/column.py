"""One column as mergeable sketches: what the univariate drift tests compute on.

For numbers (and datetimes, as epoch seconds) a KLL
:class:`~aweigh.data.sketches.QuantileSketch` plus :class:`~aweigh.data.sketches.Moments`;
for categories a Misra-Gries :class:`~aweigh.data.sketches.FrequentItems`; always the
row and missing counts. ``update`` is vectorised and one pass, ``merge`` combines
windows, ``to_dict``/``from_dict`` round-trip through JSON and
:meth:`ColumnSketch.from_column_profile` turns a training profile's column into a
reference. See :mod:`aweigh.monitor.drift.sketch` for the choice of ``k``.

>>> import numpy as np
>>> rng = np.random.default_rng(42)
>>> a, b = ColumnSketch(), ColumnSketch()
>>> a.update(rng.normal(size=5_000)); b.update([0.5, None, 1.5])
>>> both = a.merge(b)
>>> both.rows, both.missing, both.n
(5003, 1, 5002)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from aweigh.core.errors import InvalidInputError
from aweigh.data.profile import ColumnProfile
from aweigh.data.sketches import FrequentItems, Moments, QuantileSketch
from aweigh.monitor.drift._values import (
    arrow_kind,
    as_arrow,
    category_counts,
    category_name,
    check_kind,
    numbers,
)

__all__ = ["DEFAULT_CAPACITY", "DEFAULT_K", "ColumnSketch"]

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
