"""Scan a table for PII: which columns hold which kinds, and what free text contains.

``scan_table(table)`` takes a pandas or polars DataFrame or a pyarrow Table and looks at
every text column (integer columns as their decimal text; binary ones decoded, see
below). For each column:

1. **Whole values.** One RE2 pass (``pyarrow.compute.match_substring_regex``, linear
   time) with every kind's anchored pattern finds the values shaped like some kind of
   PII; per-kind passes then run only on those, and checksums (Luhn, Verhoeff, mod 97,
   GSTIN) run vectorised with numpy on each kind's candidates. The result is exactly
   :func:`~aweigh.privacy.detectors.classify` of every value, without a Python loop
   over rows. A column **holds** a kind when at least ``threshold`` (default 0.8) of
   its non-empty values are of that kind; it is reported with that share and masked
   examples.
2. **Free text.** The other values (neither blank nor a whole value of PII shape) are
   searched: one RE2 pass with every kind's pattern and boundaries picks the values
   with a possible span, per-kind passes say which kinds to try on each, and
   :func:`~aweigh.privacy.detectors.detect` (restricted to those kinds) decides with
   the checks. ``free_text[column][kind]`` counts the values holding at least one span
   of the kind, whole values of a kind the column does not hold included. A value that
   has a kind's exact shape but fails its check (a 16-digit id that fails Luhn) is an
   identifier of something else and is not searched.

Dates of birth are looked for only in columns named like one (``dob``, ``birth_date``);
a date or timestamp column so named holds ``date_of_birth`` outright. Names and
places: see :func:`~aweigh.privacy.detectors.names_supported`; without presidio the
report says they are not detected, with it they are counted on the first
``NAMES_SAMPLE`` values of each free-text column.

The report never holds a raw value: examples go through
:func:`~aweigh.privacy.masking.mask`. Shares are of the non-empty values (null and
blank cells are not counted). Column types: text, dictionary-encoded text (decoded),
integers (as text), binary (UTF-8; bytes that are not valid UTF-8 are decoded with
U+FFFD replacement characters, and a note says so), pandas object columns mixing
``str``, ``bytes``, numbers and ``None`` (each value as text, bytes decoded the same way).
Floats, booleans, nested and temporal columns (but a date of birth) are not scanned.

Columns are scanned on a thread pool (Arrow's kernels release the GIL).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.core.errors import InvalidInputError
from aweigh.privacy.checksums import (
    IBAN_LENGTHS,
    gstin_valid_array,
    iban_valid_array,
    luhn_valid_array,
    verhoeff_valid_array,
)
from aweigh.privacy.detectors import (
    CARD_IIN,
    DETECTORS,
    EMAIL_INVALID,
    NAMES_NOT_DETECTED,
    OVERLAPS,
    Detector,
    _detect_with,
    classify,
    detect,
    detector,
    is_dob_column,
    names_supported,
)
from aweigh.privacy.masking import mask

__all__ = ["NAMES_SAMPLE", "THRESHOLD", "ColumnFinding", "ScanReport", "scan_table"]

THRESHOLD = 0.8
NAMES_SAMPLE = 200
_SEED = 42
_GUIDE = 256  # values classified in Python to pick the order of the per-kind passes
_WHOLE = tuple(d for d in DETECTORS if not d.column_hint)
_DOB = detector("date_of_birth")


class ColumnFinding(NamedTuple):
    """A kind of PII a column holds, the share of its non-empty values of that kind, and
    masked examples (unpacks as ``kind, share, examples``)."""

    kind: str
    share: float
    examples: tuple[str, ...]


@dataclass(frozen=True)
class ScanReport:
    """What :func:`scan_table` found.

    ``columns`` lists every scanned column (an empty list when it holds no kind);
    ``free_text`` only the columns with embedded PII (column -> kind -> number of
    values); ``values`` the number of non-empty values scanned per column.
    """

    rows: int
    scanned_rows: int
    threshold: float
    columns: Mapping[str, list[ColumnFinding]]
    free_text: Mapping[str, dict[str, int]]
    names_detected: bool
    notes: tuple[str, ...] = ()
    name_hints: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, int] = field(default_factory=dict)

    def matching(self, column: str, kind: str) -> int:
        """How many values of ``column`` hold ``kind`` (as a whole or embedded)."""
        held = sum(f.share for f in self.columns.get(column, []) if f.kind == kind)
        return round(held * self.values.get(column, 0)) + self.free_text.get(column, {}).get(
            kind, 0
        )

    def kinds_by_column(self) -> dict[str, list[str]]:
        """Every scanned column -> the kinds found in it, held or embedded (sorted),
        the shape :func:`aweigh.privacy.policy.default_policy` takes."""
        return {
            name: sorted({f.kind for f in found} | set(self.free_text.get(name, {})))
            for name, found in self.columns.items()
        }

    def to_dict(self) -> dict[str, Any]:
        columns = {
            name: [
                {
                    "kind": f.kind,
                    "share": f.share,
                    "values": round(f.share * self.values.get(name, 0)),
                    "examples": list(f.examples),
                }
                for f in found
            ]
            for name, found in self.columns.items()
        }
        return {
            "rows": self.rows,
            "scanned_rows": self.scanned_rows,
            "threshold": self.threshold,
            "columns": columns,
            "free_text": {n: dict(counts) for n, counts in self.free_text.items()},
            "values": dict(self.values),
            "names_detected": self.names_detected,
            "name_hints": dict(self.name_hints),
            "notes": list(self.notes),
        }


@dataclass
class _Column:
    findings: list[ColumnFinding] = field(default_factory=list)
    free: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    scanned: bool = True
    values: int = 0
    texts: pa.Array | None = None  # the free-text values, for names


def scan_table(
    table: Any,
    *,
    max_examples: int = 3,
    sample_rows: int | None = None,
    threshold: float = THRESHOLD,
) -> ScanReport:
    """Scan ``table`` (pandas, polars or pyarrow) for PII; see the module docstring.

    ``sample_rows`` scans that many rows drawn at random (seed 42) instead of all;
    ``threshold`` (above 0.5, so a column holds at most one kind) is the share of
    values that makes a column hold a kind.
    """
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 0:
        raise InvalidInputError(
            "The 'max_examples' parameter of scan_table must be an int >= 0. "
            f"Got {max_examples!r} instead."
        )
    if sample_rows is not None and (
        isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or sample_rows < 1
    ):
        raise InvalidInputError(
            "The 'sample_rows' parameter of scan_table must be None or an int >= 1. "
            f"Got {sample_rows!r} instead."
        )
    if not isinstance(threshold, int | float) or not 0.5 < threshold <= 1:
        raise InvalidInputError(
            "The 'threshold' parameter of scan_table must be a number in (0.5, 1]. "
            f"Got {threshold!r} instead."
        )
    columns, notes = _columns(table)
    tail: list[str] = []
    rows = len(columns[0][1]) if columns else 0
    scanned = rows
    if sample_rows is not None and sample_rows < rows:
        picked = np.sort(np.random.default_rng(_SEED).choice(rows, sample_rows, replace=False))
        indices = pa.array(picked)
        columns = [(name, column.take(indices)) for name, column in columns]
        scanned = sample_rows
        tail.append(f"scanned a random sample of {sample_rows:,} of {rows:,} rows (seed 42)")

    def one(item: tuple[str, pa.ChunkedArray]) -> _Column:
        return _scan_column(item[0], item[1], max_examples, float(threshold))

    workers = max(1, min(len(columns), pa.cpu_count()))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, columns))
    else:
        results = [one(item) for item in columns]

    support = names_supported()
    if support:
        tail.append(f"{support.reason}; counted on the first {NAMES_SAMPLE} values")
        for result in results:
            if result.texts is not None and len(result.texts):
                for kind, count in _count_names(result.texts).items():
                    result.free[kind] = count
    else:
        tail.append(NAMES_NOT_DETECTED)

    report_columns: dict[str, list[ColumnFinding]] = {}
    values: dict[str, int] = {}
    free_text: dict[str, dict[str, int]] = {}
    for (name, _), result in zip(columns, results, strict=True):
        notes.extend(f"column {name!r}: {note}" for note in result.notes)
        if not result.scanned:
            continue
        report_columns[name] = result.findings
        values[name] = result.values
        if result.free:
            free_text[name] = dict(sorted(result.free.items()))
    notes.extend(tail)
    hints = {name: "date_of_birth" for name, _ in columns if is_dob_column(name)}
    return ScanReport(
        rows=rows,
        scanned_rows=scanned,
        threshold=float(threshold),
        columns=report_columns,
        free_text=free_text,
        names_detected=bool(support),
        notes=tuple(notes),
        name_hints=hints,
        values=values,
    )


# --- one column ----------------------------------------------------------------------------


def _scan_column(
    name: str, column: pa.ChunkedArray, max_examples: int, threshold: float
) -> _Column:
    result = _Column()
    dob = is_dob_column(name)
    kind = column.type
    if pa.types.is_temporal(kind) and dob and not pa.types.is_time(kind):
        present = column.drop_null()
        if len(present):
            shown = [str(v) for v in present.slice(0, max_examples).to_pylist()]
            masked = tuple(mask("date_of_birth", v) for v in shown)
            result.findings.append(ColumnFinding("date_of_birth", 1.0, masked))
        result.values = len(present)
        return result
    text = _as_text(column, result.notes)
    if text is None:
        result.scanned = False
        return result
    trimmed = pc.ascii_trim_whitespace(text)
    values = trimmed.filter(pc.greater(pc.binary_length(trimmed), 0))  # nulls dropped too
    total = result.values = len(values)
    if total == 0:
        return result
    detectors = (*_WHOLE, _DOB) if dob else _WHOLE
    shaped = _mask_of(values, "|".join(f"(?:{d.pattern})" for d in detectors), whole=True)
    counts, examples = _classify_whole(values.filter(shaped), detectors, max_examples)
    held = {k for k, c in counts.items() if c / total >= threshold}
    for k in sorted(held):
        share = counts[k] / total
        masked = tuple(mask(k, v) for v in examples[k])
        result.findings.append(ColumnFinding(k, share, masked))
    rest = values.filter(~shaped)
    embedded = _search_free(rest)
    for k in set(counts) | set(embedded):
        found = (0 if k in held else counts.get(k, 0)) + embedded.get(k, 0)
        if found:
            result.free[k] = found
    if not held:
        result.texts = rest.slice(0, NAMES_SAMPLE)
    return result


def _classify_whole(
    values: pa.Array, detectors: tuple[Detector, ...], max_examples: int
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Exactly ``classify`` of each value (all of some kind's shape), per kind."""
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    if not len(values):
        return counts, examples
    dob = detectors[-1] is _DOB
    guide = Counter(
        classify(v, column="dob" if dob else None) for v in values.slice(0, _GUIDE).to_pylist()
    )
    order = sorted(detectors, key=lambda d: -guide.get(d.kind, 0))  # stable: priority next
    done: set[str] = set()
    remaining = values
    for det in order:
        if not len(remaining):
            break
        hit = _mask_of(remaining, det.pattern, whole=True)
        if hit.any():
            candidates = remaining.filter(hit)
            ok = _valid(det, candidates)
            for first in OVERLAPS.get(det.kind, ()):
                if first not in done and any(d.kind == first for d in detectors):
                    ok &= ~_valid_shape(detector(first), candidates)
            if ok.any():
                mine = candidates.filter(ok)
                counts[det.kind] = len(mine)
                examples[det.kind] = mine.slice(0, max_examples).to_pylist()
                claimed = np.zeros(len(remaining), dtype=bool)
                claimed[np.flatnonzero(hit)[ok]] = True
                remaining = remaining.filter(~claimed)
        done.add(det.kind)
    return counts, examples


def _search_free(values: pa.Array) -> dict[str, int]:
    """Per kind, how many of ``values`` hold at least one checked span of it."""
    if not len(values):
        return {}
    pattern = "|".join(f"(?:{d.arrow_search})" for d in _WHOLE)
    candidates = values.filter(_mask_of(values, pattern, whole=False))
    if not len(candidates):
        return {}
    flagged = [(d, _mask_of(candidates, d.arrow_search, whole=False)) for d in _WHOLE]
    flagged = [(d, f) for d, f in flagged if f.any()]
    if not flagged:
        return {}
    flags = np.stack([f for _, f in flagged], axis=1)
    alone = flags.sum(axis=1) == 1
    counts: Counter[str] = Counter()
    python = ~alone
    for det, flag in flagged:
        if det.validate is None:  # the RE2 flag is the answer: nothing to check or resolve
            counts[det.kind] += int(np.count_nonzero(alone & flag))
        else:
            python |= alone & flag
    rows = np.flatnonzero(python)
    texts = candidates.take(pa.array(rows)).to_pylist() if len(rows) else []
    for row, value in zip(rows, texts, strict=True):
        active = [det for column, (det, _) in enumerate(flagged) if flags[row, column]]
        if len(active) == 1:  # nothing to resolve: any checked span will do
            if _any_checked(active[0], value):
                counts[active[0].kind] += 1
        else:
            counts.update({m.kind for m in _detect_with(value, active)})
    return dict(counts)


def _any_checked(det: Detector, text: str) -> bool:
    validate = det.validate
    return any(validate is None or validate(h.group()) for h in det.search.finditer(text))


def _count_names(texts: pa.Array) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for value in texts.to_pylist():
        counts.update({m.kind for m in detect(value) if m.kind in ("person", "location")})
    return dict(counts)


# --- vectorised helpers ---------------------------------------------------------------------


def _mask_of(values: pa.Array, pattern: str, *, whole: bool) -> np.ndarray:
    regex = f"^(?:{pattern})$" if whole else pattern
    hit = pc.match_substring_regex(values, regex)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _valid_shape(det: Detector, values: pa.Array) -> np.ndarray:
    """Which ``values`` have ``det``'s whole shape and pass its check."""
    shaped = _mask_of(values, det.pattern, whole=True)
    out = np.zeros(len(values), dtype=bool)
    if shaped.any():
        out[np.flatnonzero(shaped)] = _valid(det, values.filter(shaped))
    return out


def _valid(det: Detector, values: pa.Array) -> np.ndarray:
    """``det.validate`` of each value (all of ``det``'s shape), vectorised where we can."""
    if det.validate is None:
        return np.ones(len(values), dtype=bool)
    check = _VECTOR_CHECKS.get(det.kind)
    if check is not None:
        return check(values)
    validate = det.validate
    return np.fromiter((validate(v) for v in values.to_pylist()), dtype=bool, count=len(values))


def _by_length(values: pa.Array, check: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``check`` on ``(n, L)`` byte matrices, one per length ``L`` among ``values``."""
    out = np.zeros(len(values), dtype=bool)
    if not len(values):
        return out
    values = values.cast(pa.large_string()) if not pa.types.is_large_string(values.type) else values
    lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
    for width in np.unique(lengths):
        rows = np.flatnonzero(lengths == width)
        part = values.take(pa.array(rows)) if len(rows) < len(values) else values
        offsets = np.frombuffer(part.buffers()[1], dtype=np.int64)[part.offset :]
        data = np.frombuffer(part.buffers()[2], dtype=np.uint8)
        start = int(offsets[0])
        matrix = data[start : start + len(rows) * int(width)].reshape(len(rows), int(width))
        out[rows] = check(matrix)
    return out


def _strip(values: pa.Array, characters: str) -> pa.Array:
    for char in characters:
        values = pc.replace_substring(values, char, "")
    return values


def _card_check(values: pa.Array) -> np.ndarray:
    digits = _strip(values, " -")
    iin = _mask_of(digits, CARD_IIN, whole=False)
    return np.asarray(iin & _by_length(digits, lambda m: luhn_valid_array(m - 48)))


def _aadhaar_check(values: pa.Array) -> np.ndarray:
    digits = _strip(values, " -")
    return _by_length(digits, lambda m: verhoeff_valid_array(m - 48))


_IBAN_COUNTRIES = pa.array(list(IBAN_LENGTHS))
_IBAN_SIZES = np.array(list(IBAN_LENGTHS.values()), dtype=np.int64)


def _iban_check(values: pa.Array) -> np.ndarray:
    compact = _strip(values, " ")
    where = pc.index_in(pc.utf8_slice_codeunits(compact, 0, 2), value_set=_IBAN_COUNTRIES)
    index = where.to_numpy(zero_copy_only=False)
    known = ~np.isnan(index.astype(np.float64))
    expected = np.where(known, _IBAN_SIZES[np.where(known, index, 0).astype(np.int64)], -1)
    lengths = pc.binary_length(compact).to_numpy(zero_copy_only=False)

    def mod97(matrix: np.ndarray) -> np.ndarray:
        return iban_valid_array(matrix, np.full(len(matrix), matrix.shape[1]))

    return np.asarray((expected == lengths) & _by_length(compact, mod97))


def _gstin_check(values: pa.Array) -> np.ndarray:
    return _by_length(values, gstin_valid_array)


def _email_check(values: pa.Array) -> np.ndarray:
    return ~_mask_of(values, EMAIL_INVALID, whole=False)


_VECTOR_CHECKS: dict[str, Callable[[pa.Array], np.ndarray]] = {
    "card": _card_check,
    "aadhaar": _aadhaar_check,
    "iban": _iban_check,
    "gstin": _gstin_check,
    "email": _email_check,
}


# --- input ---------------------------------------------------------------------------------


def _columns(table: Any) -> tuple[list[tuple[str, pa.ChunkedArray]], list[str]]:
    notes: list[str] = []
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if isinstance(table, pa.Table):
        pairs = [(str(n), table.column(i)) for i, n in enumerate(table.column_names)]
    elif type(table).__module__.startswith("pandas") and hasattr(table, "columns"):
        pairs = [
            (str(n), _from_pandas(str(n), table.iloc[:, i], notes))
            for i, n in enumerate(table.columns)
        ]
    elif type(table).__module__.startswith("polars"):
        if not hasattr(table, "to_arrow"):
            raise InvalidInputError(
                f"scan_table got a polars {type(table).__name__}; call .collect() on it and "
                "pass the DataFrame."
            )
        arrow = table.to_arrow()
        pairs = [(str(n), arrow.column(i)) for i, n in enumerate(arrow.column_names)]
    else:
        raise InvalidInputError(
            "scan_table takes a pandas DataFrame, a polars DataFrame or a pyarrow Table. "
            f"Got {type(table).__name__}."
        )
    names = [n for n, _ in pairs]
    duplicated = sorted(n for n, k in Counter(names).items() if k > 1)
    if duplicated:
        raise InvalidInputError(
            f"The table has duplicate column names {duplicated}; rename them so each is unique.",
            {"columns": duplicated},
        )
    return pairs, notes


def _from_pandas(name: str, series: Any, notes: list[str]) -> pa.ChunkedArray:
    try:
        return pa.chunked_array([pa.array(series, from_pandas=True)])
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        notes.append(f"column {name!r}: mixes value types; each value is read as text")
        return pa.chunked_array([pa.array([_as_str(v) for v in series], pa.large_string())])


def _as_str(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return str(value)


def _as_text(column: pa.ChunkedArray, notes: list[str]) -> pa.Array | None:
    """The column as one large_string array, or None (with a note) when not scanned."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return column.cast(pa.large_string()).combine_chunks()
    if pa.types.is_integer(kind):
        return column.cast(pa.large_string()).combine_chunks()
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
        try:
            text = column.cast(pa.large_string()).combine_chunks()
        except pa.ArrowInvalid:
            notes.append(
                "holds bytes that are not valid UTF-8; decoded with replacement characters"
            )
            decoded = [_as_str(v) for v in column.to_pylist()]
            return pa.array(decoded, pa.large_string())
        notes.append("binary column read as UTF-8 text")
        return text
    if pa.types.is_null(kind) or pa.types.is_temporal(kind):
        return None
    notes.append(f"not scanned: {kind} values are not text")
    return None
