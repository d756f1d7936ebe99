"""Bad input to ``aweigh models``: one clear error line on stderr, exit 1, nothing registered.

Usage errors that Typer catches (a missing option, a wrong type) exit 2.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import pytest

from tests.cli._support import (
    ModelFiles,
    artifact_files,
    assert_error,
    invoke,
    invoke_json,
    register_income,
)

HUGE = "x" * 20_000


@pytest.fixture
def income(model_files: ModelFiles) -> dict[str, Any]:
    """``income/1`` registered with ``champion`` on it; returns what list/history show."""
    register_income(model_files, "--alias", "champion")
    return _state()


def _state() -> dict[str, Any]:
    models = invoke_json("models", "list")
    return {
        "models": models,
        "history": {m["name"]: invoke_json("models", "history", m["name"]) for m in models},
    }


def _register(files: ModelFiles, *args: str | Path, model: Path | None = None) -> Any:
    return invoke("models", "register", model or files.model, "--name", "income", *args)


def _nothing_registered(home: Path) -> None:
    """No model, version or alias was recorded (stray artifact bytes: see the orphan test)."""
    assert invoke_json("models", "list") == []


# -- unknown models, versions and references -----------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("models", "show", "nope"),
        ("models", "show", "nope/1"),
        ("models", "show", "nope@champion"),
        ("models", "alias", "nope", "champion", "1"),
        ("models", "alias", "nope", "champion", "--delete"),
        ("models", "history", "nope"),
        ("models", "history", "nope", "--at", "2026-01-01T00:00:00Z"),
        ("models", "delete", "nope/1"),
        ("models", "delete", "nope", "--all"),
    ],
    ids=[
        "show",
        "show-version",
        "show-alias",
        "alias",
        "alias-delete",
        "history",
        "history-at",
        "delete-version",
        "delete-all",
    ],
)
def test_unknown_model_is_reported_by_name(income: dict[str, Any], args: tuple[str, ...]) -> None:
    assert_error(invoke(*args), "model_not_found", "'nope'", "aweigh models list")
    assert _state() == income


def test_unknown_version_is_reported_with_its_number(income: dict[str, Any]) -> None:
    assert_error(invoke("models", "show", "income/9"), "version_not_found", "income", "9")
    assert _state() == income


def test_alias_to_unknown_version_is_refused(income: dict[str, Any]) -> None:
    assert_error(invoke("models", "alias", "income", "challenger", "9"), "version_not_found", "9")
    assert _state() == income


def test_unknown_alias_is_reported(income: dict[str, Any]) -> None:
    assert_error(invoke("models", "show", "income@canary"), "alias_not_found", "canary")
    assert_error(
        invoke("models", "alias", "income", "canary", "--delete"), "alias_not_found", "canary"
    )
    assert _state() == income


def test_deleting_a_missing_version_is_reported(income: dict[str, Any]) -> None:
    assert_error(invoke("models", "delete", "income/9"), "version_not_found", "9")
    assert _state() == income


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("income/abc", "positive whole number"),
        ("income/0", "positive whole number"),
        ("income/-1", "positive whole number"),
        ("income@", "Cannot parse"),
        ("income/", "Cannot parse"),
        ("@champion", "Cannot parse"),
        ("../x", "'..'"),
        ("income@1st", "alias"),
        ("a/b/c", "Cannot parse"),
    ],
    ids=[
        "letters",
        "zero",
        "negative",
        "empty-alias",
        "empty-version",
        "no-name",
        "path-traversal",
        "alias-starting-with-digit",
        "two-slashes",
    ],
)
def test_reference_that_does_not_parse_is_refused(
    income: dict[str, Any], ref: str, fragment: str
) -> None:
    stderr = assert_error(invoke("models", "show", ref), "invalid_reference", fragment)
    assert repr(ref) in stderr
    assert _state() == income


@pytest.mark.parametrize("ref", ["income/abc", "income@", "../x"])
def test_reference_that_does_not_parse_is_refused_by_delete_and_parent(
    income: dict[str, Any], model_files: ModelFiles, ref: str
) -> None:
    assert_error(invoke("models", "delete", ref), "invalid_reference")
    assert_error(_register(model_files, "--parent", ref), "invalid_reference")
    assert _state() == income


def test_unknown_parent_is_refused(model_files: ModelFiles, cli_home: Path) -> None:
    assert_error(_register(model_files, "--parent", "income/1"), "model_not_found")
    _nothing_registered(cli_home)


def test_alias_of_another_models_version_is_refused(
    income: dict[str, Any], model_files: ModelFiles
) -> None:
    invoke_json("models", "register", model_files.model, "--name", "churn")
    before = _state()
    assert_error(
        invoke("models", "alias", "income", "champion", "churn/1"), "invalid_input", "'churn'"
    )
    assert _state() == before


def test_delete_without_a_version_number_says_how(income: dict[str, Any]) -> None:
    assert_error(invoke("models", "delete", "income"), "invalid_input", "income/3")
    assert_error(invoke("models", "delete", "income@champion"), "invalid_input")
    assert _state() == income


def test_delete_all_with_a_version_is_refused(income: dict[str, Any]) -> None:
    assert_error(
        invoke("models", "delete", "income/1", "--all"), "invalid_input", "only the model name"
    )
    assert _state() == income


# -- names --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("bad name", "'bad name' is not allowed"),
        ("", "empty"),
        ("a" * 300, "300 characters"),
        ("../etc", "not allowed"),
        ("-leading-dash", "not allowed"),
        ("x/y", "not allowed"),
        ("café", "not allowed"),
    ],
    ids=["space", "empty", "300-chars", "dot-dot", "leading-dash", "slash", "non-ascii"],
)
def test_invalid_model_name_is_refused(
    model_files: ModelFiles, cli_home: Path, name: str, fragment: str
) -> None:
    result = invoke(
        "models", "register", model_files.model, "--name", name, "--sample", model_files.sample
    )
    assert_error(result, "invalid_name", "model name", fragment)
    _nothing_registered(cli_home)


@pytest.mark.parametrize("alias", ["1st", "bad alias", "", "a" * 200])
def test_invalid_alias_name_is_refused(model_files: ModelFiles, cli_home: Path, alias: str) -> None:
    assert_error(_register(model_files, "--alias", alias), "invalid_name", "alias")
    _nothing_registered(cli_home)


def test_invalid_alias_name_is_refused_when_moving(income: dict[str, Any]) -> None:
    assert_error(invoke("models", "alias", "income", "bad alias", "1"), "invalid_name", "alias")
    assert _state() == income


# -- model files ----------------------------------------------------------------------------
def test_missing_model_file_is_reported(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.joblib"
    assert_error(
        _register(model_files, model=missing), "not_a_model", str(missing), "Check the path"
    )
    _nothing_registered(cli_home)


def test_path_with_markup_characters_is_printed_literally(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "[bold red]model[/].joblib"
    assert_error(_register(model_files, model=missing), "not_a_model", str(missing))
    _nothing_registered(cli_home)


def test_directory_as_model_file_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model.joblib"
    folder.mkdir()
    assert_error(_register(model_files, model=folder), "not_a_model", "directory")
    _nothing_registered(cli_home)


def test_csv_renamed_to_joblib_is_not_a_model(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "model.joblib"
    fake.write_bytes(model_files.sample.read_bytes())
    assert_error(_register(model_files, model=fake), "not_a_model", "model.joblib", "not data")
    _nothing_registered(cli_home)


def test_joblib_file_holding_data_is_not_a_model(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    data = tmp_path / "weights.joblib"
    joblib.dump({"coef": [1.0, 2.0]}, data)
    assert_error(_register(model_files, model=data), "not_a_model", "predict")
    _nothing_registered(cli_home)


def test_truncated_pickle_is_not_a_model(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "model.pkl"
    broken.write_bytes(pickle.dumps(list(range(1000)))[:50])
    assert_error(_register(model_files, model=broken), "not_a_model")
    _nothing_registered(cli_home)


def test_unsupported_model_suffix_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    odd = tmp_path / "model.xyz"
    odd.write_bytes(model_files.model.read_bytes())
    assert_error(_register(model_files, model=odd), "unsupported_flavor", "model.xyz", ".joblib")
    _nothing_registered(cli_home)


def test_unknown_flavor_is_refused(model_files: ModelFiles, cli_home: Path) -> None:
    assert_error(
        _register(model_files, "--flavor", "tensorflow"), "unsupported_flavor", "'tensorflow'"
    )
    _nothing_registered(cli_home)


def test_unknown_task_is_refused(model_files: ModelFiles, cli_home: Path) -> None:
    assert_error(_register(model_files, "--task", "ranking"), "invalid_input", "'ranking'")
    _nothing_registered(cli_home)


# -- sample and training data ---------------------------------------------------------------
def test_missing_sample_is_reported(model_files: ModelFiles, cli_home: Path) -> None:
    assert_error(
        _register(model_files, "--sample", "nothere.csv"),
        "invalid_input",
        "nothere.csv",
        "Check the path",
    )
    _nothing_registered(cli_home)


def test_empty_sample_file_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_error(_register(model_files, "--sample", empty), "invalid_input", "empty.csv")
    _nothing_registered(cli_home)


def test_sample_with_a_header_but_no_rows_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    header_only = tmp_path / "header.csv"
    header_only.write_text("age,education_num,hours_per_week,workclass,sex\n")
    assert_error(_register(model_files, "--sample", header_only), "invalid_input", "no rows")
    _nothing_registered(cli_home)


def test_binary_garbage_sample_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    assert_error(
        _register(model_files, "--sample", garbage), "invalid_input", "garbage.csv", "Cannot parse"
    )
    _nothing_registered(cli_home)


def test_sample_with_mismatched_quotes_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    quotes = tmp_path / "quotes.csv"
    quotes.write_text('age,education_num,hours_per_week,workclass,sex\n30,10,40,"Private,Male\n')
    assert_error(
        _register(model_files, "--sample", quotes), "invalid_input", "quotes.csv", "Cannot parse"
    )
    _nothing_registered(cli_home)


def test_sample_with_ragged_rows_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(
        "age,education_num,hours_per_week,workclass,sex\n"
        "30,10,40,Private,Male\n30,10,40,Private,Male,1,2,3\n"
    )
    assert_error(_register(model_files, "--sample", ragged), "invalid_input", "ragged.csv")
    _nothing_registered(cli_home)


def test_sample_with_the_wrong_columns_is_refused(model_files: ModelFiles, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n3,4\n")
    assert_error(
        _register(model_files, "--sample", wrong),
        "not_a_model",
        "failed to predict on the sample",
        "columns",
    )
    assert invoke_json("models", "list") == []


def _wrong_columns(files: ModelFiles, tmp_path: Path) -> tuple[str | Path, ...]:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n3,4\n")
    return (files.model, "--sample", wrong)


def _data_not_model(files: ModelFiles, tmp_path: Path) -> tuple[str | Path, ...]:
    data = tmp_path / "weights.joblib"
    joblib.dump({"coef": [1.0, 2.0]}, data)
    return (data,)


def _unknown_task(files: ModelFiles, tmp_path: Path) -> tuple[str | Path, ...]:
    return (files.model, "--task", "ranking")


@pytest.mark.parametrize(
    "make_args",
    [_wrong_columns, _data_not_model, _unknown_task],
    ids=["sample-with-wrong-columns", "joblib-holding-data", "unknown-task"],
)
def test_failed_registration_leaves_no_orphan_artifact(
    model_files: ModelFiles,
    cli_home: Path,
    tmp_path: Path,
    make_args: Callable[[ModelFiles, Path], tuple[str | Path, ...]],
) -> None:
    # The model file is copied into the content-addressed store before it is checked; when
    # registration then fails no version refers to those bytes, so they must not stay behind
    # (delete_version/delete_model collect unreferenced artifacts the same way).
    result = invoke("models", "register", *make_args(model_files, tmp_path), "--name", "income")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert invoke_json("models", "list") == []
    assert artifact_files(cli_home) == []


def test_failed_registration_keeps_artifacts_other_versions_use(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    registered = register_income(model_files)
    before = _state()
    result = invoke(
        "models", "register", *_wrong_columns(model_files, tmp_path), "--name", "income"
    )
    assert_error(result, "not_a_model")
    assert _state() == before
    assert [p.name for p in artifact_files(cli_home)] == [registered["sha256"]]
    assert invoke_json("models", "show", "income/1")["sha256"] == registered["sha256"]


def test_sample_with_unsupported_suffix_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    text = tmp_path / "rows.txt"
    text.write_bytes(model_files.sample.read_bytes())
    assert_error(_register(model_files, "--sample", text), "invalid_input", "rows.txt", ".csv")
    _nothing_registered(cli_home)


def test_directory_as_sample_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "rows.csv"
    folder.mkdir()
    assert_error(_register(model_files, "--sample", folder), "invalid_input", "not a file")
    _nothing_registered(cli_home)


def test_corrupt_parquet_training_data_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "train.parquet"
    good = model_files.training_data.read_bytes()
    corrupt.write_bytes(good[: len(good) // 2])
    assert_error(
        _register(model_files, "--training-data", corrupt),
        "invalid_input",
        "train.parquet",
        "Parquet",
    )
    _nothing_registered(cli_home)


def test_csv_named_parquet_is_refused(
    model_files: ModelFiles, cli_home: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "train.parquet"
    fake.write_bytes(model_files.sample.read_bytes())
    assert_error(_register(model_files, "--training-data", fake), "invalid_input", "train.parquet")
    _nothing_registered(cli_home)


# -- KEY=VALUE options and text -------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value", "fragment"),
    [
        ("--param", "novalue", "'novalue' must look like KEY=VALUE"),
        ("--param", "=1", "KEY=VALUE"),
        ("--tag", "team", "'team' must look like KEY=VALUE"),
        ("--metric", "auc", "KEY=VALUE"),
    ],
    ids=["param-no-equals", "param-empty-key", "tag-no-equals", "metric-no-equals"],
)
def test_pair_without_key_and_value_is_refused(
    model_files: ModelFiles, cli_home: Path, option: str, value: str, fragment: str
) -> None:
    assert_error(_register(model_files, option, value), "invalid_input", fragment)
    _nothing_registered(cli_home)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("auc=high", "must be a number"),
        ("auc=nan", "auc"),
        ("auc=NaN", "finite"),
        ("auc=Infinity", "finite"),
        ("auc=-Infinity", "finite"),
        ("auc=true", "must be a number"),
        ("auc=", "must be a number"),
        ("auc=[1]", "must be a number"),
    ],
    ids=["word", "nan", "json-NaN", "infinity", "minus-infinity", "bool", "empty", "list"],
)
def test_metric_that_is_not_a_finite_number_is_refused(
    model_files: ModelFiles, cli_home: Path, value: str, fragment: str
) -> None:
    assert_error(_register(model_files, "--metric", value), "invalid_input", "metric", fragment)
    _nothing_registered(cli_home)


def test_huge_description_is_refused(model_files: ModelFiles, cli_home: Path) -> None:
    stderr = assert_error(
        _register(model_files, "--description", HUGE),
        "invalid_input",
        "description",
        "20000 characters",
        "10000",
    )
    assert len(stderr) < 500  # the value is not echoed back
    _nothing_registered(cli_home)


def test_huge_alias_reason_is_refused(income: dict[str, Any]) -> None:
    stderr = assert_error(
        invoke("models", "alias", "income", "champion", "1", "--reason", HUGE),
        "invalid_input",
        "reason",
        "20000 characters",
    )
    assert len(stderr) < 500
    assert _state() == income


@pytest.mark.parametrize(
    "args",
    [
        ("--tag", f"team={HUGE}"),
        ("--tag", f"{HUGE}=risk"),
        ("--param", f"notes={HUGE}"),
        ("--metric", f"{HUGE}=0.5"),
    ],
    ids=["tag-value", "tag-key", "param-value", "metric-key"],
)
def test_huge_key_value_option_is_refused(
    model_files: ModelFiles, cli_home: Path, args: tuple[str, str]
) -> None:
    # a 20,000-character value is refused for --description and --reason; a tag, param or
    # metric of the same size must not slip into the registry unbounded either
    stderr = assert_error(_register(model_files, *args), "invalid_input", "20000")
    assert len(stderr) < 1000
    _nothing_registered(cli_home)


# -- alias and history ----------------------------------------------------------------------
def test_history_at_a_time_that_does_not_parse_is_refused(income: dict[str, Any]) -> None:
    assert_error(
        invoke("models", "history", "income", "--at", "not-a-time"),
        "invalid_input",
        "'not-a-time'",
        "ISO 8601",
    )
    assert _state() == income


def test_alias_without_version_or_delete_says_what_to_do(income: dict[str, Any]) -> None:
    assert_error(
        invoke("models", "alias", "income", "champion"),
        "invalid_input",
        "income@champion",
        "aweigh models alias income champion 3",
    )
    assert _state() == income


def test_alias_to_a_version_that_is_not_a_number_or_reference_is_refused(
    income: dict[str, Any],
) -> None:
    assert_error(
        invoke("models", "alias", "income", "challenger", "two"), "model_not_found", "'two'"
    )
    assert _state() == income


# -- usage errors (Typer) -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("models", "register", "model.joblib"), "Missing option '--name'"),
        (("models", "register"), "Missing argument 'path'"),
        (("models", "alias", "income", "champion", "1", "--expect", "one"), "--expect"),
        (("models", "show"), "Missing argument 'ref'"),
        (("models", "list", "--bogus"), "--bogus"),
        (("models", "frobnicate"), "frobnicate"),
    ],
    ids=[
        "missing-name",
        "missing-path",
        "expect-not-int",
        "show-missing-ref",
        "unknown-option",
        "unknown-command",
    ],
)
def test_usage_error_exits_2_and_registers_nothing(
    cli_home: Path, args: tuple[str, ...], fragment: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert fragment in result.stderr
    assert "Usage:" in result.stderr
    _nothing_registered(cli_home)


# -- configuration ------------------------------------------------------------------------
def test_store_url_with_unknown_scheme_is_refused_without_the_password(
    monkeypatch: pytest.MonkeyPatch, cli_home: Path
) -> None:
    monkeypatch.setenv("AWEIGH_STORE_URL", "mysql://u:secret@h/db")
    stderr = assert_error(
        invoke("models", "list"), "store_url_invalid", "mysql", "postgresql://", "u:***@h"
    )
    assert "secret" not in stderr
    assert not cli_home.exists()


def test_unreachable_postgres_is_reported_without_the_password(
    monkeypatch: pytest.MonkeyPatch, cli_home: Path
) -> None:
    monkeypatch.setenv("AWEIGH_STORE_URL", "postgresql://u:secret@127.0.0.1:1/db")
    monkeypatch.setenv("AWEIGH_STORE_BUSY_TIMEOUT_S", "1")
    stderr = assert_error(invoke("models", "list"), "store_unavailable", "***", "127.0.0.1")
    assert "secret" not in stderr


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWEIGH_STORE_BUSY_TIMEOUT_S", "soon")
    assert_error(invoke("models", "list"), "config_invalid", "store_busy_timeout_s")


def test_serve_with_an_unreadable_serve_lean_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refused before anything starts or restarts (the process is never replaced)."""
    monkeypatch.setenv("AWEIGH_SERVE_LEAN", "maybe")
    assert_error(invoke("serve", "--port", "0"), "config_invalid", "serve_lean")


def test_missing_config_file_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWEIGH_CONFIG", str(tmp_path / "nope.toml"))
    assert_error(invoke("models", "list"), "config_invalid", "AWEIGH_CONFIG", "nope.toml")


def test_broken_config_file_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "aweigh.toml"
    config.write_text('store_url = "unterminated\n')
    assert_error(invoke("models", "list"), "config_invalid", "TOML")
