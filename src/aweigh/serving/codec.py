"""Decoding request bodies into columns, checked against a version's input signature.

Both records (``{"instances": [{...}, ...]}``) and columnar (``{"inputs": {col: [...]}}``)
bodies become one ``dict[column, list]`` in signature order. Every problem is collected
(up to ``MAX_ERRORS``) so a 422 names each bad field and row at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from aweigh.core.entities import Signature
from aweigh.core.errors import InvalidInputError, MalformedRequestError

MAX_ERRORS = 50
_NUMERIC = {"int", "float"}


@dataclass(slots=True)
class Decoded:
    """A request's rows as columns, plus its optional data-subject id."""

    columns: dict[str, list[Any]]
    rows: int
    subject_id: str | None = None
    body: Any = None


def parse_json(body: bytes) -> Any:
    """orjson on the hot path; a clear 400 for anything that is not JSON."""
    if not body:
        raise MalformedRequestError("The request body is empty; send a JSON object.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedRequestError(f"The request body is not valid JSON: {exc}.") from exc


def decode_predict(body: bytes, signature: Signature, *, check_types: bool = True) -> Decoded:
    """Turn a /v1 predict body into validated columns for ``signature``."""
    data = parse_json(body)
    if not isinstance(data, dict):
        raise InvalidInputError(
            "The body must be a JSON object with 'instances' (a list of row objects) or "
            f"'inputs' (an object of columns). Got {type(data).__name__}."
        )
    subject = data.get("subject_id")
    if subject is not None and not isinstance(subject, str):
        raise InvalidInputError("'subject_id' must be a string.")
    if "instances" in data and "inputs" in data:
        raise InvalidInputError("Send either 'instances' or 'inputs', not both.")
    if "instances" in data:
        columns, rows = _from_records(data["instances"], signature)
    elif "inputs" in data:
        columns, rows = _from_columns(data["inputs"], signature)
    else:
        raise InvalidInputError(
            "The body needs 'instances' (a list of row objects) or 'inputs' "
            "(an object mapping column names to lists of values)."
        )
    if check_types:
        check_values(columns, signature)
    return Decoded(columns, rows, subject, data)


def _from_records(records: Any, signature: Signature) -> tuple[dict[str, list[Any]], int]:
    if not isinstance(records, list):
        raise InvalidInputError("'instances' must be a list of row objects.")
    if not records:
        raise InvalidInputError("'instances' is empty; send at least one row.")
    names = list(signature.names) or _keys_of(records)
    wanted = set(names)
    problems: list[dict[str, Any]] = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append({"row": i, "error": f"must be an object, got {_kind(record)}"})
            continue
        if record.keys() != wanted:
            missing = [n for n in names if n not in record]
            unknown = [k for k in record if k not in wanted]
            if missing:
                problems.append({"row": i, "fields": missing, "error": "missing"})
            if unknown:
                problems.append({"row": i, "fields": unknown, "error": "unknown column"})
        if len(problems) >= MAX_ERRORS:
            break
    if problems:
        _raise(problems, names)
    columns = {name: [record[name] for record in records] for name in names}
    return columns, len(records)


def _from_columns(inputs: Any, signature: Signature) -> tuple[dict[str, list[Any]], int]:
    if not isinstance(inputs, dict):
        raise InvalidInputError("'inputs' must be an object mapping column names to lists.")
    names = list(signature.names) or list(inputs)
    problems: list[dict[str, Any]] = []
    missing = [n for n in names if n not in inputs]
    unknown = [k for k in inputs if k not in set(names)]
    if missing:
        problems.append({"fields": missing, "error": "missing"})
    if unknown:
        problems.append({"fields": unknown, "error": "unknown column"})
    lengths = {k: len(v) for k, v in inputs.items() if isinstance(v, list)}
    not_lists = [k for k, v in inputs.items() if not isinstance(v, list)]
    if not_lists:
        problems.append({"fields": not_lists, "error": "must be a list of values"})
    if len(set(lengths.values())) > 1:
        problems.append({"error": f"columns have different lengths: {lengths}"})
    if problems:
        _raise(problems, names)
    rows = next(iter(lengths.values()), 0)
    if rows == 0:
        raise InvalidInputError("'inputs' holds no rows; send at least one value per column.")
    return {name: inputs[name] for name in names}, rows


def check_values(columns: dict[str, list[Any]], signature: Signature) -> None:
    """Each value must fit its column's dtype (null is allowed: models impute or refuse)."""
    problems: list[dict[str, Any]] = []
    for spec in signature.columns:
        check = _CHECKS.get(spec.dtype)
        if check is None:
            continue
        for row, value in enumerate(columns[spec.name]):
            if value is not None and not check(value):
                problems.append(
                    {
                        "row": row,
                        "field": spec.name,
                        "error": f"expected {spec.dtype}, got {_kind(value)} {_short(value)}",
                    }
                )
                if len(problems) >= MAX_ERRORS:
                    _raise(problems, list(signature.names))
    if problems:
        _raise(problems, list(signature.names))


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (not isinstance(value, float) or math.isfinite(value))
    )


def _is_int(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "int": _is_int,
    "float": _is_number,
    "bool": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "category": lambda v: isinstance(v, str | int | float | bool),
}


def _keys_of(records: list[Any]) -> list[str]:
    first = records[0]
    if not isinstance(first, dict):
        raise InvalidInputError("Each instance must be an object of column values.")
    return list(first)


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _raise(problems: list[dict[str, Any]], expected: list[str]) -> None:
    first = problems[0]
    where = f"row {first['row']}: " if "row" in first else ""
    what = first.get("field") or ", ".join(first.get("fields", []))
    summary = f"{where}{what + ' ' if what else ''}{first['error']}"
    raise InvalidInputError(
        f"The input has {len(problems)}{'+' if len(problems) >= MAX_ERRORS else ''} "
        f"problem(s); first: {summary}. Expected columns: {expected}.",
        {"errors": problems[:MAX_ERRORS], "expected_columns": expected},
    )
