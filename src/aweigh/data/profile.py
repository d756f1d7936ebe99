"""Quality profiles of tables, made of mergeable sketches.

``profile_table(table)`` reads a pandas, pyarrow or polars table once and keeps, per
column, the sketches of :mod:`aweigh.data.sketches`; every statistic a report shows is
read from them. So ``Profile.merge`` combines profiles of chunks or time windows
without the raw data, and ``profile_table(whole)`` answers like the merge of the
profiles of its chunks, within each sketch's bound.

Per column (``ColumnProfile``): kind, rows, missing share (null or NaN), distinct count
(exact up to 1,024 values, then HyperLogLog, flagged), for numbers and datetimes min,
max, mean, std, quantiles p1 p5 p25 p50 p75 p95 p99 (KLL), a histogram, IQR outliers
(Tukey fences from the sketched quartiles; count estimated from the sketched ranks),
for all columns the top values (Misra-Gries counts, exact while a column has at most
128 distinct values) and the constant and near-constant flags (the most common state,
missing included, covers at least 99% of rows). Per table: duplicate rows, label
balance and label leakage hints. Infinities are counted (``non_finite``) but stay out
of the statistics, distinct counts and top values. Top values longer than 256
characters are kept as a prefix, their length and their hash, so huge strings do not
bloat the profile (distinct counts and duplicates use the whole value). Datetimes are
sketched as seconds since the epoch (UTC) and shown as ISO 8601 in summaries.

Duplicate rows are counted from 64-bit row hashes (independent of column order). They
are exact for one table; a merge stays exact while both sides keep their row hashes
(up to 100,000 distinct rows each), and otherwise reports the duplicates within the
parts as a lower bound, flagged not exact.

Leakage hints: on a random sample of labelled rows (``sample_for_leakage``), each feature
alone is turned into a lookup predictor (its value, or one of 32 quantile bins for
numbers with more than 64 distinct values, maps to the majority label, or the mean label
for a numeric label with more than 20 values). Two-fold cross-fitting scores it on the
half it did not see, so identifiers and other high-cardinality columns do not look
predictive. The score is the skill over the best constant prediction: ``(accuracy -
base) / (1 - base)`` for classes, ``R**2`` (or the squared rank correlation, whichever is
higher) for numbers. A feature scoring at least 0.9 is a suspect. Merged profiles keep
the sample-size-weighted mean of the parts' scores (a hint, not a sketch).

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(42)
>>> frame = pd.DataFrame({"x": rng.normal(size=1000), "y": rng.choice(["a", "b"], 1000)})
>>> frame["leak"] = (frame["y"] == "a").astype(int)
>>> profile = profile_table(frame, label="y")
>>> profile.rows, profile["x"].kind, profile["y"].distinct, profile.leakage_suspects
(1000, 'numeric', 2, ['leak'])
>>> halves = profile_table(frame[:500], label="y").merge(profile_table(frame[500:], label="y"))
>>> halves["x"].histogram.to_dict() == profile["x"].histogram.to_dict()
True
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError
from aweigh.data.sketches import (
    NULL_HASH,
    DistinctCount,
    FrequentItems,
    Histogram,
    Moments,
    QuantileSketch,
    hash_values,
    mix64,
    sorted_unique,
)

__all__ = [
    "KINDS",
    "LEAKAGE_THRESHOLD",
    "NEAR_CONSTANT_SHARE",
    "QUANTILES",
    "ColumnProfile",
    "Profile",
    "profile_table",
]

KINDS = ("numeric", "datetime", "boolean", "categorical")
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
NEAR_CONSTANT_SHARE = 0.99
LEAKAGE_THRESHOLD = 0.9
QUANTILE_K = 200
HISTOGRAM_BINS = 64
TOP_CAPACITY = 128
DISTINCT_EXACT_LIMIT = 1024
ROW_HASH_LIMIT = 100_000
ITEM_CHARS = 256
FORMAT = "aweigh.profile"
FORMAT_VERSION = 1
_TOP_IN_SUMMARY = 20
_CONTRACT_KINDS = {
    "int": "numeric",
    "float": "numeric",
    "bool": "boolean",
    "string": "categorical",
    "category": "categorical",
    "datetime": "datetime",
}
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
U64Array = npt.NDArray[np.uint64]


# --------------------------------------------------------------------------- columns


class ColumnProfile:
    """The sketches of one column and the statistics read from them."""

    def __init__(self, name: str, kind: str, dtype: str = "") -> None:
        if kind not in KINDS:
            raise InvalidInputError(f"A column kind must be one of {list(KINDS)}. Got {kind!r}.")
        self._name, self._kind, self._dtype = name, kind, dtype
        self._rows = self._missing = self._invalid = 0
        numbers = kind in ("numeric", "datetime")
        self._moments = Moments() if numbers else None
        self._quantiles = QuantileSketch(QUANTILE_K) if numbers else None
        self._histogram = Histogram(HISTOGRAM_BINS) if numbers else None
        self._lengths = Moments() if kind == "categorical" else None
        self._top = FrequentItems(TOP_CAPACITY)
        self._distinct = DistinctCount(DISTINCT_EXACT_LIMIT)

    # -- sketches and counts
    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> str:
        """``numeric``, ``datetime``, ``boolean`` or ``categorical``."""
        return self._kind

    @property
    def dtype(self) -> str:
        """The source type, as the input library names it."""
        return self._dtype

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def missing(self) -> int:
        """Null or NaN values."""
        return self._missing

    @property
    def invalid(self) -> int:
        """Values that could not be read as the column's kind (counted as missing too)."""
        return self._invalid

    @property
    def moments(self) -> Moments | None:
        """Count, mean, variance, min, max (numbers and datetimes)."""
        return self._moments

    @property
    def quantile_sketch(self) -> QuantileSketch | None:
        return self._quantiles

    @property
    def histogram(self) -> Histogram | None:
        return self._histogram

    @property
    def lengths(self) -> Moments | None:
        """String lengths in characters (categorical columns)."""
        return self._lengths

    @property
    def top_sketch(self) -> FrequentItems:
        return self._top

    @property
    def distinct_sketch(self) -> DistinctCount:
        return self._distinct

    @property
    def missing_share(self) -> float:
        return self._missing / self._rows if self._rows else 0.0

    @property
    def non_finite(self) -> int:
        return self._moments.nonfinite if self._moments is not None else 0

    @property
    def distinct(self) -> int:
        """Distinct non-missing (finite) values; see :attr:`distinct_exact`."""
        return self._distinct.count

    @property
    def distinct_exact(self) -> bool:
        return self._distinct.exact

    def _stat(self, name: str) -> float | None:
        if self._moments is None or self._moments.n == 0:
            return None
        value = float(getattr(self._moments, name))
        return None if math.isnan(value) else value

    @property
    def min(self) -> float | None:
        return self._stat("min")

    @property
    def max(self) -> float | None:
        return self._stat("max")

    @property
    def mean(self) -> float | None:
        return self._stat("mean")

    @property
    def std(self) -> float | None:
        return self._stat("std")

    @property
    def quantiles(self) -> dict[str, float]:
        """``{"p1": ..., "p99": ...}`` from the KLL sketch (empty without numbers)."""
        if self._quantiles is None or self._quantiles.n == 0:
            return {}
        values = self._quantiles.quantiles(QUANTILES)
        return {f"p{round(q * 100)}": float(v) for q, v in zip(QUANTILES, values, strict=True)}

    def top(self, n: int = 10) -> list[tuple[Any, int]]:
        """The most frequent values with estimated counts (exact when ``top_exact``)."""
        return self._top.top(n)

    @property
    def top_exact(self) -> bool:
        return self._top.exact

    @property
    def top_share(self) -> float:
        """Share of rows in the most common state (a value, or missing)."""
        if not self._rows:
            return 0.0
        best = self._top.top(1)
        return max(best[0][1] if best else 0, self._missing) / self._rows

    @property
    def constant(self) -> bool:
        states = self.distinct + (self._missing > 0) + (self.non_finite > 0)
        return self._rows > 0 and states <= 1

    @property
    def near_constant(self) -> bool:
        return self._rows > 0 and self.top_share >= NEAR_CONSTANT_SHARE

    @property
    def outliers(self) -> dict[str, float] | None:
        """IQR rule: count and share outside ``[q1 - 1.5 iqr, q3 + 1.5 iqr]`` (numbers)."""
        sketch = self._quantiles
        if sketch is None or sketch.n == 0 or self._kind != "numeric":
            return None
        q1, q3 = sketch.quantiles([0.25, 0.75])
        low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        below = sketch.ranks([low], inclusive=False)[0]
        above = sketch.n - sketch.ranks([high])[0]
        count = int(below + above)
        return {
            "count": count,
            "share": count / sketch.n,
            "low": float(low),
            "high": float(high),
            "error": 2 * sketch.max_rank_error,
        }

    # -- updates (used by profile_table)
    def _add_numbers(self, values: FloatArray) -> None:
        assert self._moments is not None
        assert self._quantiles is not None
        assert self._histogram is not None
        self._rows += values.size
        self._moments.update(values)
        self._missing += int(np.isnan(values).sum())
        finite = values[np.isfinite(values)]
        if not finite.size:
            return
        ordered = np.sort(finite)
        self._quantiles.update(ordered)
        self._histogram.update(ordered)
        uniques, counts = sorted_unique(ordered, presorted=True)
        self._top.update_counts(uniques, counts, distinct=True)
        self._distinct.update_hashes(hash_values(uniques), distinct=True)

    def _add_codes(self, dictionary: pa.Array, codes: IntArray, hashes: U64Array) -> None:
        """Add dictionary-encoded values (``codes`` -1 is missing; one hash per entry)."""
        self._rows += codes.size
        present = codes >= 0
        self._missing += int(codes.size - present.sum())
        counts = np.bincount(codes[present], minlength=len(dictionary))
        used = np.flatnonzero(counts)
        if not used.size:
            return
        values = dictionary.take(pa.array(used))
        lengths = np.asarray(pc.utf8_length(values), dtype=np.int64)
        shown = _abbreviated(values, lengths, hashes[used])
        self._top.update_counts(shown, counts[used], distinct=True)
        self._distinct.update_hashes(hashes[used], distinct=True)
        if self._lengths is not None:
            self._lengths.update(np.repeat(lengths.astype(np.float64), counts[used]))

    # -- merging and plain data
    def _empty_like(self, kind: str) -> ColumnProfile:
        """This all-missing column as an empty column of another kind."""
        return _absent(self._name, kind, self._dtype, self._rows, self._invalid)

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        left, right = self, other
        if left._kind != right._kind:
            if left._missing == left._rows:
                left = left._empty_like(right._kind)
            elif right._missing == right._rows:
                right = right._empty_like(left._kind)
            else:
                raise InvalidInputError(
                    f"Column {self._name!r} is {self._kind} in one profile and {other._kind} "
                    "in the other; profile both with the same contract to merge them."
                )
        out = ColumnProfile(left._name, left._kind, left._dtype or right._dtype)
        out._rows = left._rows + right._rows
        out._missing = left._missing + right._missing
        out._invalid = left._invalid + right._invalid
        for attr in ("_moments", "_quantiles", "_histogram", "_lengths", "_top", "_distinct"):
            a, b = getattr(left, attr), getattr(right, attr)
            if a is not None and b is not None:
                setattr(out, attr, a.merge(b))
        return out

    def to_dict(self) -> dict[str, Any]:
        sketches = {
            key: sketch.to_dict()
            for key, sketch in (
                ("moments", self._moments),
                ("quantiles", self._quantiles),
                ("histogram", self._histogram),
                ("lengths", self._lengths),
                ("top", self._top),
                ("distinct", self._distinct),
            )
            if sketch is not None
        }
        return {
            "name": self._name,
            "kind": self._kind,
            "dtype": self._dtype,
            "rows": self._rows,
            "missing": self._missing,
            "invalid": self._invalid,
            "sketches": sketches,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ColumnProfile:
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            raise InvalidInputError("Each profiled column must be a mapping with a 'name'.")
        at = f"Profiled column {data['name']!r}"
        out = cls(data["name"], data.get("kind", ""), str(data.get("dtype", "")))
        for key in ("rows", "missing", "invalid"):
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInputError(f"{at}: {key!r} must be a whole number >= 0.")
            setattr(out, f"_{key}", value)
        sketches = data.get("sketches")
        if not isinstance(sketches, Mapping):
            raise InvalidInputError(f"{at}: 'sketches' must be a mapping.")
        readers: dict[str, Any] = {
            "moments": Moments,
            "quantiles": QuantileSketch,
            "histogram": Histogram,
            "lengths": Moments,
            "top": FrequentItems,
            "distinct": DistinctCount,
        }
        for key, reader in readers.items():
            if getattr(out, f"_{key}") is None:
                continue
            if key not in sketches:
                raise InvalidInputError(f"{at}: the {out._kind} column needs a {key!r} sketch.")
            try:
                setattr(out, f"_{key}", reader.from_dict(sketches[key]))
            except InvalidInputError as exc:
                raise InvalidInputError(f"{at}: {exc}") from exc
        return out

    def summary(self) -> dict[str, Any]:
        """Plain statistics of this column (what reports and JSON readers use)."""
        as_time = self._kind == "datetime"
        out: dict[str, Any] = {
            "name": self._name,
            "kind": self._kind,
            "dtype": self._dtype,
            "rows": self._rows,
            "missing": self._missing,
            "missing_share": self.missing_share,
            "invalid": self._invalid,
            "distinct": self.distinct,
            "distinct_exact": self.distinct_exact,
            "top": [[_when(_plain(v), as_time), c] for v, c in self.top(_TOP_IN_SUMMARY)],
            "top_exact": self.top_exact,
            "top_share": self.top_share,
            "constant": self.constant,
            "near_constant": self.near_constant,
        }
        if self._moments is not None:
            stats = {"min": self.min, "max": self.max, "mean": self.mean}
            out.update({k: _when(v, as_time) for k, v in stats.items()})
            out["std"] = self.std
            out["non_finite"] = self.non_finite
            out["quantiles"] = {k: _when(v, as_time) for k, v in self.quantiles.items()}
        if self._quantiles is not None:
            out["quantiles_epsilon"] = self._quantiles.epsilon()
        if self._histogram is not None and self._histogram.n:
            edges = self._histogram.edges
            out["histogram"] = {
                "low": float(edges[0]),
                "high": float(edges[-1]),
                "counts": self._histogram.counts.tolist(),
            }
        if self._kind == "numeric":
            out["outliers"] = self.outliers
        if self._lengths is not None and self._lengths.n:
            out["length"] = {"min": self._lengths.min, "max": self._lengths.max}
            out["length"]["mean"] = self._lengths.mean
        flags = [
            name
            for name, on in (
                ("all_missing", self._rows > 0 and self._missing == self._rows),
                ("missing", self._missing > 0),
                ("constant", self.constant),
                ("near_constant", self.near_constant and not self.constant),
                ("outliers", bool(out.get("outliers") and out["outliers"]["count"])),
                ("non_finite", self.non_finite > 0),
                ("invalid", self._invalid > 0),
            )
            if on
        ]
        out["flags"] = flags
        return out


def _abbreviated(values: pa.Array, lengths: IntArray, hashes: U64Array) -> pa.Array:
    """Values longer than ITEM_CHARS as a prefix, the length and the hash (bounds JSON size)."""
    long = np.flatnonzero(lengths > ITEM_CHARS)
    if not long.size:
        return values
    prefixes = pc.utf8_slice_codeunits(values.take(pa.array(long)), 0, ITEM_CHARS // 2)
    short = [
        f"{prefix}\u2026 [{int(lengths[i]):,} chars #{int(hashes[i]):016x}]"
        for prefix, i in zip(prefixes.to_pylist(), long.tolist(), strict=True)
    ]
    mask = np.zeros(len(values), dtype=bool)
    mask[long] = True
    return pc.replace_with_mask(values, pa.array(mask), pa.array(short, type=values.type))


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _when(value: float | None, as_time: bool) -> float | str | None:
    if value is None or not as_time:
        return value
    try:
        return datetime.fromtimestamp(value, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return value


# --------------------------------------------------------------------------- table level


@dataclass(frozen=True)
class _Duplicates:
    rows: int
    duplicates: int
    exact: bool
    hashes: npt.NDArray[np.uint64] | None

    @classmethod
    def of(cls, row_hashes: npt.NDArray[np.uint64]) -> _Duplicates:
        unique = sorted_unique(row_hashes)[0]
        keep = unique if unique.size <= ROW_HASH_LIMIT else None
        return cls(int(row_hashes.size), int(row_hashes.size - unique.size), True, keep)

    def merge(self, other: _Duplicates) -> _Duplicates:
        if not other.rows or not self.rows:
            return self if self.rows else other
        rows = self.rows + other.rows
        if self.hashes is not None and other.hashes is not None:
            union = sorted_unique(np.concatenate([self.hashes, other.hashes]))[0]
            keep = union if union.size <= ROW_HASH_LIMIT else None
            exact = self.exact and other.exact
            return _Duplicates(rows, rows - int(union.size), exact, keep)
        return _Duplicates(rows, self.duplicates + other.duplicates, False, None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "duplicates": self.duplicates,
            "exact": self.exact,
            "hashes": None
            if self.hashes is None
            else base64.b64encode(self.hashes.astype("<u8").tobytes()).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, data: Any) -> _Duplicates:
        ok = isinstance(data, Mapping) and all(
            isinstance(data.get(k), int) and not isinstance(data.get(k), bool) and data[k] >= 0
            for k in ("rows", "duplicates")
        )
        if not ok or not isinstance(data.get("exact"), bool):
            raise InvalidInputError(
                "The profile's 'duplicates' needs whole numbers 'rows' and 'duplicates' and "
                "a true/false 'exact'."
            )
        hashes = None
        if data.get("hashes") is not None:
            try:
                raw = base64.b64decode(str(data["hashes"]), validate=True)
                hashes = np.frombuffer(raw, dtype="<u8").astype(np.uint64)
            except ValueError as exc:
                raise InvalidInputError(
                    f"The profile's duplicate row hashes are not valid base64 data ({exc})."
                ) from exc
        return cls(data["rows"], data["duplicates"], data["exact"], hashes)


class Profile:
    """A table's quality profile: column profiles plus duplicates, label balance, leakage."""

    def __init__(
        self,
        columns: Sequence[ColumnProfile],
        *,
        rows: int,
        label: str | None = None,
        duplicates: _Duplicates | None = None,
        leakage: Mapping[str, tuple[float, int]] | None = None,
    ) -> None:
        self._columns = {c.name: c for c in columns}
        self._rows = rows
        self._label = label
        self._duplicates = duplicates or _Duplicates(0, 0, True, np.zeros(0, np.uint64))
        self._leakage = dict(leakage or {})

    @property
    def rows(self) -> int:
        return self._rows

    @property
    def label(self) -> str | None:
        return self._label

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._columns)

    def __getitem__(self, name: str) -> ColumnProfile:
        try:
            return self._columns[name]
        except KeyError:
            raise InvalidInputError(
                f"The profile has no column {name!r}; it has {list(self._columns)[:20]}."
            ) from None

    def __iter__(self) -> Iterator[ColumnProfile]:
        return iter(self._columns.values())

    def __len__(self) -> int:
        return len(self._columns)

    @property
    def duplicates(self) -> int:
        """Duplicate rows (rows equal to an earlier row); a lower bound when not exact."""
        return self._duplicates.duplicates

    @property
    def duplicates_exact(self) -> bool:
        return self._duplicates.exact

    @property
    def duplicate_share(self) -> float:
        return self.duplicates / self._rows if self._rows else 0.0

    @property
    def label_balance(self) -> dict[Any, float] | None:
        """Share of each label value among labelled rows (None without a class label)."""
        if self._label is None or self._label not in self._columns:
            return None
        column = self._columns[self._label]
        counts = column.top(TOP_CAPACITY)
        total = column.rows - column.missing
        if not total or not column.top_exact or len(counts) > 20:
            return None
        return {_plain(value): count / total for value, count in counts}

    @property
    def leakage(self) -> dict[str, float]:
        """Each feature's leakage score (1.0: the feature alone gives the label)."""
        return {name: score for name, (score, _) in self._leakage.items()}

    @property
    def leakage_suspects(self) -> list[str]:
        """Features whose score reaches :data:`LEAKAGE_THRESHOLD`, most suspect first."""
        ranked = sorted(self._leakage.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [name for name, (score, _) in ranked if score >= LEAKAGE_THRESHOLD]

    def merge(self, other: Profile) -> Profile:
        """The profile of both tables (columns matched by name; absent means missing)."""
        if not isinstance(other, Profile):
            raise InvalidInputError(f"Cannot merge a Profile with {type(other).__name__}.")
        if self._label != other._label:
            raise InvalidInputError(
                f"Cannot merge profiles with different labels ({self._label!r} and "
                f"{other._label!r}); profile both with the same label."
            )
        names = list(self._columns) + [n for n in other._columns if n not in self._columns]
        columns = []
        for name in names:
            a = self._columns.get(name)
            b = other._columns.get(name)
            if a is None:
                assert b is not None
                a = _absent(name, b.kind, b.dtype, self._rows)
            if b is None:
                b = _absent(name, a.kind, a.dtype, other._rows)
            columns.append(a.merge(b))
        leakage: dict[str, tuple[float, int]] = {}
        for name in names:
            parts = [p._leakage[name] for p in (self, other) if name in p._leakage]
            weight = sum(n for _, n in parts)
            if parts:
                leakage[name] = (sum(s * n for s, n in parts) / max(weight, 1), weight)
        return Profile(
            columns,
            rows=self._rows + other._rows,
            label=self._label,
            duplicates=self._duplicates.merge(other._duplicates),
            leakage=leakage,
        )

    def summary(self) -> dict[str, Any]:
        """Plain table-level and per-column statistics (no sketches)."""
        leakage = self.leakage
        columns = []
        for column in self:
            item = column.summary()
            item["leakage"] = leakage.get(column.name)
            if item["leakage"] is not None and item["leakage"] >= LEAKAGE_THRESHOLD:
                item["flags"].append("leakage")
            columns.append(item)
        balance = self.label_balance
        return {
            "rows": self._rows,
            "columns": len(self._columns),
            "duplicates": self.duplicates,
            "duplicates_exact": self.duplicates_exact,
            "duplicate_share": self.duplicate_share,
            "label": self._label,
            "label_balance": None if balance is None else [[k, v] for k, v in balance.items()],
            "leakage_threshold": LEAKAGE_THRESHOLD,
            "leakage_suspects": self.leakage_suspects,
            "column_profiles": columns,
        }

    def to_dict(self) -> dict[str, Any]:
        """Sketches (what ``from_dict`` reads) plus a ``summary`` for people and reports."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "rows": self._rows,
            "label": self._label,
            "duplicates": self._duplicates.to_dict(),
            "leakage": {name: {"score": s, "rows": n} for name, (s, n) in self._leakage.items()},
            "columns": [column.to_dict() for column in self],
            "summary": self.summary(),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Profile:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(f"The profile is not valid JSON ({exc}).") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> Profile:
        """Read ``to_dict`` output; the ``summary`` part is ignored (it is recomputed)."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise InvalidInputError(f"A profile must be a mapping with format {FORMAT!r}.")
        if data.get("format_version") != FORMAT_VERSION:
            raise InvalidInputError(
                f"The profile has format_version {data.get('format_version')!r}; this aweigh "
                f"reads version {FORMAT_VERSION}."
            )
        rows, label = data.get("rows"), data.get("label")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise InvalidInputError("The profile's 'rows' must be a whole number >= 0.")
        if label is not None and not isinstance(label, str):
            raise InvalidInputError("The profile's 'label' must be a column name or null.")
        columns = data.get("columns")
        if not isinstance(columns, list):
            raise InvalidInputError("The profile's 'columns' must be a list.")
        leakage = data.get("leakage") or {}
        if not isinstance(leakage, Mapping):
            raise InvalidInputError("The profile's 'leakage' must be a mapping.")
        try:
            hints = {str(k): (float(v["score"]), int(v["rows"])) for k, v in leakage.items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError("Each leakage hint needs a 'score' and 'rows'.") from exc
        return cls(
            [ColumnProfile.from_dict(c) for c in columns],
            rows=rows,
            label=label,
            duplicates=_Duplicates.from_dict(data.get("duplicates")),
            leakage=hints,
        )


def _absent(name: str, kind: str, dtype: str, rows: int, invalid: int = 0) -> ColumnProfile:
    """A column of ``rows`` missing values."""
    column = ColumnProfile(name, kind, dtype)
    column._rows = column._missing = rows
    column._invalid = invalid
    if column._moments is not None:
        column._moments = Moments.from_dict({**Moments().to_dict(), "missing": rows})
    return column


# --------------------------------------------------------------------------- reading


@dataclass
class _Column:
    name: str
    dtype: str
    kind: str
    numbers: FloatArray | None = None
    dictionary: pa.Array | None = None
    codes: IntArray | None = None
    invalid: int = 0

    @property
    def size(self) -> int:
        if self.numbers is not None:
            return int(self.numbers.size)
        assert self.codes is not None
        return int(self.codes.size)


_UNIT_SECONDS = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def _arrow_kind(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "numeric"
    if pa.types.is_duration(kind) or pa.types.is_time(kind):
        return "numeric"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "datetime"
    if pa.types.is_boolean(kind):
        return "boolean"
    return "categorical"


def _to_seconds(arr: pa.Array) -> FloatArray:
    kind = arr.type
    if pa.types.is_date32(kind):
        return _floats(arr.cast(pa.int32())) * 86_400.0
    if pa.types.is_date64(kind):
        return _floats(arr.cast(pa.int64())) / 1e3
    raw = _floats(arr.cast(pa.int64()))
    return raw / _UNIT_SECONDS[kind.unit]


def _floats(arr: pa.Array) -> FloatArray:
    out = np.asarray(pc.cast(arr, pa.float64(), safe=False).to_numpy(zero_copy_only=False))
    return out.astype(np.float64, copy=False)


def _as_strings(values: pa.Array) -> pa.Array:
    kind = values.type
    if pa.types.is_large_string(kind):
        return values
    if pa.types.is_string(kind) or pa.types.is_string_view(kind):
        return values.cast(pa.large_string())
    try:
        return pc.cast(values, pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        plain = [None if v is None else str(v) for v in values.to_pylist()]
        return pa.array(plain, type=pa.large_string())


def _encode(arr: pa.Array) -> tuple[pa.Array, IntArray]:
    if not pa.types.is_dictionary(arr.type):
        if pa.types.is_null(arr.type):
            return pa.array([], type=pa.large_string()), np.full(len(arr), -1, dtype=np.int64)
        arr = pc.dictionary_encode(_as_strings(arr) if not _hashable(arr.type) else arr)
    codes = np.asarray(pc.fill_null(arr.indices.cast(pa.int64()), -1), dtype=np.int64)
    return _as_strings(arr.dictionary), codes


def _hashable(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
    )


def _column(name: str, data: pa.ChunkedArray | pa.Array, forced: str | None) -> _Column:
    if isinstance(data, pa.ChunkedArray):
        if pa.types.is_dictionary(data.type) and data.num_chunks > 1:
            data = pa.chunked_array([c.dictionary_decode() for c in data.chunks])
        data = data.combine_chunks()
    kind = forced or _arrow_kind(data.type)
    column = _Column(name, str(data.type), kind)
    if kind in ("numeric", "datetime"):
        values, column.invalid = _numbers(data, kind)
        column.numbers = values
    else:
        if pa.types.is_dictionary(data.type) and not _hashable(data.type.value_type):
            data = data.dictionary_decode()
        column.dictionary, column.codes = _encode(data)
    return column


def _numbers(data: pa.Array, kind: str) -> tuple[FloatArray, int]:
    if pa.types.is_dictionary(data.type):
        data = data.dictionary_decode()
    natural = _arrow_kind(data.type)
    if kind == "datetime" and natural == "datetime":
        return _to_seconds(data), 0
    if kind == "numeric" and natural == "numeric":
        if pa.types.is_duration(data.type) or pa.types.is_time(data.type):
            return _to_seconds(data), 0
        return _floats(data), 0
    if kind == "numeric" and natural == "boolean":
        return _floats(data), 0
    series = pd.Series(_as_strings(data).to_pylist(), dtype=object)
    present = int(series.notna().sum())
    if kind == "numeric":
        parsed = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        stamps = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601")
        parsed = np.full(len(series), np.nan)
        ok = stamps.notna().to_numpy()
        since = stamps[ok] - pd.Timestamp(0, tz="UTC")
        parsed[ok] = since.dt.total_seconds().to_numpy(dtype=np.float64)
    return parsed, present - int((~np.isnan(parsed)).sum())


def _pandas_columns(frame: pd.DataFrame) -> Iterator[tuple[str, Any]]:
    if frame.columns.has_duplicates:
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidInputError(f"The table has duplicate column names {dupes}; rename them.")
    for position, name in enumerate(frame.columns):
        series = frame.iloc[:, position]
        dtype = series.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            yield str(name), (str(dtype), series.to_numpy(dtype=np.float64))
            continue
        try:
            yield str(name), pa.Array.from_pandas(series)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            text = [None if pd.isna(v) else str(v) for v in series.tolist()]
            yield str(name), pa.array(text, type=pa.large_string())


def _read(table: Any, kinds: Mapping[str, str]) -> list[_Column]:
    source: Iterator[tuple[str, Any]]
    if isinstance(table, pd.DataFrame):
        source = _pandas_columns(table)
    else:
        if type(table).__module__.split(".")[0] == "polars":
            table = table.to_arrow()
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if not isinstance(table, pa.Table):
            raise InvalidInputError(
                "profile_table takes a pandas DataFrame, a pyarrow Table or a polars "
                f"DataFrame. Got {type(table).__name__} instead."
            )
        if len(set(table.column_names)) != table.num_columns:
            raise InvalidInputError("The table has duplicate column names; rename them.")
        source = iter(zip(table.column_names, table.columns, strict=True))
    columns = []
    for name, data in source:
        forced = kinds.get(name)
        if isinstance(data, tuple):  # a plain numpy number column from pandas
            dtype, values = data
            if forced in (None, "numeric"):
                columns.append(_Column(name, dtype, "numeric", numbers=values))
                continue
            data = pa.array(values, from_pandas=True)
            if dtype.startswith("int"):
                data = data.cast(pa.int64())
        columns.append(_column(name, data, forced))
    return columns


# --------------------------------------------------------------------------- leakage


def _groups(column: _Column, rows: IntArray) -> IntArray:
    """Small integer group codes of the sampled rows (missing is a group of its own)."""
    if column.codes is not None:
        codes = column.codes[rows]
        return np.where(codes < 0, codes.max(initial=0) + 1, codes)
    assert column.numbers is not None
    values = column.numbers[rows]
    finite = values[np.isfinite(values)]
    uniques = sorted_unique(finite)[0]
    if uniques.size <= 64:
        edges = uniques[1:]
    else:
        edges = sorted_unique(np.quantile(finite, np.linspace(0, 1, 33)[1:-1]))[0]
    groups = np.searchsorted(edges, values, side="right").astype(np.int64)
    return np.where(np.isnan(values), edges.size + 1, groups)


def _skill(
    groups: IntArray, target: npt.NDArray[Any], folds: list[IntArray], classes: int
) -> float | None:
    """Cross-fitted skill of predicting the target from the group alone."""
    groups = np.unique(groups, return_inverse=True)[1].reshape(-1)  # 0..G-1, G <= rows
    size = int(groups.max(initial=0)) + 1
    scores = []
    for train, test in ((folds[0], folds[1]), (folds[1], folds[0])):
        g_train, g_test = groups[train], groups[test]
        if classes:
            y_train, y_test = target[train].astype(np.int64), target[test].astype(np.int64)
            fallback = int(np.bincount(y_train, minlength=classes).argmax())
            # the majority class of each group, from sparse (group, class) counts
            pairs, counts = sorted_unique(g_train * classes + y_train)
            group, label = pairs // classes, pairs % classes
            order = np.lexsort((label, -counts, group))
            firsts = order[np.concatenate([[True], group[order][1:] != group[order][:-1]])]
            guess = np.full(size, fallback, dtype=np.int64)
            guess[group[firsts]] = label[firsts]
            base = float(np.mean(y_test == fallback))
            if base >= 1.0:
                return None
            accuracy = float(np.mean(guess[g_test] == y_test))
            scores.append((accuracy - base) / (1.0 - base))
        else:
            y_train, y_test = target[train].astype(np.float64), target[test].astype(np.float64)
            sums = np.bincount(g_train, weights=y_train, minlength=size)
            counts = np.bincount(g_train, minlength=size)
            centre = float(y_train.mean())
            means = np.where(counts > 0, sums / np.maximum(counts, 1), centre)
            total = float(np.sum((y_test - centre) ** 2))
            if total == 0.0:
                return None
            scores.append(1.0 - float(np.sum((y_test - means[g_test]) ** 2)) / total)
    return float(np.mean(scores))


def _rank_corr2(x: FloatArray, y: FloatArray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return 0.0
    rx = np.argsort(np.argsort(x[ok])).astype(np.float64)
    ry = np.argsort(np.argsort(y[ok])).astype(np.float64)
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1] ** 2)


def _leakage(
    columns: list[_Column], label: _Column, sample: int, seed: int
) -> dict[str, tuple[float, int]]:
    rng = np.random.default_rng(seed)
    if label.codes is not None:
        labelled = np.flatnonzero(label.codes >= 0)
    else:
        assert label.numbers is not None
        labelled = np.flatnonzero(np.isfinite(label.numbers))
    if labelled.size > sample:
        labelled = np.sort(rng.choice(labelled, size=sample, replace=False))
    if labelled.size < 20:
        return {}
    order = rng.permutation(labelled.size)
    folds = [order[: order.size // 2], order[order.size // 2 :]]
    if label.codes is not None:
        target: Any = label.codes[labelled]
        classes = int(target.max()) + 1
    else:
        assert label.numbers is not None
        values = label.numbers[labelled]
        uniques, inverse = np.unique(values, return_inverse=True)
        target, classes = (inverse, uniques.size) if uniques.size <= 20 else (values, 0)
    out: dict[str, tuple[float, int]] = {}
    for column in columns:
        if column.name == label.name:
            continue
        score = _skill(_groups(column, labelled), target, folds, classes)
        if score is None:
            continue
        if not classes and column.numbers is not None:
            score = max(score, _rank_corr2(column.numbers[labelled], target))
        out[column.name] = (min(max(score, 0.0), 1.0), int(labelled.size))
    return out


# --------------------------------------------------------------------------- entry point


def profile_table(
    table: Any,
    *,
    label: str | None = None,
    contract: Any = None,
    sample_for_leakage: int = 50_000,
    seed: int = 42,
) -> Profile:
    """Profile a pandas DataFrame, pyarrow Table or polars DataFrame in one pass.

    ``contract`` (an ``aweigh.data.contract.Contract``) fixes each listed column's kind
    (int/float numeric, bool boolean, string/category categorical, datetime); values
    that cannot be read as that kind count as ``invalid`` and missing. ``label`` names
    the target column: its balance is reported and every other column is checked for
    leakage on ``sample_for_leakage`` labelled rows (0 turns the check off).
    """
    if isinstance(sample_for_leakage, bool) or not isinstance(sample_for_leakage, int):
        raise InvalidInputError(
            "The 'sample_for_leakage' parameter of profile_table must be a whole number "
            f">= 0. Got {sample_for_leakage!r} instead."
        )
    if sample_for_leakage < 0:
        raise InvalidInputError(
            "The 'sample_for_leakage' parameter of profile_table must be a whole number "
            f">= 0. Got {sample_for_leakage!r} instead."
        )
    kinds: dict[str, str] = {}
    if contract is not None:
        try:
            kinds = {c.name: _CONTRACT_KINDS[c.type] for c in contract.columns}
        except (AttributeError, KeyError, TypeError) as exc:
            raise InvalidInputError(
                "The 'contract' parameter of profile_table must be an aweigh Contract. "
                f"Got {type(contract).__name__} instead."
            ) from exc
    columns = _read(table, kinds)
    names = [c.name for c in columns]
    if label is not None and label not in names:
        raise InvalidInputError(
            f"The label column {label!r} is not in the table; its columns are {names[:20]}."
        )
    rows = columns[0].size if columns else (len(table) if hasattr(table, "__len__") else 0)
    row_hash = np.zeros(rows, dtype=np.uint64)
    profiles = []
    for column in columns:
        profile = ColumnProfile(column.name, column.kind, column.dtype)
        profile._invalid = column.invalid
        if column.numbers is not None:
            profile._add_numbers(column.numbers)
            hashes = hash_values(column.numbers)
        else:
            assert column.dictionary is not None
            assert column.codes is not None
            lookup = np.append(hash_values(column.dictionary), NULL_HASH)
            profile._add_codes(column.dictionary, column.codes, lookup[:-1])
            hashes = lookup[column.codes]  # -1 (missing) picks NULL_HASH
        # an odd multiplier per column name: the row hash ignores column order
        name_hash = hash_values(pa.array([column.name], type=pa.large_string()))
        row_hash += hashes * (name_hash | np.uint64(1))
        profiles.append(profile)
    leakage: dict[str, tuple[float, int]] = {}
    if label is not None and sample_for_leakage:
        target = columns[names.index(label)]
        leakage = _leakage(columns, target, sample_for_leakage, seed)
    return Profile(
        profiles,
        rows=rows,
        label=label,
        duplicates=_Duplicates.of(mix64(row_hash)),
        leakage=leakage,
    )
