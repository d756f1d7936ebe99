"""Signed receipts: they verify, tampering with any field breaks them, they hold no raw id."""

from __future__ import annotations

import json
import stat
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aweigh.core.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from aweigh.privacy.receipts import (
    RECEIPT_FIELDS,
    make_receipt,
    read_receipt,
    verify_receipt,
    write_receipt,
)
from aweigh.privacy.redact import hash_subject

SECRET = b"receipt-secret-0123456789abcdef"
OTHER_SECRET = b"another-secret-0123456789abcdef"
NOW = datetime(2026, 11, 29, 10, 30, tzinfo=UTC)
SUBJECT = "C100042"


def erasure(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "kind": "erasure",
        "subject_token": hash_subject(SECRET, SUBJECT),
        "searched": ["events", "feedback", "cache", "datasets"],
        "removed": {"events": 12, "feedback": 3, "cache": 1, "datasets": 0},
        "details": {"erasure_pending": ["churn:7", "adult@2026-11-01"], "passes": 2},
        "now": NOW,
        "secret": SECRET,
    }
    args.update(overrides)
    return make_receipt(**args)


def test_a_receipt_verifies_with_its_secret_only() -> None:
    receipt = erasure()
    assert set(receipt) == set(RECEIPT_FIELDS)
    assert verify_receipt(receipt, SECRET)
    assert not verify_receipt(receipt, OTHER_SECRET)


def test_a_receipt_says_what_was_searched_and_removed_and_when() -> None:
    receipt = erasure(now=datetime(2026, 11, 29, 16, 0, tzinfo=timezone(timedelta(hours=5.5))))
    assert uuid.UUID(receipt["receipt_id"]).version == 4
    assert receipt["kind"] == "erasure"
    assert receipt["subject"] == hash_subject(SECRET, SUBJECT)
    assert receipt["searched"] == ["events", "feedback", "cache", "datasets"]
    assert receipt["removed"] == {"events": 12, "feedback": 3, "cache": 1, "datasets": 0}
    assert receipt["created_at"] == "2026-11-29T10:30:00+00:00"
    assert len(receipt["signature"]) == 64


def test_erasing_a_subject_with_no_data_still_gives_a_receipt() -> None:
    receipt = erasure(removed={"events": 0, "feedback": 0}, searched=["events", "feedback"])
    assert verify_receipt(receipt, SECRET)
    assert sum(receipt["removed"].values()) == 0


def test_a_retention_receipt_may_cover_no_single_subject() -> None:
    receipt = erasure(kind="retention", subject_token=None, details={"older_than_days": 90})
    assert receipt["subject"] is None
    assert verify_receipt(receipt, SECRET)


def test_a_receipt_never_contains_the_raw_subject_id(tmp_path: Path) -> None:
    receipt = erasure()
    assert SUBJECT not in json.dumps(receipt)
    assert SUBJECT not in write_receipt(receipt, tmp_path).read_text(encoding="utf-8")


@pytest.mark.parametrize("raw", [SUBJECT, "h:short", "H:" + "a" * 32, ""])
def test_a_raw_subject_id_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInputError, match=r"never the raw id; pass hash_subject"):
        erasure(subject_token=raw)


changes = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=10),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(0, 5), max_size=3),
)


@given(field=st.sampled_from(RECEIPT_FIELDS), value=changes)
def test_tampering_with_any_field_breaks_verification(field: str, value: Any) -> None:
    receipt = erasure(receipt_id="3f2c7d9e-8a41-4b5e-9c0d-6e1f2a3b4c5d")
    if receipt[field] == value and type(receipt[field]) is type(value):
        value = [value]
    tampered = {**receipt, field: value}
    assert not verify_receipt(tampered, SECRET)


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("removed", lambda r: {**r["removed"], "events": 11}),
        ("removed", lambda r: {**r["removed"], "events": 12.0}),
        ("removed", lambda r: {**r["removed"], "events": True}),
        ("searched", lambda r: r["searched"][:-1]),
        ("details", lambda r: {**r["details"], "passes": 1}),
        ("created_at", lambda r: r["created_at"].replace("10:30", "10:31")),
        ("subject", lambda r: hash_subject(SECRET, "C100043")),
        ("signature", lambda r: r["signature"][:-1] + ("0" if r["signature"][-1] != "0" else "1")),
    ],
)
def test_small_edits_break_verification(field: str, change: Any) -> None:
    receipt = erasure()
    assert not verify_receipt({**receipt, field: change(receipt)}, SECRET)


def test_adding_or_removing_a_field_breaks_verification() -> None:
    receipt = erasure()
    assert not verify_receipt({**receipt, "note": "added"}, SECRET)
    assert not verify_receipt({k: v for k, v in receipt.items() if k != "details"}, SECRET)
    assert not verify_receipt("not a receipt", SECRET)
    assert not verify_receipt({**receipt, "signature": 42}, SECRET)


def test_the_receipt_is_a_copy_the_caller_cannot_change() -> None:
    details: dict[str, Any] = {"erasure_pending": ["churn:7"]}
    receipt = erasure(details=details)
    details["erasure_pending"].append("churn:8")
    assert receipt["details"] == {"erasure_pending": ["churn:7"]}
    assert verify_receipt(receipt, SECRET)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"kind": "deletion"}, r"Unknown receipt kind 'deletion'; use one of"),
        ({"now": datetime(2026, 11, 29)}, r"with a time zone; pass datetime.now\(UTC\)"),
        ({"removed": {"events": -1}}, r"whole count >= 0"),
        ({"removed": {"events": 1.5}}, r"whole count >= 0"),
        ({"searched": "events"}, r"list of store names"),
        ({"details": {"when": NOW}}, r"details are not JSON data"),
        ({"details": {"ratio": float("nan")}}, r"details are not JSON data"),
        ({"receipt_id": "../../etc/passwd"}, r"must be a lower-case UUID"),
    ],
)
def test_a_bad_receipt_is_refused_saying_why(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        erasure(**overrides)


def test_a_receipt_is_written_once_privately_and_reads_back_verified(tmp_path: Path) -> None:
    receipt = erasure()
    folder = tmp_path / "receipts"
    path = write_receipt(receipt, folder)
    assert path == folder / f"{receipt['receipt_id']}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == [path.name]
    again = read_receipt(path)
    assert again == receipt
    assert verify_receipt(again, SECRET)
    with pytest.raises(AlreadyExistsError, match=r"already exists.*written once"):
        write_receipt(receipt, folder)


def test_a_receipt_edited_on_disk_fails_verification(tmp_path: Path) -> None:
    path = write_receipt(erasure(), tmp_path)
    path.write_text(path.read_text().replace('"events": 12', '"events": 0'), encoding="utf-8")
    assert not verify_receipt(read_receipt(path), SECRET)


def test_a_receipt_with_a_path_in_its_id_is_not_written(tmp_path: Path) -> None:
    receipt = {**erasure(), "receipt_id": "../escape"}
    with pytest.raises(InvalidInputError, match=r"must be a lower-case UUID"):
        write_receipt(receipt, tmp_path / "receipts")
    assert not (tmp_path / "escape.json").exists()


def test_reading_a_missing_or_damaged_receipt_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"No receipt at"):
        read_receipt(tmp_path / "nope.json")
    (tmp_path / "broken.json").write_text('{"kind": ', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"not valid JSON \(line 1\)"):
        read_receipt(tmp_path / "broken.json")
    (tmp_path / "other.json").write_text('{"kind": "erasure"}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"not a receipt aweigh wrote"):
        read_receipt(tmp_path / "other.json")
