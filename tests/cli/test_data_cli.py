"""``aweigh data`` and ``aweigh predict``: contracts, validation with quarantine, profiles,
dataset versions and batch scoring, on real Adult rows, with every kind of bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli._support import (
    FEATURES,
    ModelFiles,
    assert_error,
    invoke,
    invoke_json,
    invoke_ok,
)


@pytest.fixture
def adult_csv(tmp_path: Path, adult_train: pd.DataFrame) -> Path:
    path = tmp_path / "adult.csv"
    adult_train.head(3000).to_csv(path, index=False)
    return path


@pytest.fixture
def contract_file(tmp_path: Path, adult_csv: Path) -> Path:
    out = tmp_path / "contract.yaml"
    invoke_ok("data", "infer", adult_csv, "--out", out)
    return out


def _with_bad_rows(frame: pd.DataFrame, path: Path) -> Path:
    broken = frame.astype({"age": object}).copy()
    broken.loc[3, "age"] = 999
    broken.loc[7, "age"] = "forty"
    broken.loc[11, "sex"] = "Unknown"
    broken.to_csv(path, index=False)
    return path


def test_infer_prints_a_contract_and_diffs_it_against_an_adopted_one(
    adult_csv: Path, contract_file: Path, tmp_path: Path, adult_train: pd.DataFrame
) -> None:
    text = invoke_ok("data", "infer", adult_csv).stdout
    assert "columns:" in text
    assert "age:" in text
    assert "type: int" in text
    older = tmp_path / "older.csv"
    adult_train.head(3000).drop(columns=["fnlwgt"]).assign(zip="02139").to_csv(older, index=False)
    diff = invoke_ok("data", "infer", older, "--against", contract_file).stdout
    assert "- column fnlwgt" in diff
    assert "+ column zip" in diff


def test_validate_quarantines_bad_rows_and_replays_them_after_a_fix(
    tmp_path: Path, adult_train: pd.DataFrame, contract_file: Path
) -> None:
    path = _with_bad_rows(
        adult_train.iloc[3000:4000].reset_index(drop=True), tmp_path / "batch.csv"
    )
    report = invoke_json(
        "data", "validate", path, "--contract", contract_file, "--max-bad-share", "0.05"
    )
    assert (report["rows"], report["bad"]) == (1000, 3)
    rules = {(s["column"], s["rule"]) for s in report["summary"]}
    assert {("age", "max"), ("age", "type"), ("sex", "category")} <= rules
    batch = report["quarantine_batch"]
    listed = invoke_json("data", "quarantine", "list")
    assert [b["id"] for b in listed] == [batch]
    exported = tmp_path / "fix.csv"
    invoke_ok("data", "quarantine", "export", batch, exported)
    fixed = pd.read_csv(exported)
    assert len(fixed) == 3
    fixed["age"] = 40
    fixed["sex"] = "Male"
    fixed[[c for c in fixed.columns if not c.startswith("_")]].to_csv(exported, index=False)
    replayed = invoke_json(
        "data", "quarantine", "replay", batch, "--fixed", exported, "--contract", contract_file
    )
    assert (replayed["good"], replayed["bad"]) == (3, 0)


def test_validate_exits_1_over_the_bad_share_threshold(
    tmp_path: Path, adult_train: pd.DataFrame, contract_file: Path
) -> None:
    path = _with_bad_rows(
        adult_train.iloc[3000:3100].reset_index(drop=True), tmp_path / "batch.csv"
    )
    result = invoke(
        "data",
        "validate",
        path,
        "--contract",
        contract_file,
        "--max-bad-share",
        "0.01",
        "--no-quarantine",
    )
    assert result.exit_code == 1
    assert "3 bad" in result.stdout


def test_profile_writes_json_and_a_self_contained_html_report(
    adult_csv: Path, tmp_path: Path
) -> None:
    html, out = tmp_path / "report.html", tmp_path / "profile.json"
    printed = invoke_ok(
        "data", "profile", adult_csv, "--label", "income", "--html", html, "--json-out", out
    ).stdout
    assert "age" in printed
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert "<script" not in page
    assert "<svg" in page
    profile = json.loads(out.read_text())
    assert profile["rows"] == 3000


def test_dataset_versions_hash_content_not_order_and_show_lineage(
    tmp_path: Path, adult_train: pd.DataFrame, model_files: ModelFiles
) -> None:
    first = tmp_path / "adult.csv"
    adult_train.head(2000).to_csv(first, index=False)
    shuffled = tmp_path / "adult_shuffled.parquet"
    adult_train.head(2000).sample(frac=1, random_state=1).to_parquet(shuffled)
    changed = tmp_path / "adult_changed.csv"
    adult_train.head(2500).to_csv(changed, index=False)
    one = invoke_json("data", "register", first, "--name", "adult", "--label", "income")
    again = invoke_json("data", "register", shuffled, "--name", "adult")
    assert again["ref"] == one["ref"] == "adult/1"
    two = invoke_json("data", "register", changed, "--name", "adult")
    assert two["ref"] == "adult/2"
    assert two["sha256"] != one["sha256"]
    assert [d["ref"] for d in invoke_json("data", "list")] == ["adult/2"]
    diff = invoke_ok("data", "diff", "adult/1", "adult/2").stdout
    assert "rows 2,000" in diff
    assert "2,500" in diff
    from tests.cli._support import registry

    registry().register(
        model_files.model, "income", sample=model_files.frame[FEATURES].head(20), dataset="adult/1"
    )
    shown = invoke_ok("data", "show", "adult/1").stdout
    assert "models trained on it: income/1" in shown
    assert invoke_json("models", "show", "income/1")["dataset"] == "adult/1"


def test_predict_scores_a_file_and_quarantines_rows_that_break_the_contract(
    tmp_path: Path, adult_train: pd.DataFrame, model_files: ModelFiles
) -> None:
    invoke_ok(
        "models",
        "register",
        model_files.model,
        "--name",
        "income",
        "--sample",
        model_files.sample,
        "--training-data",
        model_files.training_data,
    )
    rows = adult_train.iloc[5000:5500][FEATURES].reset_index(drop=True)
    path = _with_bad_rows(rows.assign(sex=rows["sex"]), tmp_path / "score.csv")
    out = tmp_path / "scored.parquet"
    report = invoke_json(
        "predict", path, "--model", "income/1", "--out", out, "--max-bad-share", "0.05"
    )
    assert report["rows"] == 500
    assert report["bad"] >= 3  # the three broken rows (and any real row outside the contract)
    assert report["scored"] == 500 - report["bad"]
    scored = pd.read_parquet(out)
    assert set(scored["prediction"]) <= {"<=50K", ">50K"}
    assert {"proba_<=50K", "proba_>50K"} <= set(scored.columns)
    assert invoke_json("data", "quarantine", "list")[0]["model"] == "income"


# -- bad files and bad contracts --------------------------------------------------------


def test_bad_files_are_named_with_the_fix(
    tmp_path: Path, contract_file: Path, adult_train: pd.DataFrame
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header.csv"
    header.write_text(",".join(adult_train.columns) + "\n")
    semicolons = tmp_path / "semi.csv"
    adult_train.head(20).to_csv(semicolons, index=False, sep=";")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("age,city\n30,S\xe3o Paulo\n".encode("latin-1"))
    cases = [
        (empty, ["empty"]),
        (semicolons, ["--delimiter"]),
        (latin, ["--encoding"]),
        (tmp_path / "missing.csv", ["No file"]),
        (tmp_path, ["not a file"]),
    ]
    for path, words in cases:
        assert_error(
            invoke("data", "validate", path, "--contract", contract_file), "invalid_input", *words
        )
    header_only = invoke_json("data", "validate", header, "--contract", contract_file)
    assert header_only["rows"] == 0


def test_missing_extra_and_mixed_columns_are_reported(
    tmp_path: Path, contract_file: Path, adult_train: pd.DataFrame
) -> None:
    extra = tmp_path / "extra.csv"
    adult_train.head(50).assign(zipcode="02139").to_csv(extra, index=False)
    assert_error(
        invoke("data", "validate", extra, "--contract", contract_file),
        "invalid_input",
        "zipcode",
        "extra_columns: ignore",
    )
    missing = tmp_path / "missing.csv"
    adult_train.head(50).drop(columns=["age"]).to_csv(missing, index=False)
    result = invoke("data", "validate", missing, "--contract", contract_file)
    assert result.exit_code == 1
    assert "age" in result.stderr + result.stdout
    mixed = tmp_path / "mixed.csv"
    frame = adult_train.head(50).astype({"age": object, "hours_per_week": object})
    frame.loc[1, "age"] = "12"
    frame.loc[2, "age"] = "x"
    frame.loc[3, "hours_per_week"] = "inf"
    frame.to_csv(mixed, index=False)
    report = invoke_json(
        "data", "validate", mixed, "--contract", contract_file, "--max-bad-share", "1"
    )
    assert report["bad"] == 2


def test_malformed_contracts_name_the_file_and_column(tmp_path: Path, adult_csv: Path) -> None:
    cases = {
        "broken.yaml": "columns: [unclosed",
        "list.yaml": "- a\n- b\n",
        "rule.yaml": "columns:\n  age: {type: int, maximum: 3}\n",
        "type.yaml": "columns:\n  age: {type: integer}\n",
        "range.yaml": "columns:\n  age: {type: int, min: 9, max: 1}\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        result = invoke("data", "validate", adult_csv, "--contract", path)
        assert_error(result, "invalid_input", name)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("columns:\n  shoe_size: {type: int}\n")
    result = invoke("data", "validate", adult_csv, "--contract", unknown)
    assert result.exit_code == 1
    assert "shoe_size" in result.stderr + result.stdout


def test_huge_strings_and_ten_thousand_columns_do_not_break_validation(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    pd.DataFrame({f"c{i}": [1, 2, 3] for i in range(10_000)}).to_csv(wide, index=False)
    contract = tmp_path / "wide.yaml"
    invoke_ok("data", "infer", wide, "--out", contract)
    assert invoke_json("data", "validate", wide, "--contract", contract)["bad"] == 0
    huge = tmp_path / "huge.csv"
    pd.DataFrame({"note": ["short", "x" * 1_000_000], "n": [1, 2]}).to_csv(huge, index=False)
    small = tmp_path / "small.yaml"
    small.write_text("columns:\n  note: {type: string, max_length: 100}\n  n: {type: int}\n")
    report = invoke_json("data", "validate", huge, "--contract", small, "--max-bad-share", "1")
    assert report["bad"] == 1
