"""Infer a contract from a reference table (pandas, polars or pyarrow), vectorised on Arrow.

The rules, per column (each is a documented default you can change by argument):

- **type**: Arrow integers -> ``int``, floats and decimals -> ``float`` (a float column
  with nulls whose values are all whole numbers -> ``int``: that is how pandas stores
  an integer column with missing values), booleans -> ``bool``, timestamps and dates ->
  ``datetime``, strings -> ``category`` or ``string`` (below), pandas/polars
  categoricals -> ``category``; a column of nulls only -> ``string``.
- **nullable**: ``False`` only when the reference has no null (and, for floats, no NaN).
- **range** (numbers): from the ``quantiles`` (default 0.1 % and 99.9 %), not the raw
  min/max, widened on each side by ``margin`` times the inter-quantile span. A few bad
  values in the reference therefore never widen the range. The margin never crosses
  zero: a column whose low quantile is >= 0 gets ``min >= 0`` (and likewise for
  ``max <= 0``). ``int`` columns get whole-number bounds (rounded inward); ``float``
  bounds are rounded outward to 6 significant digits. A constant column is widened by
  ``margin`` times its value. ``source.outside_range`` counts, per column, the
  reference values the range rejects, for the reviewer.
- **categories** (strings): a column with at most ``max_categories`` distinct values,
  and at most ``category_share`` distinct values per non-null row (at least 2 are
  always allowed), is a ``category`` with the values sorted; otherwise free text.
- **rare categories**: values seen in fewer than ``min_category_count`` rows are
  dropped as noise when the rest of the column is clean: every remaining category is
  at least ``category_gap`` times as frequent as the most frequent dropped one, and
  the dropped values cover at most 1 % of the rows. A long-tailed column (Adult's
  ``native_country``, where ``Holand-Netherlands`` is seen once and ``Scotland`` 12
  times) keeps everything; a clean column with a handful of typos (``sex`` with five
  ``Mael``) loses the typos. Dropped values are listed in ``source.rare_categories``.
- **format / pattern** (free text): the first of email, uuid, url, ipv4, ISO datetime,
  ISO date, zip, digits and phone that at least ``pattern_share`` of the non-null
  values match (checked on a sample, then on the whole column); its anchored regex is
  stored in ``pattern`` (valid for Python ``re`` and RE2 alike) and its name in
  ``format``.
- **max_length** (free text): ``ceil(max_length_factor x`` the high quantile of the
  lengths ``)``, so one huge string in the reference does not set the limit.
- **unique**: an ``int`` or ``string`` column whose non-null values are all distinct,
  in at least ``min_unique_rows`` rows, and that looks like an identifier (its name
  ends in id/uuid/guid/key, or its format is uuid).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError
from aweigh.data._tables import column_kind, to_arrow
from aweigh.data.contract import ColumnContract, Contract, Policy

__all__ = ["FORMATS", "infer_contract"]

#: recognisable string formats, in the order they are tried: name -> anchored regex
FORMATS: dict[str, str] = {
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "email": r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
    "url": r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?([/?#][^ \t\r\n]*)?$",
    "ipv4": r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "zip": r"^[0-9]{5}(-[0-9]{4})?$",
    "digits": r"^[0-9]+$",
    "phone": r"^\+?[0-9][0-9 ().-]{5,18}[0-9]$",
}
_NOISE_SHARE = 0.01  # dropped rare categories may cover at most this share of rows
_SAMPLE = 2_000  # values looked at before a format is checked on the whole column
_CARDINALITY_SAMPLE = 50_000  # rows looked at before counting a long column's values
_MIN_PATTERN_ROWS = 10
_ID_TOKENS = {"id", "uuid", "guid", "key"}


def infer_contract(
    table: Any,
    *,
    margin: float = 0.1,
    quantiles: tuple[float, float] = (0.001, 0.999),
    max_categories: int = 50,
    category_share: float = 0.05,
    min_category_count: int = 10,
    category_gap: float = 20.0,
    pattern_share: float = 0.999,
    max_length_factor: float = 2.0,
    min_unique_rows: int = 100,
    policy: Policy = "reject",
    extra_columns: Literal["reject", "ignore"] = "reject",
    description: str = "",
) -> Contract:
    """The contract a reference ``table`` satisfies (see the module docstring for the rules).

    ``table`` is a pandas DataFrame, a polars DataFrame or a pyarrow Table. Every column
    gets ``policy``; ``source`` records the rows, columns and parameters used, plus
    what the robust rules left out (``outside_range``, ``rare_categories``).
    """
    _check_params(
        margin, quantiles, max_categories, category_share, min_category_count, category_gap
    )
    _check_params_2(pattern_share, max_length_factor, min_unique_rows, policy, extra_columns)
    data = to_arrow(table, what="the reference table")
    if data.num_columns == 0:
        raise InvalidInputError("The reference table has no columns; pass a table with data.")
    if data.num_rows == 0:
        raise InvalidInputError(
            "The reference table has no rows; infer a contract from a table with data "
            "(a header alone says nothing about values)."
        )
    opts = _Options(
        margin=float(margin),
        low_q=float(quantiles[0]),
        high_q=float(quantiles[1]),
        max_categories=max_categories,
        category_share=category_share,
        min_category_count=min_category_count,
        category_gap=category_gap,
        pattern_share=pattern_share,
        max_length_factor=max_length_factor,
        min_unique_rows=min_unique_rows,
        policy=policy,
    )
    columns: list[ColumnContract] = []
    outside: dict[str, int] = {}
    rare: dict[str, list[Any]] = {}
    for name, column in zip(data.column_names, data.columns, strict=True):
        result = _infer_column(str(name), column, opts)
        columns.append(result.contract)
        if result.outside:
            outside[result.contract.name] = result.outside
        if result.dropped:
            rare[result.contract.name] = result.dropped
    source: dict[str, Any] = {
        "rows": data.num_rows,
        "columns": data.num_columns,
        "margin": float(margin),
        "quantiles": [float(quantiles[0]), float(quantiles[1])],
        "max_categories": max_categories,
        "min_category_count": min_category_count,
    }
    if outside:
        source["outside_range"] = outside
    if rare:
        source["rare_categories"] = rare
    return Contract(
        columns=tuple(columns),
        extra_columns=extra_columns,
        description=description,
        source=source,
    )


@dataclass(frozen=True, slots=True)
class _Options:
    margin: float
    low_q: float
    high_q: float
    max_categories: int
    category_share: float
    min_category_count: int
    category_gap: float
    pattern_share: float
    max_length_factor: float
    min_unique_rows: int
    policy: Policy


class _Inferred:
    __slots__ = ("contract", "dropped", "outside")

    def __init__(
        self, contract: ColumnContract, outside: int = 0, dropped: list[Any] | None = None
    ) -> None:
        self.contract = contract
        self.outside = outside
        self.dropped = dropped or []


def _infer_column(name: str, column: pa.ChunkedArray, opts: _Options) -> _Inferred:
    kind = column_kind(column.type)
    nulls = column.null_count
    if kind == "dictionary":
        column = pc.cast(column, column.type.value_type)
        kind = column_kind(column.type)
        if kind == "string":
            return _strings(name, column, nulls, opts, declared=True)
    if kind == "other":
        raise InvalidInputError(
            f"Column {name!r} has Arrow type {column.type}, which a contract cannot describe; "
            "drop the column or convert it to numbers, strings, booleans or timestamps."
        )
    if nulls == len(column) or kind == "null":
        simple: Any = kind if kind in ("int", "float", "bool", "datetime") else "string"
        return _Inferred(ColumnContract(name, simple, nullable=True, policy=opts.policy))
    if kind == "bool":
        return _Inferred(ColumnContract(name, "bool", nullable=nulls > 0, policy=opts.policy))
    if kind == "datetime":
        return _Inferred(ColumnContract(name, "datetime", nullable=nulls > 0, policy=opts.policy))
    if kind == "string":
        return _strings(name, column, nulls, opts, declared=False)
    return _numbers(name, column, kind, nulls, opts)


def _numbers(
    name: str, column: pa.ChunkedArray, kind: str, nulls: int, opts: _Options
) -> _Inferred:
    if kind == "float":
        if not pa.types.is_floating(column.type):
            column = pc.cast(column, pa.float64())
        finite = pc.filter(column, pc.is_finite(column))
        missing = len(column) - len(finite)
        nans = int(pc.sum(pc.is_nan(column)).as_py() or 0)
        infinite = missing - nulls - nans
        nullable = nulls + nans > 0
    else:
        finite = pc.drop_null(column)
        infinite = 0
        nullable = nulls > 0
    if len(finite) == 0:
        return _Inferred(
            ColumnContract(name, "float", nullable=True, policy=opts.policy), outside=infinite
        )
    integral = kind == "int" or (
        nullable and bool(pc.all(pc.equal(pc.floor(finite), finite)).as_py())
    )
    q_low, q_high = (float(x) for x in pc.quantile(finite, q=[opts.low_q, opts.high_q]).to_pylist())
    span = q_high - q_low
    pad = opts.margin * (span if span > 0 else abs(q_low))
    low, high = q_low - pad, q_high + pad
    if q_low >= 0 > low:
        low = 0.0
    if q_high <= 0 < high:
        high = 0.0
    if integral:
        low, high = float(math.ceil(low)), float(math.floor(high))
    else:
        low, high = _round_out(low, up=False), _round_out(high, up=True)
    outside = int(pc.sum(pc.or_(pc.less(finite, low), pc.greater(finite, high))).as_py() or 0)
    id_like = integral and kind == "int" and _looks_like_id(name)
    unique = (
        id_like and len(finite) >= opts.min_unique_rows and len(pc.unique(finite)) == len(finite)
    )
    contract = ColumnContract(
        name,
        "int" if integral else "float",
        nullable=nullable,
        min=low,
        max=high,
        unique=unique,
        policy=opts.policy,
    )
    return _Inferred(contract, outside=outside + infinite)


def _strings(
    name: str, column: pa.ChunkedArray, nulls: int, opts: _Options, *, declared: bool
) -> _Inferred:
    values = pc.drop_null(column)
    non_null = len(values)
    nullable = nulls > 0
    if declared or not _surely_free_text(values, opts):
        counts = pc.value_counts(values)
        if declared or len(counts) <= opts.max_categories:
            kept, dropped = _robust_categories(
                counts.field("values").to_pylist(), counts.field("counts").to_pylist(), opts
            )
            limit = max(2.0, opts.category_share * non_null)
            if declared or (len(kept) <= opts.max_categories and len(kept) <= limit):
                contract = ColumnContract(
                    name,
                    "category",
                    nullable=nullable,
                    categories=tuple(sorted(kept, key=_sort_key)),
                    policy=opts.policy,
                )
                return _Inferred(contract, dropped=sorted(dropped, key=_sort_key))
    fmt, pattern = _detect_format(values, opts)
    lengths = pc.utf8_length(values)
    high = float(pc.quantile(lengths, q=[opts.high_q]).to_pylist()[0])
    max_length = max(1, math.ceil(high * opts.max_length_factor))
    unique = (
        (fmt == "uuid" or _looks_like_id(name))
        and non_null >= opts.min_unique_rows
        and len(pc.unique(values)) == non_null
    )
    contract = ColumnContract(
        name,
        "string",
        nullable=nullable,
        pattern=pattern,
        format=fmt,
        max_length=max_length,
        unique=unique,
        policy=opts.policy,
    )
    return _Inferred(contract)


def _surely_free_text(values: pa.ChunkedArray, opts: _Options) -> bool:
    """A long column whose strided sample already has too many values is free text."""
    if len(values) <= _CARDINALITY_SAMPLE:
        return False
    sample = values.take(_strided(len(values), _CARDINALITY_SAMPLE))
    distinct: int = pc.count_distinct(sample).as_py()
    return distinct > opts.max_categories


def _robust_categories(
    values: list[Any], counts: list[int], opts: _Options
) -> tuple[list[Any], list[Any]]:
    rare = [(v, c) for v, c in zip(values, counts, strict=True) if c < opts.min_category_count]
    common = [c for c in counts if c >= opts.min_category_count]
    total = sum(counts)
    if (
        rare
        and common
        and min(common) >= opts.category_gap * max(c for _, c in rare)
        and sum(c for _, c in rare) <= _NOISE_SHARE * total
    ):
        dropped = {v for v, _ in rare}
        return [v for v in values if v not in dropped], [v for v, _ in rare]
    return list(values), []


def _detect_format(values: pa.ChunkedArray, opts: _Options) -> tuple[str | None, str | None]:
    if len(values) < _MIN_PATTERN_ROWS:
        return None, None
    sample = values.take(_strided(len(values), _SAMPLE)) if len(values) > _SAMPLE else values
    for fmt, pattern in FORMATS.items():
        if _share(sample, pattern) < opts.pattern_share:
            continue
        if fmt == "digits":
            lengths = pc.min_max(pc.utf8_length(values))
            low, high = lengths["min"].as_py(), lengths["max"].as_py()
            pattern = f"^[0-9]{{{low}}}$" if low == high else f"^[0-9]{{{low},{high}}}$"
        if sample is values or _share(values, pattern) >= opts.pattern_share:
            return fmt, pattern
    return None, None


def _share(values: pa.ChunkedArray, pattern: str) -> float:
    matched = pc.sum(pc.match_substring_regex(values, pattern)).as_py() or 0
    return float(matched) / max(1, len(values))


def _strided(n: int, k: int) -> pa.Array:
    return pa.array(np.linspace(0, n - 1, num=min(n, k)).astype(np.int64))


def _looks_like_id(name: str) -> bool:
    tokens = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)
    return bool(tokens) and tokens[-1].lower() in _ID_TOKENS


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def _round_out(value: float, *, up: bool) -> float:
    """``value`` rounded away from the data to 6 significant digits (readable YAML)."""
    if value == 0 or not math.isfinite(value):
        return value
    nearest = float(f"{value:.6g}")
    if (nearest >= value if up else nearest <= value) or abs(nearest - value) <= 1e-9 * abs(value):
        return nearest  # already outward, or inward by float noise only (1.1000000000000001)
    exponent = math.floor(math.log10(abs(value))) - 5
    step = Decimal(1).scaleb(exponent)
    rounded = Decimal(value).quantize(step, rounding=ROUND_CEILING if up else ROUND_FLOOR)
    return float(rounded)


def _check_params(
    margin: float,
    quantiles: Sequence[float],
    max_categories: int,
    category_share: float,
    min_category_count: int,
    category_gap: float,
) -> None:
    if not isinstance(margin, int | float) or not math.isfinite(margin) or margin < 0:
        _bad("margin", "a number >= 0", margin)
    if (
        not isinstance(quantiles, Sequence)
        or len(quantiles) != 2
        or not all(isinstance(q, int | float) for q in quantiles)
        or not 0 <= quantiles[0] < quantiles[1] <= 1
    ):
        _bad("quantiles", "a pair (low, high) with 0 <= low < high <= 1", quantiles)
    if not isinstance(max_categories, int) or max_categories < 1:
        _bad("max_categories", "a whole number >= 1", max_categories)
    if not isinstance(category_share, int | float) or not 0 < category_share <= 1:
        _bad("category_share", "a number in (0, 1]", category_share)
    if not isinstance(min_category_count, int) or min_category_count < 0:
        _bad("min_category_count", "a whole number >= 0", min_category_count)
    if not isinstance(category_gap, int | float) or category_gap < 1:
        _bad("category_gap", "a number >= 1", category_gap)


def _check_params_2(
    pattern_share: float,
    max_length_factor: float,
    min_unique_rows: int,
    policy: str,
    extra_columns: str,
) -> None:
    if not isinstance(pattern_share, int | float) or not 0 < pattern_share <= 1:
        _bad("pattern_share", "a number in (0, 1]", pattern_share)
    if not isinstance(max_length_factor, int | float) or max_length_factor < 1:
        _bad("max_length_factor", "a number >= 1", max_length_factor)
    if not isinstance(min_unique_rows, int) or min_unique_rows < 1:
        _bad("min_unique_rows", "a whole number >= 1", min_unique_rows)
    if policy not in ("reject", "warn"):
        _bad("policy", "'reject' or 'warn'", policy)
    if extra_columns not in ("reject", "ignore"):
        _bad("extra_columns", "'reject' or 'ignore'", extra_columns)


def _bad(name: str, expected: str, got: Any) -> None:
    raise InvalidInputError(
        f"The {name!r} parameter of infer_contract must be {expected}. Got {got!r} instead."
    )
