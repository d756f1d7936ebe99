"""``aweigh drift REFERENCE CURRENT`` on real Adult files: table, summary, JSON, exit codes,
and one clear line for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from aweigh.cli import drift as drift_command
from aweigh.data.profile import profile_table
from tests.cli._support import assert_error

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "adult"


def _app() -> typer.Typer:
    """The real ``aweigh`` app once it registers ``drift``; until then one just for it."""
    from aweigh.cli.app import app

    if any(c.name == "drift" for c in app.registered_commands):
        return app
    local = typer.Typer()
    local.callback()(lambda: None)
    local.command("drift")(drift_command.drift)
    return local


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(_app(), ["drift", *[str(a) for a in args]])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {result.exception!r}\n{result.stderr}") from (
            result.exception
        )
    return result


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, adult_train: pd.DataFrame) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drift-files")
    train, test = adult_train.iloc[:20_000], adult_train.iloc[20_000:]
    shifted = test.copy()
    shifted["age"] = shifted["age"] + 5
    rng = np.random.default_rng(42)
    shifted.loc[rng.random(len(shifted)) < 0.3, "education"] = "Doctorate"
    paths = {
        "train": folder / "train.csv",
        "test": folder / "test.parquet",
        "shifted": folder / "shifted.csv.gz",
        "profile": folder / "profile.json",
        "header_only": folder / "header_only.csv",
        "empty": folder / "empty.csv",
        "text": folder / "notes.txt",
        "other": folder / "other.csv",
        "broken": folder / "broken.parquet",
    }
    train.to_csv(paths["train"], index=False)
    test.to_parquet(paths["test"])
    shifted.to_csv(paths["shifted"], index=False)
    paths["profile"].write_text(profile_table(train).to_json(), encoding="utf-8")
    paths["header_only"].write_text("age,education\n", encoding="utf-8")
    paths["empty"].write_text("", encoding="utf-8")
    paths["text"].write_text("hello\n", encoding="utf-8")
    pd.DataFrame({"colour": ["red", "blue"] * 20}).to_csv(paths["other"], index=False)
    paths["broken"].write_bytes(b"not parquet at all")
    return paths


def test_unchanged_data_prints_the_table_and_no_drift(files: dict[str, Path]) -> None:
    result = run(files["train"], files["test"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "Drift: 12,561 current rows vs 20,000 reference rows" in result.stdout
    for header in ("column", "method", "effect", "threshold", "p-value", "drifted", "reason"):
        assert header in result.stdout
    assert result.stdout.strip().endswith("No drift in 15 tested columns.")


def test_drifted_columns_are_named_and_exit_0_unless_asked(files: dict[str, Path]) -> None:
    result = run(files["train"], files["shifted"])
    assert result.exit_code == 0
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("2 of 15 columns drifted: ")
    assert "age" in last
    assert "education" in last
    failing = run(files["train"], files["shifted"], "--fail-on-drift")
    assert failing.exit_code == drift_command.DRIFT_EXIT == 3
    assert run(files["train"], files["test"], "--fail-on-drift").exit_code == 0


def test_json_goes_to_a_file_or_to_stdout(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run(files["train"], files["shifted"], "--json", out)
    assert result.exit_code == 0
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(saved["drifted"]) == ["age", "education"]
    assert saved["dataset_drift"] is True
    printed = run(files["train"], files["shifted"], "--json", "-")
    assert json.loads(printed.stdout)["drifted"] == saved["drifted"]


def test_columns_categories_and_methods_can_be_chosen(files: dict[str, Path]) -> None:
    result = run(
        files["train"],
        files["shifted"],
        "-c",
        "age",
        "--column",
        "education_num",
        "--categorical",
        "education_num",
        "--numeric-method",
        "psi",
        "--json",
        "-",
    )
    data = json.loads(result.stdout)
    assert {(r["column"], r["method"]) for r in data["results"]} == {
        ("age", "psi"),
        ("education_num", "chi_square"),
    }
    assert data["drifted"] == ["age"]


def test_a_profile_json_is_a_reference(files: dict[str, Path]) -> None:
    result = run(files["profile"], files["shifted"], "--json", "-")
    assert sorted(json.loads(result.stdout)["drifted"]) == ["age", "education"]


def test_the_multivariate_checks_run_from_the_command_line(files: dict[str, Path]) -> None:
    data = json.loads(run(files["train"], files["shifted"], "--multivariate", "--json", "-").stdout)
    methods = {r["method"] for r in data["results"] if r["column"] == "*"}
    assert methods == {"domain_classifier", "pca"}


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("missing", "No file at"),
        ("folder", "is not a file"),
        ("text", "use a file ending in .csv, .csv.gz, .parquet, .pq, .json"),
        ("header_only", "holds no rows"),
        ("empty", "is empty: it has no header and no rows"),
        ("broken", "Cannot parse"),
        ("other", "share no columns"),
    ],
)
def test_bad_input_exits_1_with_one_line_naming_the_problem(
    files: dict[str, Path], tmp_path: Path, name: str, fragment: str
) -> None:
    path = {"missing": tmp_path / "nope.csv", "folder": tmp_path}.get(name) or files[name]
    stderr = assert_error(run(files["train"], path), "invalid_input", fragment)
    if name != "other":
        assert str(path.name) in stderr


def test_a_bad_method_name_exits_1_naming_the_choices(files: dict[str, Path]) -> None:
    assert_error(
        run(files["train"], files["test"], "--numeric-method", "ttest"),
        "invalid_input",
        "'numeric_method' parameter of compare must be one of",
    )
