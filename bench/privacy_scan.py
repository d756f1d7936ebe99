"""PII scan benchmark: ``scan_table`` on 1,000,000 rows x 10 text columns (target: 10 s).

``python bench/privacy_scan.py [--rows N] [--repeats K] [--json] [--profile]``

The table is synthetic, made here with a seeded numpy generator (seed 42), so every
value's kind is known: valid Luhn card numbers (plain, spaced, dashed; issuer prefixes
of Visa, Mastercard, RuPay, Amex-length ones), Aadhaar numbers with a valid Verhoeff
digit (with and without spaces), emails, phones (Indian mobile in four layouts and E.164),
PANs, IPv4/IPv6 addresses, a free-text comment column where about 10% of the rows embed
an email and 5% a phone number, and three columns of plain text (product words, cities,
order references) that must come out clean. The run checks the report (each PII column
holds its kind, the comment column counts its embedded emails and phones, the plain
columns are clean) before it prints a time: a fast wrong answer does not count.

Only ``scan_table`` is timed (median of ``--repeats`` runs, after one warm-up run on
10,000 rows), on the pyarrow Table; building the table is not. Prints rows/s against
the 10 s target; ``--json`` prints one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aweigh.privacy.checksums import luhn_valid_array, verhoeff_valid_array
from aweigh.privacy.scan import scan_table

SEED = 42
ROWS = 1_000_000
TARGET_S = 10.0
_CHATTER = (
    "the order was shipped late please call back about my refund thanks great product "
    "works fine box arrived damaged would buy again support team helpful slow delivery "
    "colour size fits well return label missing invoice"
)
WORDS = np.array(_CHATTER.split())
CITIES = np.array(["Mumbai", "Pune", "Delhi", "Chennai", "Kolkata", "Bengaluru", "Jaipur"])
NAMES = np.array(["asha", "ravi", "john", "mei", "fatima", "lars", "ana", "kofi", "li"])
DOMAINS = np.array(["example.com", "mail.example.org", "corp.example.in", "example.co.uk"])


def _digits(rng: np.random.Generator, rows: int, width: int) -> np.ndarray:
    return rng.integers(0, 10, size=(rows, width), dtype=np.int64)


def _text(matrix: np.ndarray) -> pa.Array:
    """Rows of a digit-or-byte matrix as strings (digits 0-9 become '0'-'9')."""
    codes = np.where(matrix < 10, matrix + 48, matrix).astype(np.uint8)
    packed = np.ascontiguousarray(codes).view(f"S{codes.shape[1]}").ravel()
    return pa.array(packed, pa.binary()).cast(pa.string())


def _with_check(payload: np.ndarray, valid: Any) -> np.ndarray:
    """``payload`` with the one check digit (0-9) that ``valid`` accepts appended."""
    out = np.concatenate([payload, np.zeros((len(payload), 1), np.int64)], axis=1)
    done = np.zeros(len(payload), dtype=bool)
    for digit in range(10):
        out[~done, -1] = digit
        done |= valid(out)
    return out


def _groups(text: pa.Array, sizes: list[int], sep: str) -> pa.Array:
    parts, at = [], 0
    for size in sizes:
        parts.append(pc.utf8_slice_codeunits(text, at, at + size))
        at += size
    return pc.binary_join_element_wise(*parts, sep)


def _pick(rng: np.random.Generator, choices: list[pa.Array], rows: int) -> pa.Array:
    which = rng.integers(0, len(choices), rows)
    out = choices[0]
    for index in range(1, len(choices)):
        out = pc.if_else(pa.array(which == index), choices[index], out)
    return out


def _words(rng: np.random.Generator, rows: int, count: int) -> pa.Array:
    parts = [pa.array(rng.choice(WORDS, rows)) for _ in range(count)]
    return pc.binary_join_element_wise(*parts, " ")


def make_table(rows: int = ROWS, seed: int = SEED) -> pa.Table:
    """The benchmark table (see the module docstring)."""
    rng = np.random.default_rng(seed)
    prefixes = np.array([[4, 1], [5, 3], [6, 0], [2, 2], [3, 7]])[rng.integers(0, 5, rows)]
    card = _text(_with_check(np.hstack([prefixes, _digits(rng, rows, 13)]), luhn_valid_array))
    cards = _pick(rng, [card, _groups(card, [4, 4, 4, 4], " "), _groups(card, [4] * 4, "-")], rows)
    lead = rng.integers(2, 10, (rows, 1))
    aadhaar = _text(_with_check(np.hstack([lead, _digits(rng, rows, 10)]), verhoeff_valid_array))
    aadhaars = _pick(rng, [aadhaar, _groups(aadhaar, [4, 4, 4], " ")], rows)
    mobile = _text(np.hstack([rng.integers(6, 10, (rows, 1)), _digits(rng, rows, 9)]))
    e164 = _text(np.hstack([rng.integers(1, 10, (rows, 1)), _digits(rng, rows, 10)]))
    phones = _pick(
        rng,
        [
            mobile,
            pc.binary_join_element_wise("+91 ", _groups(mobile, [5, 5], " "), ""),
            pc.binary_join_element_wise("0", mobile, ""),
            pc.binary_join_element_wise("+", e164, ""),
        ],
        rows,
    )
    local = pc.binary_join_element_wise(
        pa.array(rng.choice(NAMES, rows)), pa.array(rng.choice(NAMES, rows)), "."
    )
    number = pa.array(rng.integers(1, 999, rows)).cast(pa.string())
    emails = pc.binary_join_element_wise(
        pc.binary_join_element_wise(local, number, ""), pa.array(rng.choice(DOMAINS, rows)), "@"
    )
    letters = rng.integers(65, 91, (rows, 10))
    letters[:, 3] = np.frombuffer(b"ABCFGHJLPT", np.uint8)[rng.integers(0, 10, rows)]
    letters[:, 5:9] = _digits(rng, rows, 4)
    pans = _text(letters)
    octets = rng.integers(0, 256, (rows, 4)).astype(str)
    ipv4 = pa.array([".".join(row) for row in octets[: min(rows, 50_000)]])
    ipv4 = pa.concat_arrays([ipv4] * (rows // len(ipv4)) + [ipv4.slice(0, rows % len(ipv4))])
    ipv6 = pa.array([f"2001:db8::{a:x}:{b:x}" for a, b in rng.integers(0, 65535, (1000, 2))])
    ipv6 = pa.concat_arrays([ipv6] * (rows // 1000) + [ipv6.slice(0, rows % 1000)])
    ips = pc.if_else(pa.array(rng.random(rows) < 0.6), ipv4, ipv6)
    chatter = _words(rng, rows, 10)
    embed = rng.random(rows)
    comments = pc.if_else(
        pa.array(embed < 0.10),
        pc.binary_join_element_wise(chatter, "mail me at", emails, " "),
        pc.if_else(
            pa.array(embed > 0.95),
            pc.binary_join_element_wise(chatter, "call", mobile, " "),
            chatter,
        ),
    )
    refs = pc.binary_join_element_wise(
        "ORD", pa.array(rng.integers(2019, 2026, rows)).cast(pa.string()), number, "-"
    )
    return pa.table(
        {
            "email": emails,
            "phone": phones,
            "card_number": cards,
            "aadhaar": aadhaars,
            "pan": pans,
            "client_ip": ips,
            "comment": comments,
            "product_words": _words(rng, rows, 4),
            "city": pa.array(rng.choice(CITIES, rows)),
            "order_ref": refs,
        }
    )


EXPECTED = {
    "email": "email",
    "phone": "phone",
    "card_number": "card",
    "aadhaar": "aadhaar",
    "pan": "pan",
}


def check(report: Any, rows: int) -> list[str]:
    """What the report got wrong (empty when right)."""
    problems = []
    for column, kind in EXPECTED.items():
        found = [(f.kind, f.share) for f in report.columns[column]]
        if found != [(kind, 1.0)]:
            problems.append(f"{column}: expected all {kind}, got {found}")
    ip = [f.kind for f in report.columns["client_ip"]]
    if ip or set(report.free_text.get("client_ip", {})) != {"ipv4", "ipv6"}:
        problems.append(f"client_ip: expected ipv4+ipv6 mixed, got {ip} {report.free_text}")
    comment = report.free_text.get("comment", {})
    if not (0.09 < comment.get("email", 0) / rows < 0.11) or not comment.get("phone"):
        problems.append(f"comment: expected ~10% emails and some phones, got {comment}")
    for column in ("product_words", "city", "order_ref"):
        if report.columns[column] or column in report.free_text:
            problems.append(f"{column}: expected clean, got {report.columns[column]}")
    for column in EXPECTED:
        for example in report.columns[column][0].examples if report.columns[column] else ():
            if "X" not in example:
                problems.append(f"{column}: example {example!r} is not masked")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/privacy_scan.py", description=__doc__)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", action="store_true", help="pyinstrument one run")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    table = make_table(args.rows)
    built_s = time.perf_counter() - started
    scan_table(table.slice(0, 10_000))  # warm-up: imports, regex compilation
    if args.profile:
        from pyinstrument import Profiler

        with Profiler() as profiler:
            scan_table(table)
        profiler.print()
    times = []
    report = None
    for _ in range(args.repeats):
        started = time.perf_counter()
        report = scan_table(table)
        times.append(time.perf_counter() - started)
    assert report is not None
    problems = check(report, args.rows)
    median = statistics.median(times)
    result = {
        "benchmark": "privacy_scan",
        "rows": args.rows,
        "columns": table.num_columns,
        "seconds": times,
        "median_s": median,
        "rows_per_s": args.rows / median,
        "cells_per_s": args.rows * table.num_columns / median,
        "target_s": TARGET_S * args.rows / ROWS,
        "meets_target": median <= TARGET_S * args.rows / ROWS,
        "correct": not problems,
        "problems": problems,
        "build_s": built_s,
        "cpus": os.cpu_count(),
        "arrow_threads": pa.cpu_count(),
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
        "report": report.to_dict(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"scan_table: {args.rows:,} rows x {table.num_columns} text columns")
        print(f"  runs: {', '.join(f'{t:.2f} s' for t in times)}  (median {median:.2f} s)")
        print(f"  {args.rows / median:,.0f} rows/s, {result['cells_per_s']:,.0f} cells/s")
        print(
            f"  target {result['target_s']:.1f} s: {'met' if result['meets_target'] else 'MISSED'}"
        )
        for column, found in report.columns.items():
            kinds = ", ".join(f"{f.kind} {f.share:.0%} e.g. {f.examples[0]}" for f in found)
            print(f"  {column:14} {kinds or '-'}  {report.free_text.get(column, '')}")
        for problem in problems:
            print(f"  WRONG: {problem}")
    return 0 if not problems and result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
