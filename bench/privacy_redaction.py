"""Microbenchmark: the cost of redaction on the request path, in microseconds per row.

A realistic request row: the 14 feature columns of the UCI Adult training data plus a
synthetic customer id, email and Indian mobile number (17 columns). The policy hashes
the email and the customer id (the data subject), masks the phone number (kind
``phone``), generalises the age to a 10-year band and keeps the other 13 columns.

Sides, cycling over real rows:

- ``record``: ``redactor.redact_record(row)``;
- ``columns x1``: ``redactor.redact_columns({col: [value]}, 1)``, the server's path for
  a one-row request;
- ``columns x64``: the same for 64-row requests, per row.

Prints microseconds per row against the 20 µs target; ``--json`` prints one JSON
object. Reads no network; about 10 seconds.

    .venv/bin/python bench/privacy_redaction.py [--rounds 15] [--rows 2000] [--json]
    .venv/bin/python bench/privacy_redaction.py --profile   # pyinstrument, columns x1
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from aweigh.privacy.policy import ColumnRule, RedactionPolicy
from aweigh.privacy.redact import compile_redactor

ADULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adult" / "adult_train.csv"
TARGET_US = 20.0
SECRET = b"bench-secret-0123456789abcdef!!"
NAMES = ["asha", "ravi", "priya", "arjun", "meera", "kiran", "anil", "divya", "rahul", "neha"]
DOMAINS = ["gmail.com", "yahoo.co.in", "example.in", "rediffmail.com", "outlook.com"]


def adult() -> pd.DataFrame:
    if ADULT.exists():
        frame = pd.read_csv(ADULT)
    else:  # pragma: no cover - a checkout without the shared data
        from aweigh.demo import load_adult

        frame = load_adult("train")
    return frame.drop(columns=["income"])


def rows(limit: int, seed: int = 42) -> list[dict[str, Any]]:
    """Adult rows with a synthetic customer id, email and Indian mobile number."""
    rng = random.Random(seed)
    out = []
    for i, row in enumerate(adult().head(limit).to_dict("records")):
        record = {
            str(k): None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()
        }
        name = rng.choice(NAMES)
        record["customer_id"] = f"C{100000 + i}"
        record["email"] = f"{name}.{rng.randrange(1000)}@{rng.choice(DOMAINS)}"
        mobile = f"{rng.choice('6789')}{rng.randrange(10**9):09d}"
        record["phone"] = f"+91 {mobile[:5]} {mobile[5:]}"
        out.append(record)
    return out


def policy() -> RedactionPolicy:
    return RedactionPolicy(
        columns={
            "email": ColumnRule(kind="email"),
            "customer_id": ColumnRule(kind="subject"),
            "phone": ColumnRule("mask", kind="phone"),
            "age": ColumnRule("generalize", "age_band"),
        },
        kinds={"email": ColumnRule("hash"), "subject": ColumnRule("hash")},
        subject_field="customer_id",
    )


def time_sides(
    sides: dict[str, tuple[Callable[[Any], Any], list[Any], int]], rounds: int
) -> dict[str, float]:
    """Best-of-``rounds`` microseconds per row; sides take turns in every round."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="best of this many passes")
    parser.add_argument("--rows", type=int, default=2000, help="real rows cycled per pass")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", action="store_true", help="profile with pyinstrument")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = rows(args.rows)
    redactor = compile_redactor(policy(), SECRET)
    columns_1 = [{k: [v] for k, v in r.items()} for r in data]
    batch = 64
    columns_64 = [
        {k: [r[k] for r in data[i : i + batch]] for k in data[0]}
        for i in range(0, len(data) - batch + 1, batch)
    ]
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        with profiler:
            for _ in range(args.rounds):
                for c in columns_1:
                    redactor.redact_columns(c, 1)
        print(profiler.output_text(unicode=True, color=False))
        return 0
    us = time_sides(
        {
            "record": (redactor.redact_record, data, 1),
            "columns x1": (lambda c: redactor.redact_columns(c, 1), columns_1, 1),
            "columns x64": (lambda c: redactor.redact_columns(c, batch), columns_64, batch),
        },
        args.rounds,
    )
    sample = redactor.redact_record(data[0])
    result = {
        "benchmark": "privacy_redaction",
        "python": platform.python_version(),
        "columns": len(data[0]),
        "pii_columns": 4,
        "rows": len(data),
        "masker": "aweigh.privacy.masking"
        if _has_masking()
        else "built-in shape mask (aweigh.privacy.masking missing)",
        "us_per_row": {k: round(v, 3) for k, v in us.items()},
        "sample": {k: sample.get(k) for k in ("email", "customer_id", "phone", "age")},
        "target_us": TARGET_US,
        "target_met": all(v <= TARGET_US for v in us.values()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"redaction, microseconds per row (best of {args.rounds} passes; "
        f"{result['columns']} columns, 4 redacted; masker: {result['masker']})"
    )
    for side, value in us.items():
        print(f"  {side:<14}{value:>8.2f} us")
    print(f"sample: {result['sample']}")
    print(f"target <= {TARGET_US:g} us/row: {result['target_met']} ({result['seconds']} s)")
    return 0


def _has_masking() -> bool:
    import importlib.util

    return importlib.util.find_spec("aweigh.privacy.masking") is not None


if __name__ == "__main__":
    sys.exit(main())
