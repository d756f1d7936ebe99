"""Helpers for the command-line tests: run ``aweigh`` in-process and check what it printed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from click.testing import Result
from typer.testing import CliRunner

from aweigh.cli._context import registry
from aweigh.cli.app import app

USER = "alice"
CATEGORICAL = ["workclass", "sex"]
NUMERIC = ["age", "education_num", "hours_per_week"]
FEATURES = CATEGORICAL + NUMERIC


def reset_registry() -> None:
    """Close the cached registry's store (if one was built) and forget it."""
    if registry.cache_info().currsize:
        try:
            registry().store.close()
        finally:
            registry.cache_clear()
    registry.cache_clear()


@dataclass(frozen=True)
class ModelFiles:
    """Files a user would have after training: two model versions, sample rows, training data."""

    model: Path
    model_v2: Path
    sample: Path
    training_data: Path
    frame: pd.DataFrame = field(repr=False)


def invoke(*args: str | Path) -> Result:
    """Run ``aweigh ARGS`` in-process; an unexpected exception (a crash) fails the test."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"'aweigh {' '.join(map(str, args))}' crashed instead of printing an error: "
            f"{result.exception!r}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        ) from result.exception
    return result


def invoke_ok(*args: str | Path) -> Result:
    """Run a command that must succeed (exit 0, nothing on stderr)."""
    result = invoke(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    return result


def invoke_json(*args: str | Path) -> Any:
    """Run a command with ``--json`` that must succeed; its stdout parsed."""
    return json.loads(invoke_ok(*args, "--json").stdout)


def assert_error(result: Result, code: str, *fragments: str) -> str:
    """Exit status 1, nothing on stdout, one ``error (code): ...`` line naming the problem."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    stderr = result.stderr.strip()
    assert stderr.startswith(f"error ({code}): "), stderr
    assert "\n" not in stderr, stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)
    return stderr


def register_income(files: ModelFiles, *extra: str | Path, model: Path | None = None) -> Any:
    """``aweigh models register`` of the first model as ``income`` with sample and data."""
    return invoke_json(
        "models",
        "register",
        model or files.model,
        "--name",
        "income",
        "--sample",
        files.sample,
        "--training-data",
        files.training_data,
        *extra,
    )


def artifact_files(home: Path) -> list[Path]:
    """Every stored artifact under the home's artifacts folder (temporary files excluded)."""
    root = home / "artifacts"
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
