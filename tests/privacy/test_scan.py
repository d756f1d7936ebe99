"""Scanning tables: the right kinds per column, exact counts, no raw value in a report,
any input type (binary, non-UTF-8, mixed objects), and no false positives on Adult."""

from __future__ import annotations

import importlib.util
import json
import random
from collections import Counter
from datetime import date

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aweigh.core.errors import InvalidInputError
from aweigh.privacy import detectors as detectors_module
from aweigh.privacy.checksums import luhn_check_digit, verhoeff_check_digit
from aweigh.privacy.detectors import DETECTORS, NAMES_NOT_DETECTED, classify, detect
from aweigh.privacy.scan import ScanReport, scan_table
from tests.privacy.test_detectors import VALID, change_one

ROWS = 400


def _realistic(rows: int = ROWS, seed: int = 42) -> tuple[pd.DataFrame, list[str]]:
    """A customer table with known PII columns, and every raw PII value in it."""
    rng = random.Random(seed)

    def number(size: int, first: str = "0123456789") -> str:
        return rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(size - 1))

    cards, aadhaars, emails, phones, pans, notes, dobs = [], [], [], [], [], [], []
    for i in range(rows):
        payload = "4" + number(14)
        cards.append(payload + luhn_check_digit(payload))
        payload = number(11, "23456789")
        aadhaar = payload + verhoeff_check_digit(payload)
        aadhaars.append(f"{aadhaar[:4]} {aadhaar[4:8]} {aadhaar[8:]}" if i % 2 else aadhaar)
        emails.append(f"user{i}.{rng.choice(['rao', 'li', 'diaz'])}@example.com")
        phones.append(rng.choice(["+91 ", "", "0"]) + number(10, "6789"))
        pans.append("".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + "P")
        pans[-1] += rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + number(4) + "K"
        dobs.append(f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        notes.append(
            f"please reach me at {emails[-1]}" if i % 10 == 0 else f"order {i} arrived late"
        )
    frame = pd.DataFrame(
        {
            "customer_id": range(rows),
            "email": emails,
            "mobile": phones,
            "card": cards,
            "aadhaar_no": aadhaars,
            "pan": pans,
            "birth_date": dobs,
            "signup_date": dobs,  # same dates, but not named like a date of birth
            "notes": notes,
            "city": [rng.choice(["Pune", "Delhi", "Chennai"]) for _ in range(rows)],
            "score": [rng.random() for _ in range(rows)],
        }
    )
    raw = cards + aadhaars + emails + phones + pans + dobs
    return frame, raw


def _kinds(report: ScanReport) -> dict[str, list[str]]:
    return {name: [f.kind for f in found] for name, found in report.columns.items()}


def test_a_realistic_table_gets_the_right_kinds_per_column() -> None:
    frame, _ = _realistic()
    report = scan_table(frame)
    assert _kinds(report) == {
        "customer_id": [],
        "email": ["email"],
        "mobile": ["phone"],
        "card": ["card"],
        "aadhaar_no": ["aadhaar"],
        "pan": ["pan"],
        "birth_date": ["date_of_birth"],
        "signup_date": [],
        "notes": [],
        "city": [],
    }
    assert report.free_text == {"notes": {"email": ROWS // 10}}
    for name, found in report.columns.items():
        for kind, share, _ in found:
            assert share == 1.0
            assert report.matching(name, kind) == ROWS
    assert report.values["card"] == report.values["email"] == ROWS
    assert report.name_hints == {"birth_date": "date_of_birth"}
    assert report.rows == report.scanned_rows == ROWS
    assert "column 'score': not scanned: double values are not text" in report.notes
    assert report.kinds_by_column()["notes"] == ["email"]


def test_a_report_never_holds_a_raw_value() -> None:
    frame, raw = _realistic()
    dumped = json.dumps(scan_table(frame, max_examples=10).to_dict())
    leaked = [value for value in raw if value in dumped]
    assert leaked == []
    assert "XXXX XXXX" in dumped  # the masked Aadhaar examples are there


def test_examples_are_masked_and_limited() -> None:
    frame, _ = _realistic()
    report = scan_table(frame, max_examples=2)
    card = report.columns["card"][0]
    assert len(card.examples) == 2
    assert all(e.startswith("XXXXXXXXXXX") and len(e) == 16 for e in card.examples)
    assert scan_table(frame, max_examples=0).columns["email"][0].examples == ()


def test_pandas_pyarrow_and_polars_give_the_same_report() -> None:
    frame, _ = _realistic(120)
    frame = frame.drop(columns=["score"])
    from_pandas = scan_table(frame).to_dict()
    assert scan_table(pa.Table.from_pandas(frame, preserve_index=False)).to_dict() == from_pandas
    assert scan_table(pl.from_pandas(frame)).to_dict() == from_pandas


def test_the_adult_data_has_no_pii(adult_train: pd.DataFrame) -> None:
    report = scan_table(adult_train)
    assert all(found == [] for found in report.columns.values()), _kinds(report)
    assert report.free_text == {}
    assert set(report.columns) == set(adult_train.columns)


def test_date_of_birth_needs_a_column_named_like_one() -> None:
    days = [date(1990, 5, 17), date(1985, 1, 2), None]
    report = scan_table(pa.table({"dob": days, "joined": days}))
    assert _kinds(report) == {"dob": ["date_of_birth"]}  # a date column is not text
    assert report.columns["dob"][0].examples == ("1990-XX-XX", "1985-XX-XX")
    text = pd.DataFrame({"DateOfBirth": ["17/05/1990", "02/01/1985"], "when": ["17/05/1990"] * 2})
    assert _kinds(scan_table(text)) == {"DateOfBirth": ["date_of_birth"], "when": []}


def test_a_mixed_column_is_free_text_with_counts_per_kind() -> None:
    values = ["a@example.com", "b@example.org", "+91 98765 43210", "hello", None, "  ", "x@y.io"]
    report = scan_table(pd.DataFrame({"contact": values}))
    assert report.columns == {"contact": []}
    assert report.free_text == {"contact": {"email": 3, "phone": 1}}


def test_threshold_decides_when_a_column_holds_a_kind() -> None:
    values = ["a@example.com"] * 7 + ["n/a"] * 3
    frame = pd.DataFrame({"email": values})
    assert _kinds(scan_table(frame)) == {"email": []}
    held = scan_table(frame, threshold=0.7).columns["email"]
    assert held == [("email", 0.7, ("X@example.com",) * 3)]


def test_sampling_scans_a_seeded_subset() -> None:
    frame, _ = _realistic()
    first = scan_table(frame, sample_rows=100)
    assert first.scanned_rows == 100
    assert first.rows == ROWS
    assert first.to_dict() == scan_table(frame, sample_rows=100).to_dict()
    assert any("random sample of 100 of 400 rows" in note for note in first.notes)
    assert _kinds(first)["card"] == ["card"]
    assert scan_table(frame, sample_rows=10_000).scanned_rows == ROWS


def test_without_presidio_the_report_says_names_are_not_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)
    detectors_module.names_supported.cache_clear()
    try:
        report = scan_table(pd.DataFrame({"notes": ["Priya Sharma from Pune"]}))
    finally:
        detectors_module.names_supported.cache_clear()
    assert report.names_detected is False
    assert NAMES_NOT_DETECTED in report.notes
    assert NAMES_NOT_DETECTED == (
        "names and locations are not detected (install aweigh[presidio] and a spaCy model)"
    )


# --- any input type ------------------------------------------------------------------------


def test_binary_columns_with_invalid_utf8_are_decoded_with_replacement() -> None:
    values = [b"\xff\xfe\x00", b"mail a@example.com \xc3\x28", None, b"", b"\x80" * 10]
    for kind in (pa.binary(), pa.large_binary()):
        report = scan_table(pa.table({"blob": pa.array(values, kind)}))
        assert report.free_text == {"blob": {"email": 1}}
        assert (
            "column 'blob': holds bytes that are not valid UTF-8; decoded with replacement "
            "characters" in report.notes
        )


def test_valid_utf8_binary_is_read_as_text() -> None:
    report = scan_table(pa.table({"raw": pa.array([b"a@example.com", b"b@example.com"])}))
    assert _kinds(report) == {"raw": ["email"]}
    assert "column 'raw': binary column read as UTF-8 text" in report.notes


def test_object_columns_mixing_bytes_ints_and_none_do_not_crash() -> None:
    mixed = pd.Series([b"\xffa@example.com", 9876543210, None, "x@y.io", 3.5, float("nan")])
    report = scan_table(pd.DataFrame({"mixed": mixed}, dtype=object))
    assert report.free_text == {"mixed": {"email": 2, "phone": 1}}
    assert "column 'mixed': mixes value types; each value is read as text" in report.notes


def test_integer_columns_are_scanned_as_text() -> None:
    report = scan_table(pd.DataFrame({"phone": [9876543210, 7012345678, 8123456789]}))
    assert _kinds(report) == {"phone": ["phone"]}


def test_dictionary_and_nested_columns() -> None:
    table = pa.table(
        {
            "email": pa.array(["a@example.com", "b@example.com"]).dictionary_encode(),
            "tags": pa.array([["x"], ["y"]]),
            "empty": pa.nulls(2),
        }
    )
    report = scan_table(table)
    assert _kinds(report) == {"email": ["email"]}  # all-null and list columns: not text
    assert "column 'tags': not scanned: list<item: string> values are not text" in report.notes


def test_an_empty_table_gives_an_empty_report() -> None:
    report = scan_table(pd.DataFrame({"a": pd.Series([], dtype=str)}))
    assert report.columns == {"a": []}
    assert scan_table(pa.table({})).columns == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.3}, r"The 'threshold' parameter of scan_table must be a number in"),
        ({"max_examples": -1}, r"The 'max_examples' parameter of scan_table must be an int"),
        ({"sample_rows": 0}, r"The 'sample_rows' parameter of scan_table must be None or"),
    ],
)
def test_bad_parameters_are_refused_with_what_to_pass(
    kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        scan_table(pd.DataFrame({"a": ["x"]}), **kwargs)  # type: ignore[arg-type]


def test_bad_tables_are_refused_with_the_fix() -> None:
    with pytest.raises(InvalidInputError, match="takes a pandas DataFrame, a polars DataFrame"):
        scan_table([{"a": 1}])
    with pytest.raises(InvalidInputError, match="duplicate column names"):
        scan_table(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(InvalidInputError, match=r"call \.collect\(\)"):
        scan_table(pl.DataFrame({"a": ["x"]}).lazy())


# --- the vectorised scan is exactly classify + detect ------------------------------------------

_WORDS = ["order", "late", "call", "me", "at", "ref", "no.", "x", "-", ",", "\n", "id:", ""]
_WORDS += ["é", "\u00a0", "٣", "\u2028", "\ufffd", "+", "@", ":", "."]


def _fragment() -> st.SearchStrategy[str]:
    kinds = sorted(k for k in VALID if k != "date_of_birth")
    valid = st.sampled_from(kinds).flatmap(lambda k: VALID[k])
    broken = valid.flatmap(lambda v: change_one(v) if any(c.isdigit() for c in v) else st.just(v))
    return st.one_of(valid, broken, st.sampled_from(_WORDS))


_cells = st.one_of(
    st.lists(_fragment(), min_size=1, max_size=4).map(" ".join),
    st.lists(_fragment(), min_size=2, max_size=3).map("".join),  # fragments touching
    _fragment(),
    st.none(),
)


def _expected(values: list[str | None]) -> dict[str, int]:
    """What the scan promises, computed one value at a time in Python."""
    counts: Counter[str] = Counter()
    patterns = [d for d in DETECTORS if not d.column_hint]
    for value in values:
        text = (value or "").strip(" \t\n\r\x0b\x0c")
        if not text:
            continue
        kind = classify(text)
        if kind is not None:
            counts[kind] += 1
        elif not any(d.whole.fullmatch(text) for d in patterns):  # shaped: not searched
            counts.update({m.kind for m in detect(text, names=False)})
    return dict(counts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_cells, min_size=1, max_size=30))
def test_scan_counts_equal_classify_and_detect_value_by_value(
    values: list[str | None],
) -> None:
    report = scan_table(pa.table({"c": pa.array(values, pa.string())}), threshold=1.0)
    expected = _expected(values)
    held = {kind: report.matching("c", kind) for kind, _, _ in report.columns["c"]}
    assert {**report.free_text.get("c", {}), **held} == expected
