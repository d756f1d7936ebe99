"""Batch validation: split a table into good rows and bad rows with their reasons.

``validate_table(table, contract)`` checks every row of a pyarrow Table (a pandas or
polars DataFrame is converted to Arrow once) against a :class:`Contract`, column by
column with ``pyarrow.compute`` kernels: each rule gives one boolean mask over all
rows, the ``reject`` masks are OR-ed into the rows that are bad, and violation records
are built only for those rows. There is no Python loop over rows.

Decisions (pinned by tests). Values are coerced and checked by the rules of the
online validator (:mod:`aweigh.data.online`), so one contract means the same online
and in batch; the few differences are said below.

- **Types.** Each column is coerced to its contract type (int -> int64, float ->
  float64, bool -> bool, string -> string, datetime -> timestamp[us], naive UTC; a
  category column takes its categories' type: all text -> string, all ints -> int64,
  numbers -> float64, all bools -> bool, mixed or none -> the column as it is). A
  value that cannot be coerced is a ``type`` violation: ``"12"``, ``12.0`` and
  ``"1e3"`` are ints, ``"abc"``, ``3.5``, ``True`` and anything beyond int64 are not
  (online, Python ints have no limit). A float column takes ints and numeric text; a
  bool column takes ``true``/``false`` (any case) and the ints 0 and 1; a string
  column takes only text (a number is not coerced); a datetime column takes
  timestamps, dates (midnight) and ISO 8601 text in the extended form
  ``YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|+HH[:MM]]`` (a zone offset is converted to UTC,
  where online keeps it; an impossible date such as 2023-02-30 is a violation). In a
  ``warn`` column a value that fails its coercion is served as null. A pandas object
  column that mixes Python types is read as the text of each value, so
  ``["12", "x", 3.5]`` in an int column gives 12, a violation, a violation (in a
  string column, a number among text passes as its text, where online refuses it).
- **NaN** (a float NaN, or the text ``nan``) is a missing value: null where the
  column is nullable (no violation), a ``type`` violation where it is not.
  **Infinity** is always a ``type`` violation (it is a value, not a missing one).
- **Nulls** are a ``null`` violation only with ``nullable: false``; other rules skip
  nulls.
- **min/max** (inclusive) apply to numeric values, **categories** to every type but
  datetime, **pattern** and **max_length** (characters) to text. A pattern is
  *searched* (``re.search``, as online and in Arrow's ``match_substring_regex``):
  anchor it with ``^...$`` to match whole values. Patterns run on RE2; one RE2
  cannot compile (backreferences, lookaround) runs Python's ``re`` once per distinct
  value.
- **unique**: the first occurrence of a value stays good and every later occurrence
  is a ``unique`` violation, so the good rows are duplicate-free and the first row
  goes on; nulls are never duplicates. Uniqueness holds within the table validated.
- **Missing columns refuse the whole table** (``InvalidInputError`` naming them,
  a close match in the table, and the fix): every row would fail the same way, and a
  file quarantined whole for a renamed column hides the real problem. **Extra
  columns**: with ``extra_columns: reject`` the table is refused the same way; with
  ``ignore`` they pass through unchecked and unchanged, after the contract's columns.
- Only ``reject`` rules make a row bad. ``warn`` violations are counted in
  :meth:`BatchResult.summary` and listed on bad rows; their rows stay good.
- ``bad`` holds the original values as text, ``_row`` (the row's index in the input,
  or its original ``_row`` on a replay) and ``_violations``: a list of
  ``{column, rule, value, message, policy}`` per row, by contract column order then
  rule. Every broken rule is listed (online stops at a value's first). A
  violation's ``value`` is cut to 200 characters; the full value is in its column.
- Big tables (100,000 rows or more) are checked a column per thread, on up to
  ``pyarrow.cpu_count()`` threads (at most 8): Arrow's kernels release the GIL.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Protocol, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError
from aweigh.data.contract import ColumnContract, Contract

__all__ = [
    "ROW",
    "VIOLATION",
    "VIOLATIONS",
    "BatchResult",
    "QuarantineReader",
    "SummaryRow",
    "as_table",
    "replay",
    "validate_table",
]

ROW = "_row"
VIOLATIONS = "_violations"
#: one entry of ``_violations``
VIOLATION = pa.struct(
    [
        ("column", pa.string()),
        ("rule", pa.string()),
        ("value", pa.string()),
        ("message", pa.string()),
        ("policy", pa.string()),
    ]
)
TARGET_TYPES: dict[str, pa.DataType] = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "category": pa.string(),
    "datetime": pa.timestamp("us"),
}
_VALUE_CHARS = 200
_INT_TEXT = r"^[+-]?[0-9]+$"
_FLOAT_TEXT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NAN_TEXT = r"(?i)^[+-]?nan$"
_ISO = (
    r"^(?P<d>\d{4}-\d{2}-\d{2})(?:[T ](?P<h>\d{2}:\d{2})(?P<s>:\d{2})?(?P<f>\.\d{1,9})?)?"
    r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_PARALLEL_ROWS = 100_000
_MAX_WORKERS = 8
T = TypeVar("T")
R = TypeVar("R")
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)


#: (column, rule, policy, count)
SummaryRow = tuple[str, str, str, int]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome of validating one table.

    ``good``: the good rows, cast to the contract's types, in input order (then any
    extra columns passed through). ``good_rows``: their row indices in the input
    (their ``_row`` values on a replay). ``bad``: the bad rows as text with ``_row``
    and ``_violations``. ``rows``: rows validated. ``counts``: violations per
    (column, rule, policy), see :meth:`summary`.
    """

    good: pa.Table
    bad: pa.Table
    rows: int
    counts: tuple[SummaryRow, ...]
    max_bad_share: float | None = None
    _keep: pa.ChunkedArray | None = field(default=None, repr=False)  # None: all good
    _row_ids: pa.Array | None = field(default=None, repr=False)  # None: positions

    @property
    def good_rows(self) -> pa.Array:
        """The good rows' indices in the input (their ``_row`` on a replay), int64."""
        if self._keep is None:
            if self._row_ids is not None:
                return self._row_ids
            return pa.array(np.arange(self.rows, dtype=np.int64))
        return _ids(self._keep, self._row_ids)

    @property
    def bad_share(self) -> float:
        return self.bad.num_rows / self.rows if self.rows else 0.0

    @property
    def over_threshold(self) -> bool:
        return self.max_bad_share is not None and self.bad_share > self.max_bad_share

    def summary(self) -> list[SummaryRow]:
        """Violations per (column, rule, policy) over all rows, warn ones included, sorted."""
        return sorted(self.counts)


class QuarantineReader(Protocol):
    """What :func:`replay` needs of a quarantine store (``QuarantineStore`` has it)."""

    def read(self, batch_id: str) -> pa.Table: ...


@dataclass(frozen=True, slots=True)
class _Check:
    column: str
    rule: str
    policy: str
    mask: pa.Array  # boolean without nulls: True where the rule is broken
    count: int
    before: str  # the message is before + value + after
    after: str


# -- entry points ------------------------------------------------------------------------
def validate_table(
    table: Any, contract: Contract, *, max_bad_share: float | None = None
) -> BatchResult:
    """Check every row of ``table`` against ``contract``; see the module docstring."""
    _check_args("validate_table", contract, max_bad_share)
    return _validate(as_table(table), contract, max_bad_share, row_ids=None)


def replay(
    store: QuarantineReader,
    batch_id: str,
    contract: Contract,
    fixed_table: Any = None,
    *,
    max_bad_share: float | None = None,
) -> BatchResult:
    """Validate a quarantined batch again, as fixed by a human or as it was.

    ``fixed_table`` is what the caller read from the file the user edited (an
    ``export`` of the batch); without it the batch is read back from ``store``.
    Columns whose names start with ``_`` (``_row``, ``_violations``, ``_errors``, the
    store's bookkeeping) are dropped unless the contract lists them; ``_row`` keeps
    the rows' original indices. The caller then writes ``good``, puts ``bad`` back
    into the store and marks the batch replayed, in that order, so that nothing
    validated is lost if it stops half-way.
    """
    _check_args("replay", contract, max_bad_share)
    data = as_table(store.read(batch_id) if fixed_table is None else fixed_table)
    row_ids = None
    if ROW in data.column_names and ROW not in contract.names:
        try:
            row_ids = pc.cast(data.column(ROW), pa.int64()).combine_chunks()
        except _ARROW_ERRORS as exc:
            raise InvalidInputError(
                f"The {ROW} column of the rows replayed into batch {batch_id!r} must hold "
                f"the original row numbers; it does not ({exc}). Restore it from an export "
                f"of the batch or drop the column.",
                {"batch": batch_id, "column": ROW},
            ) from exc
        if row_ids.null_count:
            row_ids = None
    keep = [n for n in data.column_names if not n.startswith("_") or n in contract.names]
    return _validate(data.select(keep), contract, max_bad_share, row_ids=row_ids)


def as_table(data: Any) -> pa.Table:
    """A pyarrow Table of a Table, RecordBatch, pandas or polars DataFrame."""
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif type(data).__module__.startswith("pandas") and hasattr(data, "columns"):
        table = _from_pandas(data)
    elif type(data).__module__.startswith("polars") and hasattr(data, "to_arrow"):
        table = data.to_arrow()
    else:
        raise InvalidInputError(
            "Batch validation takes a pyarrow Table or a pandas or polars DataFrame. "
            f"Got {type(data).__name__} instead; convert it (e.g. pyarrow.table(...)) first."
        )
    _refuse_duplicates(table.column_names)
    return table


def _from_pandas(frame: Any) -> pa.Table:
    names = [str(n) for n in frame.columns]
    _refuse_duplicates(names)
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except _ARROW_ERRORS:
        arrays = []
        for position in range(frame.shape[1]):  # a loop over columns, not rows
            series = frame.iloc[:, position]
            try:
                arrays.append(pa.array(series, from_pandas=True))
            except _ARROW_ERRORS:  # mixed types in one column: every value as its text
                arrays.append(pa.array(series.astype("string"), from_pandas=True))
        return pa.table(arrays, names=names)


def _refuse_duplicates(names: list[str]) -> None:
    if len(set(names)) == len(names):
        return
    twice = sorted({n for n in names if names.count(n) > 1})
    raise InvalidInputError(
        f"The table has more than one column named {twice}. Rename them so that each "
        "column name appears once.",
        {"columns": twice},
    )


def _check_args(owner: str, contract: Any, max_bad_share: Any) -> None:
    if not isinstance(contract, Contract):
        raise InvalidInputError(
            f"The 'contract' parameter of {owner} must be a Contract. "
            f"Got {type(contract).__name__} instead; load it with Contract.from_dict."
        )
    if max_bad_share is None:
        return
    number = isinstance(max_bad_share, int | float) and not isinstance(max_bad_share, bool)
    if not number or not 0.0 <= max_bad_share <= 1.0:
        raise InvalidInputError(
            f"The 'max_bad_share' parameter of {owner} must be a number in [0, 1] or "
            f"None. Got {max_bad_share!r} instead.",
            {"parameter": "max_bad_share"},
        )


def _check_columns(names: list[str], contract: Contract) -> list[str]:
    """The extra columns to pass through; refuses missing ones and rejected extras."""
    present, wanted = set(names), set(contract.names)
    missing = [n for n in contract.names if n not in present]
    extra = [n for n in names if n not in wanted]
    if missing:
        hints = []
        for name in missing[:10] if len(extra) <= 1000 else ():
            close = difflib.get_close_matches(name, extra, n=1)
            if close:
                hints.append(f"{name!r} (the table has {close[0]!r})")
        hint = f" Did you mean: {', '.join(hints)}?" if hints else ""
        raise InvalidInputError(
            f"The table has no column(s) {missing}, which the contract requires; no row "
            f"was validated.{hint} Add the column(s) to the table, or remove them from "
            "the contract.",
            {"missing": missing, "columns": names},
        )
    clash = [n for n in extra if n in (ROW, VIOLATIONS)]
    if clash:
        raise InvalidInputError(
            f"The table has column(s) {clash}, names that the bad rows' table uses for "
            "its row numbers and violations. Rename them, or add them to the contract.",
            {"columns": clash},
        )
    if extra and contract.extra_columns == "reject":
        shown = extra[:10] + (["..."] if len(extra) > 10 else [])
        raise InvalidInputError(
            f"The table has {len(extra)} column(s) the contract does not list: {shown}; "
            "no row was validated. Drop them, add them to the contract, or set "
            "'extra_columns: ignore' in the contract to pass them through unchecked.",
            {"extra": extra},
        )
    return extra


# -- the validation ----------------------------------------------------------------------
def _validate(
    data: pa.Table,
    contract: Contract,
    max_bad_share: float | None,
    row_ids: pa.Array | None,
) -> BatchResult:
    extra = _check_columns(data.column_names, contract)
    n = data.num_rows
    values: list[pa.ChunkedArray] = []
    checks: list[_Check] = []

    def one(column: ColumnContract) -> tuple[pa.ChunkedArray, list[_Check]]:
        return _column(_prepared(data.column(column.name)), column)

    for converted, found in _parallel(one, contract.columns, n):
        values.append(converted)
        checks.extend(found)
    good_names = [*contract.names, *extra]
    good_all = pa.table([*values, *(data.column(e) for e in extra)], names=good_names)
    counts = tuple((c.column, c.rule, c.policy, c.count) for c in checks)
    reject = [c.mask for c in checks if c.policy == "reject"]
    if not reject:
        return BatchResult(good_all, _empty_bad(data), n, counts, max_bad_share, None, row_ids)
    bad_mask = reduce(pc.or_, reject)
    keep = pc.invert(bad_mask)
    kept = _parallel(lambda column: column.filter(keep), good_all.columns, n)
    good = pa.table(kept, schema=good_all.schema)
    bad = _bad_table(data, bad_mask, row_ids, checks)
    return BatchResult(good, bad, n, counts, max_bad_share, keep, row_ids)


def _parallel(function: Callable[[T], R], items: Sequence[T], rows: int) -> list[R]:
    """``function`` over ``items`` on a few threads when the table is big (Arrow's
    kernels release the GIL), else in this thread."""
    workers = min(_MAX_WORKERS, pa.cpu_count(), len(items))
    if rows < _PARALLEL_ROWS or workers < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(workers, thread_name_prefix="aweigh-validate") as pool:
        return list(pool.map(function, items))


def _ids(mask: pa.ChunkedArray, row_ids: pa.Array | None) -> pa.Array:
    """The row ids where ``mask`` is true: positions, or the given ``row_ids`` there."""
    if row_ids is None:
        chunks = [c.to_numpy(zero_copy_only=False) for c in mask.chunks]
        flags = np.concatenate(chunks) if chunks else np.zeros(0, dtype=bool)
        return pa.array(np.flatnonzero(flags).astype(np.int64, copy=False))
    picked = row_ids.filter(mask)
    return picked.combine_chunks() if isinstance(picked, pa.ChunkedArray) else picked


# -- one column: cast, then the rules ------------------------------------------------------
def _column(array: pa.Array, column: ColumnContract) -> tuple[pa.Array, list[_Check]]:
    """The column cast to its contract type, and the rules it breaks (with counts > 0)."""
    values, failed = _cast(array, column)
    name, kind = column.name, column.type
    found: list[_Check] = []
    at = f"column {name!r}: "

    def add(rule: str, mask: pa.Array | None, before: str, after: str = "") -> None:
        if mask is None:
            return
        count = _count(mask)
        if count:
            found.append(_Check(name, rule, column.policy, mask, count, before, after))

    add("type", failed, f"{at}value '", f"' is not a valid {kind}{_TYPE_HINTS.get(kind, '')}")
    if not column.nullable and values.null_count:
        nulls = pc.is_null(values)
        add(
            "null",
            nulls if failed is None else pc.and_not(nulls, failed),
            f"{at}the value is missing, and the contract says nullable: false",
        )
    numeric = pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
    if numeric:
        number = "int" if pa.types.is_integer(values.type) else "float"
        for rule, bound, compare, word, fix in (
            ("min", column.min, pc.less, "below the minimum", "lower"),
            ("max", column.max, pc.greater, "above the maximum", "raise"),
        ):
            if bound is not None:
                mask = _filled(compare(values, _scalar(bound, number, rule)))
                after = f" is {word} {bound:g}; fix it, or {fix} '{rule}' in the contract"
                add(rule, mask, f"{at}value ", after)
    text = _is_text(values.type)
    if column.categories is not None and kind != "datetime":
        allowed = _value_set(column.categories, values.type)
        outside = pc.invert(pc.is_in(values, value_set=allowed))
        shown = ", ".join(repr(c) for c in column.categories[:5])
        more = ", ..." if len(column.categories) > 5 else ""
        add(
            "category",
            _valid_only(outside, values),
            f"{at}value '",
            f"' is not one of the {len(column.categories)} categories ({shown}{more}); "
            "fix it, or add it to 'categories' in the contract",
        )
    if text and column.pattern is not None:
        matched = _filled(_search(values, column.pattern), True)
        add(
            "pattern",
            pc.invert(matched),
            f"{at}value '",
            f"' does not match the pattern {column.pattern!r}",
        )
    if text and column.max_length is not None:
        longer = _longer(values, column.max_length)
        add("length", longer, f"{at}value '", f"' is longer than max_length {column.max_length}")
    if column.unique:
        add(
            "unique",
            _duplicates(values),
            f"{at}value '",
            "' already appeared in an earlier row (unique: true)",
        )
    return values, found


_TYPE_HINTS = {
    "int": " (a whole number; NaN passes, as null, only where the column is nullable)",
    "float": " (a finite number; NaN passes, as null, only where the column is nullable)",
    "datetime": " (use ISO 8601, e.g. 2024-05-01 or 2024-05-01T13:45:00Z)",
    "bool": " (use true or false, or 1 or 0)",
    "string": " (only text: a number in a string column is not coerced)",
}


def _count(mask: pa.ChunkedArray | pa.Array) -> int:
    chunks = mask.chunks if isinstance(mask, pa.ChunkedArray) else [mask]
    return sum(chunk.true_count for chunk in chunks)


def _filled(mask: pa.Array, value: bool = False) -> pa.Array:
    """A boolean mask with its nulls read as ``value`` (Kleene logic on the bitmaps:
    a hundred times faster than ``fill_null`` on booleans)."""
    if not mask.null_count:
        return mask
    if value:
        return pc.or_kleene(mask, pc.is_null(mask))
    return pc.and_kleene(mask, pc.is_valid(mask))


def _valid_only(mask: pa.Array, values: pa.Array) -> pa.Array:
    return pc.and_(mask, pc.is_valid(values)) if values.null_count else mask


def _longer(values: pa.ChunkedArray, limit: int) -> pa.ChunkedArray:
    """Values of more than ``limit`` characters. Only values of more than ``limit``
    bytes can be: their characters are counted, the others' never are."""
    over = _filled(pc.greater(pc.binary_length(values), limit))
    candidates = pc.indices_nonzero(over)
    if not len(candidates):
        return over
    characters = pc.utf8_length(pc.take(values, candidates))
    short = candidates.filter(pc.less_equal(characters, limit))
    if not len(short):  # every candidate is long in characters too (ASCII, say)
        return over
    mask = (
        over.to_numpy()
        if isinstance(over, pa.Array)
        else np.concatenate([c.to_numpy(zero_copy_only=False) for c in over.chunks])
    )
    mask = np.array(mask, dtype=bool)
    mask[short.to_numpy()] = False
    return pa.chunked_array([pa.array(mask)])


def _scalar(bound: float, kind: str, rule: str) -> pa.Scalar:
    """The bound as the column's type where that is exact (no int -> float cast per row)."""
    if kind == "int" and math.isfinite(bound):
        whole = math.ceil(bound) if rule == "min" else math.floor(bound)
        if -(2**63) <= whole < 2**63:
            return pa.scalar(whole, pa.int64())
    return pa.scalar(bound, pa.float64())


def _value_set(categories: tuple[Any, ...], target: pa.DataType) -> pa.Array:
    if pa.types.is_string(target) or pa.types.is_large_string(target):
        return pa.array([c if isinstance(c, str) else str(c) for c in categories], target)
    kept = []
    for category in categories:  # a loop over the contract's categories, not rows
        try:
            kept.append(pa.scalar(category).cast(target))
        except (*_ARROW_ERRORS, TypeError):
            continue
    return pa.array([k.as_py() for k in kept], target)


def _search(values: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    """Whether ``pattern`` is found in each value (RE2; Python's re where RE2 cannot)."""
    try:
        return pc.match_substring_regex(values, pattern)
    except pa.ArrowInvalid:  # backreferences, lookaround: Python's re, once per distinct value
        distinct = pc.drop_null(pc.unique(values))
        compiled = re.compile(pattern)
        good = [compiled.search(v) is not None for v in distinct.to_pylist()]
        matched = pc.is_in(values, value_set=distinct.filter(pa.array(good, pa.bool_())))
        return pc.if_else(pc.is_valid(values), matched, None)


def _duplicates(values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """True on every non-null value already seen in an earlier row.

    Values become small non-negative codes (ints in a narrow range: an offset; other
    values: their dictionary index), counted with one ``bincount``; only the rows of
    values counted twice or more are then sorted out (first occurrence or repeat).
    """
    size = len(values)
    if size - values.null_count < 2:
        return None
    codes, null_code = _codes(values)
    repeated_code = np.bincount(codes) > 1
    if null_code is not None:
        repeated_code[null_code] = False
    if not repeated_code.any():
        return None
    rows = np.flatnonzero(repeated_code[codes])  # every occurrence of a repeated value
    _, first = np.unique(codes[rows], return_index=True)
    repeated = np.zeros(size, dtype=bool)
    repeated[rows] = True
    repeated[rows[first]] = False
    return pa.chunked_array([pa.array(repeated)])


def _codes(values: pa.ChunkedArray) -> tuple[np.ndarray, int | None]:
    """Non-negative int codes, equal exactly where values are, and the code of null."""
    if pa.types.is_integer(values.type) and not values.null_count:
        low, high = pc.min(values).as_py(), pc.max(values).as_py()
        if high - low < 4 * len(values) + 1024:
            codes = values.to_numpy()
            return (codes - low if low else codes), None
    encoded = pc.dictionary_encode(values)  # chunks share one dictionary: codes agree
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    indices = pa.chunked_array([c.indices for c in chunks], pa.int32())
    if not values.null_count:
        return indices.to_numpy(), None
    return pc.fill_null(indices, len(chunks[0].dictionary)).to_numpy(), len(chunks[0].dictionary)


# -- casts, as the online validator coerces (see aweigh.data.online) ---------------------
#: (values in the target type with failures as null, True where a present value failed)
Cast = tuple[pa.ChunkedArray, pa.ChunkedArray | None]


def _cast(array: pa.ChunkedArray, column: ColumnContract) -> Cast:
    """Coerce a column; NaN counts as null where the column is nullable, else ``type``."""
    kind = _coercion(column)
    if pa.types.is_null(array.type):
        target = TARGET_TYPES.get(kind, pa.string())
        return pa.chunked_array([pa.nulls(len(array), target)]), None
    convert = _CONVERTERS[kind]
    values, failed, nan = convert(array)
    if nan is not None and _count(nan):
        values = pc.if_else(nan, None, values)
        if not column.nullable:
            failed = nan if failed is None else pc.or_(failed, nan)
    return values, failed


def _coercion(column: ColumnContract) -> str:
    """The type a column's values are coerced to; a category's is its categories' type."""
    if column.type != "category":
        return column.type
    kinds = {type(c) for c in column.categories or ()}
    if kinds == {str}:
        return "string"
    if kinds == {bool}:
        return "bool"
    if kinds == {int}:
        return "int"
    if kinds and kinds <= {int, float}:
        return "float"
    return "scalar"  # no categories, or mixed ones: any string or number as it is


Converted = tuple[pa.ChunkedArray, pa.ChunkedArray | None, pa.ChunkedArray | None]


def _unusable(array: pa.ChunkedArray, kind: str) -> Converted:
    target = TARGET_TYPES.get(kind, pa.string())
    return pa.chunked_array([pa.nulls(len(array), target)]), pc.is_valid(array), None


def _failed(array: pa.ChunkedArray, ok: pa.ChunkedArray) -> pa.ChunkedArray:
    """Present values that are not ``ok`` (``ok`` may hold nulls: they count as not ok)."""
    return pc.and_not(pc.is_valid(array), _filled(ok))


def _float_nan(array: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """NaN in a float column (pandas' missing number), else None."""
    if not pa.types.is_floating(array.type):
        return None
    return _filled(pc.is_nan(array))


def _nan_text(text: pa.ChunkedArray) -> pa.ChunkedArray:
    return _filled(pc.match_substring_regex(text, _NAN_TEXT))


def _to_int(array: pa.ChunkedArray) -> Converted:
    kind = array.type
    if kind == pa.int64():
        return array, None, None
    if pa.types.is_integer(kind):
        if kind != pa.uint64():
            return pc.cast(array, pa.int64()), None, None
        ok = pc.less_equal(array, pa.scalar(2**63 - 1, pa.uint64()))
        return pc.cast(pc.if_else(ok, array, None), pa.int64()), _failed(array, ok), None
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        number = pc.cast(array, pa.float64(), safe=False)
        values, ok = _whole(number)
        nan = _float_nan(number)
        failed = _failed(array, ok)
        return values, failed if nan is None else pc.and_not(failed, nan), nan
    if not _is_text(kind):  # bools too: True is not an integer here
        return _unusable(array, "int")
    text = pc.utf8_trim_whitespace(array)
    ok = _filled(pc.match_substring_regex(text, _INT_TEXT))
    lengths = pc.utf8_length(text)
    if (pc.max(lengths).as_py() or 0) >= 19:  # 19+ characters may overflow int64
        magnitude = pc.utf8_ltrim(pc.utf8_ltrim(text, characters="+-"), characters="0")
        size = pc.utf8_length(magnitude)
        limit = pc.if_else(pc.starts_with(text, "-"), "9223372036854775808", "9223372036854775807")
        fits = pc.or_(
            pc.less(size, 19), pc.and_(pc.equal(size, 19), pc.less_equal(magnitude, limit))
        )
        ok = pc.and_(ok, _filled(fits))
    values = pc.cast(pc.if_else(ok, text, None), pa.int64())
    decimal = pc.and_not(_filled(pc.match_substring_regex(text, _FLOAT_TEXT)), ok)
    if _count(decimal):  # "3.0", "1e3": whole numbers written as floats
        whole, whole_ok = _whole(pc.cast(pc.if_else(decimal, text, None), pa.float64()))
        values = pc.coalesce(values, whole)
        ok = pc.or_(ok, whole_ok)
    nan = _nan_text(text)
    return values, pc.and_not(_failed(array, ok), nan), nan


def _whole(number: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Floats that are whole numbers in int64's range, as int64; and where they are."""
    ok = pc.and_(
        pc.and_(pc.is_finite(number), pc.equal(pc.floor(number), number)),
        pc.and_(pc.greater_equal(number, -(2.0**63)), pc.less(number, 2.0**63)),
    )
    ok = _filled(ok)
    return pc.cast(pc.if_else(ok, number, None), pa.int64(), safe=False), ok


def _to_float(array: pa.ChunkedArray) -> Converted:
    kind = array.type
    failed: pa.ChunkedArray | None = None
    nan: pa.ChunkedArray | None = None
    if kind == pa.float64():
        values = array
    elif _is_number(kind):
        values = pc.cast(array, pa.float64(), safe=False)
    elif _is_text(kind):
        text = pc.utf8_trim_whitespace(array)
        ok = _filled(pc.match_substring_regex(text, _FLOAT_TEXT))
        values = pc.cast(pc.if_else(ok, text, None), pa.float64())
        nan = _nan_text(text)
        failed = pc.and_not(_failed(array, ok), nan)
    else:  # bools too: True is not a number here
        return _unusable(array, "float")
    special = pc.invert(_filled(pc.is_finite(values), True))  # NaN, inf, -inf
    if _count(special):
        number_nan = _filled(pc.is_nan(values))
        infinite = pc.and_not(special, number_nan)
        nan = number_nan if nan is None else pc.or_(nan, number_nan)
        values = pc.if_else(special, None, values)
        if _count(infinite):
            failed = infinite if failed is None else pc.or_(failed, infinite)
    return values, failed, nan


def _to_bool(array: pa.ChunkedArray) -> Converted:
    kind = array.type
    if pa.types.is_boolean(kind):
        return array, None, None
    if pa.types.is_integer(kind):
        ok = pc.is_in(array, value_set=pa.array([0, 1], kind))
        return pc.cast(pc.if_else(ok, array, None), pa.bool_()), _failed(array, ok), None
    if not _is_text(kind):
        nan = _float_nan(array)
        values, failed, _ = _unusable(array, "bool")
        return values, failed if nan is None else pc.and_not(failed, nan), nan
    word = pc.utf8_lower(pc.utf8_trim_whitespace(array))
    true = pc.equal(word, "true")
    ok = pc.or_(true, pc.equal(word, "false"))
    return pc.if_else(ok, true, None), _failed(array, ok), None


def _to_string(array: pa.ChunkedArray) -> Converted:
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return array, None, None
    nan = _float_nan(array)  # numbers are not text here, but NaN is a missing value
    values, failed, _ = _unusable(array, "string")
    return values, failed if nan is None else pc.and_not(failed, nan), nan


def _to_scalar(array: pa.ChunkedArray) -> Converted:
    kind = array.type
    if _is_text(kind) or _is_number(kind) or pa.types.is_boolean(kind):
        return array, None, _float_nan(array)
    return _unusable(array, "string")


def _to_datetime(array: pa.ChunkedArray) -> Converted:
    kind = array.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return pc.cast(array, pa.timestamp("us"), safe=False), None, None  # zoned: UTC
    if not _is_text(kind):
        nan = _float_nan(array)
        values, failed, _ = _unusable(array, "datetime")
        return values, failed if nan is None else pc.and_not(failed, nan), nan
    parts = pc.extract_regex(pc.utf8_trim_whitespace(array), _ISO)

    def part(name: str, default: str) -> pa.ChunkedArray:
        value = pc.struct_field(parts, name)
        return pc.if_else(pc.equal(value, ""), default, value)

    canon = pc.binary_join_element_wise(
        part("d", ""), " ", part("h", "00:00"), part("s", ":00"), ""
    )
    whole = pc.strptime(canon, "%Y-%m-%d %H:%M:%S", "s", error_is_null=True)
    # strptime rolls 2023-02-30 over to March: a value is real only if it prints back
    ok = _filled(pc.equal(pc.strftime(whole, "%Y-%m-%d %H:%M:%S"), canon))
    fraction = pc.binary_join_element_wise("0", part("f", ".0"), "")
    micros = pc.cast(pc.round(pc.multiply(pc.cast(fraction, pa.float64()), 1e6)), pa.int64())
    zone = part("z", "+00:00")
    zone = pc.if_else(pc.equal(zone, "Z"), "+00:00", zone)
    zone_h = pc.cast(pc.utf8_slice_codeunits(zone, 1, 3), pa.int64())
    zone_m = pc.if_else(
        pc.equal(pc.utf8_length(zone), 3),
        0,
        pc.cast(pc.utf8_slice_codeunits(zone, -2), pa.int64()),
    )
    offset = pc.multiply(pc.add(pc.multiply(zone_h, 3600), pc.multiply(zone_m, 60)), 1_000_000)
    offset = pc.if_else(pc.starts_with(zone, "-"), pc.negate(offset), offset)
    total = pc.add(pc.multiply(pc.cast(whole, pa.int64()), 1_000_000), micros)
    values = pc.cast(pc.if_else(ok, pc.subtract(total, offset), None), pa.timestamp("us"))
    return values, _failed(array, ok), None


_CONVERTERS: dict[str, Callable[[pa.ChunkedArray], Converted]] = {
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "string": _to_string,
    "scalar": _to_scalar,
    "datetime": _to_datetime,
}


def _is_number(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
    )


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _prepared(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column with one text type and dictionaries decoded; chunks are kept (no copy)."""
    kind = column.type
    small = column.nbytes < 2**31 - 2**20
    if (pa.types.is_large_string(kind) or pa.types.is_string_view(kind)) and small:
        column = column.cast(pa.string())  # one text type for the kernels below
    elif (pa.types.is_string(kind) or pa.types.is_string_view(kind)) and not small:
        column = column.cast(pa.large_string())
    if pa.types.is_dictionary(column.type):
        column = _prepared(column.cast(column.type.value_type))
    return column


def _empty_bad(data: pa.Table) -> pa.Table:
    fields = [pa.field(n, pa.string()) for n in data.column_names]
    fields += [pa.field(ROW, pa.int64()), pa.field(VIOLATIONS, pa.list_(VIOLATION))]
    return pa.schema(fields).empty_table()


def _bad_table(
    data: pa.Table, bad_mask: pa.ChunkedArray, row_ids: pa.Array | None, checks: list[_Check]
) -> pa.Table:
    """The bad rows as text, with their row ids and every violation (warn ones too)."""
    picked = data.filter(bad_mask)  # one pass for all columns: cheaper than one per column
    texts = {n: _text(picked.column(n)) for n in data.column_names}
    masks = pa.table([c.mask for c in checks], names=[str(i) for i in range(len(checks))])
    masks = masks.filter(bad_mask)
    rows: list[np.ndarray] = []
    numbers: list[np.ndarray] = []
    values: list[pa.Array] = []
    for number, check in enumerate(checks):
        hit = pc.indices_nonzero(masks.column(number))
        if not len(hit):
            continue
        rows.append(hit.to_numpy())
        numbers.append(np.full(len(hit), number, dtype=np.int64))
        if check.rule == "null":
            values.append(pa.nulls(len(hit), pa.string()))
        else:
            values.append(_clip(texts[check.column].take(hit)))
    row = np.concatenate(rows)
    order = np.lexsort((np.concatenate(numbers), row))  # by row, then by check
    which = pa.array(np.concatenate(numbers)[order])
    value = pa.concat_arrays(values).take(pa.array(order))

    def per_check(attribute: str) -> pa.Array:
        return pa.array([getattr(c, attribute) for c in checks], pa.string()).take(which)

    message = pc.binary_join_element_wise(
        per_check("before"),
        value,
        per_check("after"),
        "",
        null_handling="replace",
        null_replacement="",
    )
    struct = pa.StructArray.from_arrays(
        [per_check("column"), per_check("rule"), value, message, per_check("policy")],
        fields=list(VIOLATION),
    )
    offsets = np.zeros(picked.num_rows + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=picked.num_rows), out=offsets[1:])
    violations = pa.ListArray.from_arrays(pa.array(offsets), struct)
    arrays = [*texts.values(), _ids(bad_mask, row_ids), violations]
    return pa.table(arrays, names=[*texts, ROW, VIOLATIONS])


def _text(column: pa.ChunkedArray) -> pa.Array:
    """Values as text (null stays null), for the few rows of the bad table."""
    array = _prepared(column).combine_chunks()
    if pa.types.is_string(array.type):
        return array
    try:
        return pc.cast(array, pa.string())
    except _ARROW_ERRORS:  # nested or non-UTF-8 binary values: only the bad rows get here
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], pa.string())


def _clip(text: pa.Array) -> pa.Array:
    long = pc.greater(pc.utf8_length(text), _VALUE_CHARS)
    if not pc.any(long).as_py():
        return text
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, _VALUE_CHARS), "…", "")
    return pc.if_else(long, cut, text)
