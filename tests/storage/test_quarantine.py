"""The quarantine store: bad rows kept on disk with their reasons, listed, fixed, replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

from aweigh.core.clock import ManualClock
from aweigh.core.errors import (
    AlreadyExistsError,
    ArtifactIntegrityError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from aweigh.data.batch import ROW, VIOLATIONS, BatchResult, replay, validate_table
from aweigh.data.contract import Contract
from aweigh.storage.quarantine import QuarantineStore

CONTRACT_YAML = """\
columns:
  age: {type: int, nullable: false, min: 17, max: 90}
  workclass: {type: string}
  education_num: {type: int, nullable: false, min: 1, max: 16}
  sex: {type: category, nullable: false, categories: [Female, Male]}
  hours_per_week: {type: int, nullable: false, min: 1, max: 99}
  income: {type: category, nullable: false, categories: ['<=50K', '>50K']}
"""
COLUMNS = ["age", "workclass", "education_num", "sex", "hours_per_week", "income"]
BAD = {4: ("age", 150), 9: ("income", "maybe"), 20: ("hours_per_week", 0), 33: ("age", "x")}


def contract(**changes: dict[str, Any]) -> Contract:
    data = yaml.safe_load(CONTRACT_YAML)
    for name, rules in changes.items():
        data["columns"][name].update(rules)
    return Contract.from_dict(data)


@pytest.fixture(scope="module")
def batch(adult_train: pd.DataFrame) -> BatchResult:
    """200 Adult rows with 4 bad values injected, validated."""
    frame = adult_train[COLUMNS].head(200).astype({"age": object})
    for row, (column, value) in BAD.items():
        frame.loc[row, column] = value
    return validate_table(frame, contract())


@pytest.fixture
def store(tmp_path: Path) -> QuarantineStore:
    return QuarantineStore(tmp_path / "quarantine", clock=ManualClock())


def put(store: QuarantineStore, batch: BatchResult, source: str = "in/adult.csv") -> str:
    return store.put(
        batch.bad,
        source=source,
        contract_yaml=CONTRACT_YAML,
        model="adult",
        model_version=3,
        dataset="adult-train",
    ).id


def test_put_then_list_shows_the_batch_with_its_rows_and_rule_summary(
    store: QuarantineStore, batch: BatchResult
) -> None:
    written = store.put(
        batch.bad,
        source="in/adult.csv",
        contract_yaml=CONTRACT_YAML,
        model="adult",
        model_version=3,
        dataset="adult-train",
    )

    (listed,) = store.list()
    assert listed == written
    assert listed.rows == 4
    assert listed.source == "in/adult.csv"
    assert (listed.model, listed.model_version, listed.dataset) == ("adult", 3, "adult-train")
    assert listed.summary == (
        ("age", "max", "reject", 1),
        ("age", "type", "reject", 1),
        ("hours_per_week", "min", "reject", 1),
        ("income", "category", "reject", 1),
    )
    assert not listed.replayed
    assert listed.error is None
    assert listed.path == store.root / f"batch={listed.id}" / "rows.parquet"
    assert listed.to_dict()["summary"][0] == ["age", "max", "reject", 1]


def test_read_returns_the_rows_with_violations_contract_and_model_version(
    store: QuarantineStore, batch: BatchResult
) -> None:
    batch_id = put(store, batch)

    table = store.read(batch_id)

    assert table[ROW].to_pylist() == sorted(BAD)
    assert table["age"].to_pylist()[0] == "150"
    assert table[VIOLATIONS].to_pylist()[0][0]["rule"] == "max"
    assert set(table["_model"].to_pylist()) == {"adult"}
    assert set(table["_model_version"].to_pylist()) == {3}
    assert set(table["_source"].to_pylist()) == {"in/adult.csv"}
    assert store.contract_text(batch_id) == CONTRACT_YAML
    assert len(set(table["_contract_sha256"].to_pylist())) == 1


def test_the_files_are_one_dataset_duckdb_can_query_across_batches(
    store: QuarantineStore, batch: BatchResult
) -> None:
    put(store, batch, "a.csv")
    put(store, batch, "b.csv")

    pattern = str(store.root / "batch=*" / "*.parquet")
    counts = duckdb.sql(
        f"SELECT _source, count(*) AS n FROM read_parquet('{pattern}', hive_partitioning=true) "
        "GROUP BY _source ORDER BY _source"
    ).fetchall()

    assert counts == [("a.csv", 4), ("b.csv", 4)]


def test_batch_ids_sort_by_creation_and_writes_leave_no_temporary_files(
    tmp_path: Path, batch: BatchResult
) -> None:
    clock = ManualClock()
    store = QuarantineStore(tmp_path / "q", clock=clock)
    ids = []
    for _ in range(3):
        ids.append(put(store, batch))
        clock.advance(1)

    assert [b.id for b in store.list()] == sorted(ids) == ids
    assert not list(store.root.rglob("*.tmp"))
    assert len(list((store.root / "contracts").iterdir())) == 1  # one text, shared


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_writes_text_values_row_numbers_and_readable_errors(
    store: QuarantineStore, batch: BatchResult, tmp_path: Path, suffix: str
) -> None:
    batch_id = put(store, batch)
    target = tmp_path / f"fix-me{suffix}"

    store.export(batch_id, target)

    table = pacsv.read_csv(target) if suffix == ".csv" else pq.read_table(target)
    assert table.column_names == [*COLUMNS, ROW, "_errors"]
    assert table[ROW].to_pylist() == sorted(BAD)
    errors = table["_errors"].to_pylist()
    assert "column 'age': value 150 is above the maximum 90" in errors[0]
    assert "column 'income'" in errors[1]


def test_export_refuses_to_overwrite_a_file_and_unknown_formats(
    store: QuarantineStore, batch: BatchResult, tmp_path: Path
) -> None:
    batch_id = put(store, batch)
    target = tmp_path / "fix.csv"
    target.write_text("my fixes")

    with pytest.raises(AlreadyExistsError, match=r"fix.csv already exists.*overwrite=True"):
        store.export(batch_id, target)
    with pytest.raises(InvalidInputError, match=r"must end in .csv or .parquet"):
        store.export(batch_id, tmp_path / "fix.xlsx")
    assert target.read_text() == "my fixes"
    store.export(batch_id, target, overwrite=True)
    assert target.read_text().startswith('"age"')


def test_mark_replayed_sets_the_flag_once(store: QuarantineStore, batch: BatchResult) -> None:
    batch_id = put(store, batch)

    marked = store.mark_replayed(batch_id, "out/adult-fixed.parquet")

    assert marked.replayed
    assert marked.replayed_into == "out/adult-fixed.parquet"
    assert marked.replayed_at is not None
    assert store.list()[0].replayed
    with pytest.raises(ConflictError, match=r"already replayed into 'out/adult-fixed.parquet'"):
        store.mark_replayed(batch_id, "again.parquet")


def test_a_replay_after_fixing_the_exported_rows_moves_them_to_good(
    store: QuarantineStore, batch: BatchResult, tmp_path: Path
) -> None:
    batch_id = put(store, batch)
    target = store.export(batch_id, tmp_path / "fix.csv")
    fixed = pacsv.read_csv(target).to_pandas()
    fixed.loc[fixed[ROW] == 4, "age"] = "50"
    fixed.loc[fixed[ROW] == 9, "income"] = ">50K"
    fixed.loc[fixed[ROW] == 20, "hours_per_week"] = 40

    result = replay(store, batch_id, contract(), fixed)
    still_bad = store.put(result.bad, source=str(target), contract_yaml=CONTRACT_YAML)
    store.mark_replayed(batch_id, "out/good.parquet")

    assert result.good_rows.to_pylist() == [4, 9, 20]
    assert result.good["age"].to_pylist()[0] == 50
    assert result.good["income"].to_pylist()[1] == ">50K"
    assert result.good["hours_per_week"].to_pylist()[2] == 40
    assert result.bad[ROW].to_pylist() == [33]  # "x" was not fixed
    assert store.read(still_bad.id)[ROW].to_pylist() == [33]
    assert {b.id: b.replayed for b in store.list()} == {batch_id: True, still_bad.id: False}


def test_a_replay_of_the_stored_batch_with_a_widened_contract_lets_rows_pass(
    store: QuarantineStore, batch: BatchResult
) -> None:
    batch_id = put(store, batch)

    result = replay(store, batch_id, contract(age={"max": 200}))

    assert result.good_rows.to_pylist() == [4]
    assert result.good["age"].to_pylist() == [150]
    assert result.bad[ROW].to_pylist() == [9, 20, 33]


def test_a_corrupt_batch_file_is_reported_clearly_and_the_others_stay_readable(
    store: QuarantineStore, batch: BatchResult
) -> None:
    good_id = put(store, batch, "a.csv")
    broken_id = put(store, batch, "b.csv")
    broken = store.root / f"batch={broken_id}" / "rows.parquet"
    broken.write_bytes(b"PAR1 this is not parquet")

    listed = {b.id: b for b in store.list()}

    assert listed[good_id].error is None
    assert listed[good_id].rows == 4
    assert listed[broken_id].error is not None
    assert str(broken) in listed[broken_id].error
    assert "move" in listed[broken_id].error
    with pytest.raises(ArtifactIntegrityError, match=rf"{broken_id}.*cannot be read.*intact"):
        store.read(broken_id)
    with pytest.raises(ArtifactIntegrityError, match=r"cannot be read"):
        store.export(broken_id, store.root.parent / "x.csv")
    with pytest.raises(ArtifactIntegrityError, match=r"cannot be read"):
        store.mark_replayed(broken_id, "x")
    assert store.read(good_id).num_rows == 4


def test_a_half_written_batch_is_not_listed(store: QuarantineStore, batch: BatchResult) -> None:
    put(store, batch)
    folder = store.root / "batch=20260101T000000000000Z-deadbeef"
    folder.mkdir()
    (folder / ".rows.parquet.1234abcd.tmp").write_bytes(b"partial")

    assert len(store.list()) == 1


def test_a_tampered_contract_file_is_detected(store: QuarantineStore, batch: BatchResult) -> None:
    batch_id = put(store, batch)
    (sidecar,) = (store.root / "contracts").iterdir()
    sidecar.write_text("columns: {}\n")

    with pytest.raises(ArtifactIntegrityError, match=r"does not match its sha256"):
        store.contract_text(batch_id)


@pytest.mark.parametrize(
    ("batch_id", "error", "message"),
    [
        ("20260101T000000000000Z-0123abcd", NotFoundError, r"No quarantine batch .* list"),
        ("../../etc", InvalidInputError, r"not a quarantine batch id"),
        ("", InvalidInputError, r"not a quarantine batch id"),
    ],
)
def test_unknown_and_malformed_batch_ids_are_refused(
    store: QuarantineStore, batch_id: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        store.read(batch_id)


def test_an_empty_store_lists_nothing(tmp_path: Path) -> None:
    assert QuarantineStore(tmp_path / "nowhere").list() == []


def test_put_refuses_tables_that_are_not_bad_rows(
    store: QuarantineStore, batch: BatchResult
) -> None:
    with pytest.raises(InvalidInputError, match=r"no bad rows to quarantine"):
        store.put(batch.bad.slice(0, 0), source="x", contract_yaml=CONTRACT_YAML)
    with pytest.raises(InvalidInputError, match=r"no \['_row', '_violations'\] column"):
        store.put(pa.table({"a": [1]}), source="x", contract_yaml=CONTRACT_YAML)
    with pytest.raises(InvalidInputError, match=r"_violations column .* must be a list"):
        store.put(pa.table({ROW: [1], VIOLATIONS: ["age too high"]}), source="x", contract_yaml="")
    with pytest.raises(InvalidInputError, match=r"pyarrow Table"):
        store.put(batch.bad.to_pandas(), source="x", contract_yaml=CONTRACT_YAML)  # type: ignore[arg-type]
    assert store.list() == []
