"""Reading user-supplied tables (CSV, gzipped CSV, Parquet) with errors that name the file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from aweigh.core.errors import InvalidInputError

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
MAX_TABLE_BYTES = 2 * 1024**3


def read_table(
    path: Path,
    *,
    max_rows: int | None = None,
    max_bytes: int = MAX_TABLE_BYTES,
    delimiter: str = ",",
    encoding: str = "utf-8",
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Read a CSV/Parquet file into a frame, or raise ``InvalidInputError`` saying why."""
    name = path.name.lower()
    if not path.exists():
        raise InvalidInputError(f"No file at {str(path)!r}. Check the path.")
    if not path.is_file():
        raise InvalidInputError(f"{str(path)!r} is not a file. Give a CSV or Parquet file.")
    if not name.endswith(SUFFIXES):
        raise InvalidInputError(
            f"Cannot read {str(path)!r}: use a file ending in {', '.join(SUFFIXES)}."
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInputError(
            f"{str(path)!r} is {size:,} bytes, over the {max_bytes:,}-byte limit for this "
            "command. Pass a sample of the rows instead."
        )
    kind = "Parquet" if name.endswith((".parquet", ".pq")) else "CSV"
    try:
        if kind == "Parquet":
            frame = pd.read_parquet(path)
            if max_rows is not None:
                frame = frame.head(max_rows)
        else:
            frame = pd.read_csv(
                path, nrows=max_rows, low_memory=False, sep=delimiter, encoding=encoding
            )
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"Cannot decode {str(path)!r} as {encoding}: byte {exc.start} is not valid. "
            "Pass the file's encoding with --encoding (e.g. latin-1)."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InvalidInputError(f"{str(path)!r} is empty: it has no header and no rows.") from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InvalidInputError(
            f"Cannot parse {str(path)!r} as {kind}: "
            f"{str(exc).splitlines()[0][:200]}. Check the file's format."
        ) from exc
    except Exception as exc:  # pyarrow raises its own error types for corrupt files
        raise InvalidInputError(
            f"Cannot read {str(path)!r}: {type(exc).__name__}: {str(exc)[:200]}."
        ) from exc
    if frame.shape[1] == 0 or (frame.empty and not allow_empty):
        raise InvalidInputError(
            f"{str(path)!r} holds no rows{' (only a header)' if frame.shape[1] else ''}. "
            "Give a file with data."
        )
    if kind == "CSV" and frame.shape[1] == 1:
        header = str(frame.columns[0])
        for other in (";", "\t", "|"):
            if other != delimiter and other in header:
                raise InvalidInputError(
                    f"{str(path)!r} reads as one column {header[:60]!r}: it looks "
                    f"{'tab' if other == chr(9) else repr(other)}-separated. Pass "
                    f"--delimiter {'$' + repr(chr(9)) if other == chr(9) else repr(other)}."
                )
    return frame


def parse_pairs(pairs: list[str], what: str, *, numbers: bool = False) -> dict[str, Any]:
    """``["a=1", "b=x"]`` to ``{"a": 1, "b": "x"}`` (values parsed as JSON when they can be)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"The {what} {pair!r} must look like KEY=VALUE.")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if numbers and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidInputError(f"The {what} {key.strip()!r} must be a number. Got {raw!r}.")
        out[key.strip()] = value
    return out


def parse_time(text: str, option: str) -> datetime:
    """An ISO 8601 time from the command line (``Z`` allowed); a time without a zone is UTC."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputError(
            f"{option} {text!r} is not an ISO 8601 time; write e.g. 2026-11-29T14:00Z "
            "(UTC unless a zone is given).",
            {"field": option.lstrip("-")},
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)
