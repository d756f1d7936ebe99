"""Microbenchmark: validating one request row against a contract, aweigh vs msgspec vs pydantic.

Two real data sets, rules inferred once by ``aweigh.data.infer_contract`` and given to
every side identically:

- breast_cancer: sklearn's breast cancer data (569 rows, 30 float columns, each with
  a min and a max);
- adult: the UCI Adult training rows (14 mixed columns: 6 ints with ranges, 8
  categories, some nullable), missing values sent as ``None`` like JSON ``null``.

Sides, each one call per row, cycling over the real rows (every row valid, so every
side returns a validated row):

- ``msgspec``: ``msgspec.convert(record, row_struct)`` with a Struct whose fields carry the
  same constraints (``Meta(ge=..., le=...)``, ``Literal[...]`` categories, ``| None``
  for nullable columns), built with ``msgspec.defstruct``;
- ``pydantic``: ``Row.model_validate(record)``, a pydantic v2 model with the same
  constraints (``Field(ge=..., le=...)``, ``Literal``, ``| None``);
- ``aweigh record``: ``validator.validate_record(record)``;
- ``aweigh columns``: ``validator.validate({col: [value]}, 1)``, the server's path
  (a request decoded to columns), and per row of a 64-row request.

Prints microseconds per row and the ratio to msgspec; ``--json`` prints one JSON
object. Reads no network; about 15 seconds.

    .venv/bin/python bench/validation_online.py [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import pandas as pd
import pydantic

from aweigh.data.contract import ColumnContract, Contract
from aweigh.data.infer import infer_contract
from aweigh.data.online import compile_validator

ADULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adult" / "adult_train.csv"
TARGET_RATIO = 3.0
TARGET_US = 10.0


def breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame: pd.DataFrame = load_breast_cancer(as_frame=True).frame
    return frame.drop(columns=["target"])


def adult() -> pd.DataFrame:
    if ADULT.exists():
        frame = pd.read_csv(ADULT)
    else:  # pragma: no cover - a checkout without the shared data
        from aweigh.demo import load_adult

        frame = load_adult("train")
    return frame.drop(columns=["income"])


def records(frame: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    rows = frame.head(limit).to_dict("records")
    return [{k: _json_like(v) for k, v in row.items()} for row in rows]


def _json_like(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# --- the peers, given the same rules --------------------------------------------------


def _msgspec_type(column: ColumnContract) -> Any:
    base: Any
    if column.type == "category":
        base = Literal[tuple(column.categories or ())]
    elif column.type == "int":
        base = Annotated[int, msgspec.Meta(ge=int(column.min or 0), le=int(column.max or 0))]
    else:
        base = Annotated[float, msgspec.Meta(ge=column.min, le=column.max)]
    return base | None if column.nullable else base


def msgspec_model(contract: Contract) -> type[msgspec.Struct]:
    fields = [(f"c{i}", _msgspec_type(c)) for i, c in enumerate(contract.columns)]
    rename = {f"c{i}": c.name for i, c in enumerate(contract.columns)}
    return msgspec.defstruct("Row", fields, rename=rename)


def pydantic_model(contract: Contract) -> type[pydantic.BaseModel]:
    fields: dict[str, Any] = {}
    for i, column in enumerate(contract.columns):
        base: Any
        if column.type == "category":
            base = Literal[tuple(column.categories or ())]
            field = pydantic.Field(alias=column.name)
        elif column.type == "int":
            base = int
            field = pydantic.Field(alias=column.name, ge=column.min, le=column.max, strict=True)
        else:
            base = float
            field = pydantic.Field(alias=column.name, ge=column.min, le=column.max)
        kind = base | None if column.nullable else base
        fields[f"c{i}"] = (kind, field)
    return pydantic.create_model("Row", **fields)


# --- timing ---------------------------------------------------------------------------


def time_sides(
    sides: dict[str, tuple[Callable[[Any], Any], list[Any], int]], rounds: int
) -> dict[str, float]:
    """Best-of-``rounds`` microseconds per row for each side; the sides take turns in
    every round, so a noisy neighbour hurts them alike. A side is ``(call, inputs,
    rows per call)``."""
    for call, inputs, _ in sides.values():  # warm up
        for item in inputs[:200]:
            call(item)
    best = dict.fromkeys(sides, math.inf)
    for _ in range(rounds):
        for name, (call, inputs, per) in sides.items():
            start = time.perf_counter_ns()
            for item in inputs:
                call(item)
            elapsed = time.perf_counter_ns() - start
            best[name] = min(best[name], elapsed / 1000 / (len(inputs) * per))
    return best


def bench_dataset(name: str, frame: pd.DataFrame, rounds: int, rows: int) -> dict[str, Any]:
    contract = infer_contract(frame)
    validator = compile_validator(contract)
    data = records(frame, rows)
    valid = [r for r in data if validator.validate_record(r).violations == []]
    row_struct = msgspec_model(contract)
    row_model = pydantic_model(contract)
    for record in valid[:50]:  # every side accepts the same rows
        msgspec.convert(record, row_struct)
        row_model.model_validate(record)
    columns_1 = [{k: [v] for k, v in r.items()} for r in valid]
    batch = 64
    columns_64 = [
        {k: [r[k] for r in valid[i : i + batch]] for k in valid[0]}
        for i in range(0, len(valid) - batch + 1, batch)
    ]
    us = time_sides(
        {
            "msgspec": (lambda r: msgspec.convert(r, row_struct), valid, 1),
            "pydantic": (row_model.model_validate, valid, 1),
            "aweigh record": (validator.validate_record, valid, 1),
            "aweigh columns": (lambda c: validator.validate(c, 1), columns_1, 1),
            "aweigh columns x64": (lambda c: validator.validate(c, batch), columns_64, batch),
        },
        rounds,
    )
    base = us["msgspec"]
    return {
        "dataset": name,
        "columns": len(contract.columns),
        "rows": len(valid),
        "us_per_row": {k: round(v, 3) for k, v in us.items()},
        "ratio_to_msgspec": {k: round(v / base, 2) for k, v in us.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="best of this many passes")
    parser.add_argument("--rows", type=int, default=2000, help="real rows cycled per pass")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = [
        bench_dataset("breast_cancer", breast_cancer(), args.rounds, args.rows),
        bench_dataset("adult", adult(), args.rounds, args.rows),
    ]
    one_row = [r["ratio_to_msgspec"]["aweigh record"] for r in results]
    server = [r["us_per_row"]["aweigh columns"] for r in results]
    result = {
        "benchmark": "validation_online",
        "python": platform.python_version(),
        "msgspec": msgspec.__version__,
        "pydantic": pydantic.VERSION,
        "results": results,
        "targets": {
            "one_row_ratio_max": TARGET_RATIO,
            "one_row_us_max": TARGET_US,
            "one_row_ratio_met": all(r <= TARGET_RATIO for r in one_row),
            "one_row_us_met": all(us <= TARGET_US for us in server),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print("one-row validation, microseconds per row (best of", args.rounds, "passes)")
    sides = list(results[0]["us_per_row"])
    print(f"{'side':<20}" + "".join(f"{r['dataset']:>26}" for r in results))
    for side in sides:
        cells = "".join(
            f"{r['us_per_row'][side]:>14.2f} us {r['ratio_to_msgspec'][side]:>6.2f}x"
            for r in results
        )
        print(f"{side:<20}{cells}")
    print(
        f"targets: aweigh record within {TARGET_RATIO:g}x of msgspec: "
        f"{result['targets']['one_row_ratio_met']}; server path (columns, 1 row) "
        f"<= {TARGET_US:g} us: {result['targets']['one_row_us_met']}"
    )
    print(f"({result['seconds']} s; {statistics.mean(server):.2f} us mean server path)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
