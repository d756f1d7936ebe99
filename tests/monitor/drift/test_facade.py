"""``aweigh.drift``: compare files as well as tables; errors name the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import aweigh.drift as drift
from aweigh.core.errors import InvalidInputError
from aweigh.data.profile import profile_table
from tests.monitor.drift.conftest import shifted_adult


@pytest.fixture(scope="module")
def folder(
    tmp_path_factory: pytest.TempPathFactory, adult_train: pd.DataFrame, adult_test: pd.DataFrame
) -> Path:
    out = tmp_path_factory.mktemp("facade")
    adult_train.to_parquet(out / "train.parquet")
    adult_test.to_csv(out / "test.csv", index=False)
    shifted_adult(adult_test).to_csv(out / "shifted.csv.gz", index=False)
    (out / "profile.json").write_text(profile_table(adult_train).to_json(), encoding="utf-8")
    window = drift.WindowSketch.of(shifted_adult(adult_test))
    (out / "window.json").write_text(window.to_json(), encoding="utf-8")
    return out


def test_files_of_every_format_compare_like_the_tables(folder: Path) -> None:
    assert drift.compare(folder / "train.parquet", folder / "test.csv").drifted == []
    shifted = drift.compare(str(folder / "profile.json"), folder / "shifted.csv.gz")
    assert sorted(shifted.drifted) == ["age", "education"]
    from_window = drift.compare(folder / "profile.json", folder / "window.json")
    assert sorted(from_window.drifted) == ["age", "education"]


def test_empty_text_in_a_csv_is_read_as_missing(folder: Path) -> None:
    table = drift.read(folder / "test.csv")
    assert table.column("workclass").null_count > 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.csv", None, "No file at"),
        ("notes.txt", "hello", "use a file ending in"),
        ("empty.csv", "", "is empty: it has no header and no rows"),
        ("broken.parquet", "not parquet", "Cannot parse"),
        ("bad.json", "{", "is not valid JSON"),
        ("other.json", '{"a": 1}', "is neither an aweigh profile nor a window sketch"),
        ("old.json", '{"type": "window_sketch", "format_version": 0}', "format_version 0"),
    ],
)
def test_unreadable_files_are_refused_naming_the_file(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message) as caught:
        drift.read(path)
    assert name in caught.value.message


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="is not a file"):
        drift.compare(tmp_path, tmp_path)


def test_the_facade_exports_the_public_names() -> None:
    assert len(set(drift.__all__)) == len(drift.__all__)
    for name in ("DriftReport", "DriftResult", "WindowSketch", "ColumnSketch", "StreamingDrift"):
        assert name in drift.__all__
        assert hasattr(drift, name)
