"""``aweigh report drift|fairness|quality``: pages and JSON written, paths printed, errors clear."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

from aweigh.cli import report
from aweigh.cli._context import registry
from aweigh.core.entities import MonitorRecord
from tests.cli._support import ModelFiles, assert_error, register_income
from tests.report._monitor_samples import quality_window

_CLI = typer.Typer()
_CLI.add_typer(report.app, name="report")
COLUMNS = ["age", "workclass", "education_num", "sex", "race", "hours_per_week", "income"]


def run(*args: str | Path) -> Result:
    """``aweigh report ARGS`` in-process; a crash (not an exit) fails the test."""
    result = CliRunner().invoke(_CLI, ["report", *(str(a) for a in args)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"crashed: {result.exception!r}\n{result.stderr}") from (
            result.exception
        )
    return result


def run_ok(*args: str | Path) -> Path:
    """Run a command that must succeed; the page path it printed last (the file exists)."""
    result = run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.is_file(), result.stdout
    return path


@pytest.fixture(scope="module")
def adult_files(adult_train: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reference, unchanged and shifted (older ages) samples of Adult, as CSV and Parquet."""
    folder = tmp_path_factory.mktemp("adult-report")
    frame = adult_train[COLUMNS].sample(n=6000, random_state=42).reset_index(drop=True)
    frame.iloc[:3000].to_parquet(folder / "reference.parquet")
    frame.iloc[3000:].to_csv(folder / "same.csv", index=False)
    older = frame.iloc[3000:].assign(age=frame["age"].iloc[3000:] + 8)
    older.to_csv(folder / "older.csv", index=False)
    scored = frame.assign(rule=frame["education_num"].ge(13).map({True: ">50K", False: "<=50K"}))
    scored.to_csv(folder / "scored.csv", index=False)
    frame.head(0).to_csv(folder / "header_only.csv", index=False)
    return folder


def test_drift_report_written_under_home_names_the_shifted_column(
    adult_files: Path, cli_home: Path
) -> None:
    result = run("drift", adult_files / "reference.parquet", adult_files / "older.csv")
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.parent == cli_home / "reports"
    assert re.fullmatch(r"drift-\d{8}T\d{6}Z\.html", path.name)
    page = path.read_text(encoding="utf-8")
    summary = re.search(r'id="drift-summary">(.*?)</div>', page, re.S)
    assert summary is not None
    assert '<li class="drifted-column">age</li>' in summary.group(1)
    assert "age" in result.stdout.splitlines()[0]


def test_drift_report_with_out_and_json(adult_files: Path, tmp_path: Path) -> None:
    out, data = tmp_path / "pages" / "drift.html", tmp_path / "drift.json"
    path = run_ok(
        "drift", adult_files / "reference.parquet", adult_files / "same.csv",
        "--out", out, "--json", data, "--title", "Adult <same>",
    )  # fmt: skip
    assert path == out
    assert "<title>Adult &lt;same&gt;</title>" in out.read_text(encoding="utf-8")
    stored = json.loads(data.read_text(encoding="utf-8"))
    assert {r["column"] for r in stored["results"]} >= {"age", "sex", "hours_per_week"}
    assert stored["drifted"] == []


def test_drift_of_a_missing_file_names_it(adult_files: Path, tmp_path: Path) -> None:
    result = run("drift", adult_files / "reference.parquet", tmp_path / "nope.csv")
    assert_error(result, "invalid_input", "nope.csv", "No file at")


def test_drift_of_a_file_without_rows_says_so(adult_files: Path) -> None:
    result = run("drift", adult_files / "reference.parquet", adult_files / "header_only.csv")
    assert_error(result, "invalid_input", "header_only.csv", "holds no rows")


def test_unwritable_out_path_is_a_clear_error(adult_files: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run(
        "drift", adult_files / "reference.parquet", adult_files / "same.csv",
        "--out", blocker / "report.html",
    )  # fmt: skip
    assert_error(result, "invalid_input", "Cannot write the report", "a-file", "--out")


def test_fairness_report_from_a_prediction_column(adult_files: Path, tmp_path: Path) -> None:
    data = tmp_path / "fairness.json"
    path = run_ok(
        "fairness", adult_files / "scored.csv", "--label", "income", "--sensitive", "sex",
        "--sensitive", "race", "--prediction", "rule", "--positive", ">50K",
        "--n-boot", "200", "--json", data,
    )  # fmt: skip
    page = path.read_text(encoding="utf-8")
    assert 'id="fairness-summary"' in page
    assert "<h3>sex</h3>" in page
    assert "<h3>sex&amp;race</h3>" in page
    stored = json.loads(data.read_text(encoding="utf-8"))
    assert stored["positive"] == ">50K"
    assert {g["attribute"] for g in stored["groups"]} == {"sex", "race", "sex&race"}


def test_fairness_report_with_a_registered_model(
    adult_files: Path, model_files: ModelFiles
) -> None:
    register_income(model_files)
    path = run_ok(
        "fairness", adult_files / "scored.csv", "--label", "income", "--sensitive", "sex",
        "--model", "income/1", "--positive", ">50K", "--n-boot", "100",
    )  # fmt: skip
    assert "plot-hbars" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        ((), ("exactly one of --prediction",)),
        (("--prediction", "rule", "--model", "income@1"), ("exactly one of --prediction",)),
        (("--prediction", "nope", "--positive", ">50K"), ("no prediction column 'nope'",)),
    ],
    ids=["no-predictions", "both", "missing-column"],
)
def test_fairness_bad_input_is_named(
    adult_files: Path, extra: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    result = run(
        "fairness", adult_files / "scored.csv", "--label", "income", "--sensitive", "sex", *extra
    )
    assert_error(result, "invalid_input", *fragments)


def _windows_file(tmp_path: Path, windows: object) -> Path:
    path = tmp_path / "windows.json"
    path.write_text(json.dumps(windows), encoding="utf-8")
    return path


def test_quality_report_from_json(tmp_path: Path) -> None:
    source = _windows_file(tmp_path, [quality_window(h) for h in range(4)])
    path = run_ok("quality", "--from-json", source, "--out", tmp_path / "q.html")
    page = path.read_text(encoding="utf-8")
    assert "4 windows" in page
    assert 'aria-label="accuracy over time' in page


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "holds no quality windows"),
        ('{"a": 1}', "holds a JSON dict"),
        ('[{"start": "soon"}]', "no readable 'start' time"),
    ],
    ids=["broken", "empty", "object", "bad-window"],
)
def test_quality_bad_json_is_named(tmp_path: Path, content: str, fragment: str) -> None:
    source = tmp_path / "windows.json"
    source.write_text(content, encoding="utf-8")
    assert_error(run("quality", "--from-json", source), "invalid_input", fragment)


def test_quality_needs_exactly_one_source(tmp_path: Path) -> None:
    assert_error(run("quality"), "invalid_input", "exactly one of --model")
    source = _windows_file(tmp_path, [quality_window(0)])
    both = run("quality", "--model", "income", "--from-json", source)
    assert_error(both, "invalid_input", "exactly one of --model")
    missing = run("quality", "--from-json", tmp_path / "nope.json")
    assert_error(missing, "invalid_input", "nope.json")


def test_quality_of_an_unknown_model_is_not_found() -> None:
    assert_error(run("quality", "--model", "ghost"), "model_not_found", "ghost")


def _record(hour: int, payload: dict[str, Any]) -> MonitorRecord:
    start = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(hours=hour)
    return MonitorRecord(
        id=f"q{hour}",
        model="income",
        version=1,
        kind="quality",
        window_start=start,
        window_end=start + timedelta(hours=1),
        created_at=start + timedelta(hours=1),
        summary="accuracy 0.84",
        payload=payload,
    )


def test_quality_report_from_the_monitors_stored_records(model_files: ModelFiles) -> None:
    register_income(model_files)
    assert_error(run("quality", "--model", "income"), "not_found", "No stored quality windows")
    store = registry().store
    for hour in range(3):
        overall = quality_window(0) | {"version": None, "start": "2016-01-01T00:00:00+00:00"}
        by_sex = [quality_window(0) | {"segment": {"sex": sex}} for sex in ("Female", "Male")]
        payload = {"rows": 1000, "task": "classification", "overall": overall, "segments": by_sex}
        store.save_monitor_record(_record(hour, payload))
    store.save_monitor_record(_record(3, {"rows": 0, "overall": None, "segments": []}))
    data = Path("windows.json")
    page = run_ok("quality", "--model", "income", "--version", "1", "--json", data)
    assert "3 windows" in page.read_text(encoding="utf-8")
    windows = json.loads(data.read_text(encoding="utf-8"))
    assert [w["start"] for w in windows] == [
        f"2026-11-20T0{h}:00:00+00:00" for h in range(3)
    ]  # the record's window, not the one-slot window the monitor computed over
    assert {w["version"] for w in windows} == {1}
    with_segments = run_ok("quality", "--model", "income", "--segments")
    assert "9 windows" in with_segments.read_text(encoding="utf-8")
    assert "v1 sex=Female" in with_segments.read_text(encoding="utf-8")


def test_a_record_holding_one_window_is_read_as_it_is() -> None:
    window = quality_window(5) | {"version": 2}
    [read] = report.windows_of(_record(0, window), segments=True)
    assert read["start"] == "2026-11-20T00:00:00+00:00"
    assert read["version"] == 2
    assert read["metrics"] == window["metrics"]
