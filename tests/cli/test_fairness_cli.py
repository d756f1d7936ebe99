"""``aweigh fairness audit`` on Adult rows: from a prediction column or a registered model,
a table per attribute, a JSON report, and bad input as one clear error line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from aweigh.cli import fairness
from aweigh.monitor.fairness import fairness_table
from tests.cli._support import FEATURES, ModelFiles, assert_error, register_income


def _root() -> typer.Typer:
    """The ``aweigh`` app once it registers ``fairness``; until then, a root holding it."""
    from aweigh.cli.app import app

    if any(group.name == "fairness" for group in app.registered_groups):
        return app
    root = typer.Typer()
    root.add_typer(fairness.app, name="fairness")
    return root


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(_root(), ["fairness", "audit", *map(str, args)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {result.exception!r}\n{result.stderr}") from (
            result.exception
        )
    return result


@pytest.fixture
def scored_csv(tmp_path: Path, model_files: ModelFiles, adult_train: pd.DataFrame) -> Path:
    """3000 Adult rows (not trained on) with the test model's predictions in ``predicted``."""
    import joblib

    rows = adult_train.iloc[-3000:].reset_index(drop=True)
    model = joblib.load(model_files.model)
    path = tmp_path / "scored.csv"
    rows.assign(predicted=model.predict(rows[FEATURES])).to_csv(path, index=False)
    return path


def test_audit_prints_a_table_per_attribute_and_writes_the_json_report(
    scored_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "fairness.json"
    result = invoke(
        scored_csv, "--label", "income", "--sensitive", "sex", "--sensitive", "race",
        "--prediction", "predicted", "--positive", ">50K", "--json", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    text = result.stdout
    assert "sex: four-fifths" in text
    assert "sex&race: four-fifths" in text
    for fragment in ("selection rate", "Female", "Male", "too small", "fairness FAIL"):
        assert fragment in text, fragment
    report = json.loads(out.read_text())
    rows = pd.read_csv(scored_csv)
    expected = fairness_table(
        rows["income"], rows["predicted"], rows[["sex", "race"]], positive=">50K"
    )
    assert report == json.loads(json.dumps(expected.to_dict()))
    assert report["passed"] is False


def test_audit_predicts_with_a_registered_model_and_strict_fails_the_exit_status(
    scored_csv: Path, model_files: ModelFiles
) -> None:
    register_income(model_files, "--alias", "champion")
    args = ("--label", "income", "--sensitive", "sex", "--positive", ">50K")
    by_model = invoke(scored_csv, *args, "--model", "income@champion", "--n-boot", "200")
    by_column = invoke(scored_csv, *args, "--prediction", "predicted", "--n-boot", "200")
    assert by_model.exit_code == 0, by_model.stderr
    assert by_model.stdout == by_column.stdout
    strict = invoke(scored_csv, *args, "--prediction", "predicted", "--strict", "--n-boot", "50")
    assert strict.exit_code == 1
    assert "sex fails four-fifths" in strict.stdout.replace("\n", " ")


def test_numeric_labels_take_a_numeric_positive(scored_csv: Path, tmp_path: Path) -> None:
    rows = pd.read_csv(scored_csv)
    path = tmp_path / "binary.parquet"
    rows.assign(
        y=(rows["income"] == ">50K").astype(int), yhat=(rows["predicted"] == ">50K").astype(int)
    ).to_parquet(path)
    base = (path, "--label", "y", "--sensitive", "sex", "--prediction", "yhat", "--n-boot", "50")
    assert invoke(*base, "--positive", "1").stdout == invoke(*base).stdout
    assert_error(invoke(*base, "--positive", "yes"), "invalid_input", "not a number")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--sensitive", "gender"), ("no sensitive attribute column 'gender'", "columns are")),
        (("--label", "salary"), ("no label column 'salary'",)),
        (("--positive", ">50k"), ("'>50k' occurs in neither", "'<=50K'")),
        (("--model", "income@champion"), ("exactly one of --prediction or --model",)),
        (("--min-group-size", "10", "--confidence", "2"), ("'confidence' option",)),
    ],
)
def test_bad_audit_input_is_one_error_line(
    scored_csv: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    base = {"--label": "income", "--sensitive": "sex", "--positive": ">50K"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    flat = [x for k, v in (base | given).items() for x in (k, v)]
    result = invoke(scored_csv, *flat, "--prediction", "predicted")
    assert_error(result, "invalid_input", *fragments)


def test_a_missing_file_or_unknown_model_is_named(scored_csv: Path, tmp_path: Path) -> None:
    args = ("--label", "income", "--sensitive", "sex", "--positive", ">50K")
    missing = invoke(tmp_path / "nope.csv", *args, "--prediction", "predicted")
    assert_error(missing, "invalid_input", "No file at", "nope.csv")
    unknown = invoke(scored_csv, *args, "--model", "churn@champion")
    assert_error(unknown, "model_not_found", "churn")
