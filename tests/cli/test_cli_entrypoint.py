"""The installed ``aweigh`` console script, run as a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli._support import USER, ModelFiles, invoke_ok

SUBCOMMANDS = ("register", "list", "show", "alias", "history", "delete")


def _script() -> str:
    beside_python = Path(sys.executable).with_name("aweigh")
    found = str(beside_python) if beside_python.is_file() else shutil.which("aweigh")
    if found is None:
        pytest.fail("The 'aweigh' console script is not installed; run 'pip install -e .'.")
    return found


def _run(*args: str | Path, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWEIGH_")}
    env.update({"AWEIGH_HOME": str(home), "AWEIGH_USER": USER})
    return subprocess.run(
        [_script(), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_console_script_lists_an_empty_registry_as_json(tmp_path: Path) -> None:
    done = _run("models", "list", "--json", home=tmp_path / "home", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert done.stderr == ""
    assert (tmp_path / "home" / "aweigh.db").is_file()


def test_console_script_help_names_every_command(tmp_path: Path) -> None:
    top = _run("--help", home=tmp_path / "home", cwd=tmp_path)
    assert top.returncode == 0, top.stderr
    assert "Usage: aweigh" in top.stdout
    assert "models" in top.stdout
    assert "demo" in top.stdout
    models = _run("models", "--help", home=tmp_path / "home", cwd=tmp_path)
    assert models.returncode == 0, models.stderr
    assert "Usage: aweigh models" in models.stdout
    for command in SUBCOMMANDS:
        assert f"│ {command} " in models.stdout, command
    assert not (tmp_path / "home").exists()  # help touches no registry


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_models_command_has_help(command: str, cli_home: Path) -> None:
    result = invoke_ok("models", command, "--help")
    assert f"Usage: aweigh models {command}" in result.stdout
    assert "--json" in result.stdout
    assert not cli_home.exists()


def test_registration_in_one_process_is_seen_by_the_next(
    model_files: ModelFiles, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    registered = _run(
        "models",
        "register",
        model_files.model,
        "--name",
        "income",
        "--sample",
        model_files.sample,
        "--alias",
        "champion",
        "--json",
        home=home,
        cwd=tmp_path,
    )
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["ref"] == "income/1"
    listed = _run("models", "list", "--json", home=home, cwd=tmp_path)
    assert [(m["name"], m["aliases"]) for m in json.loads(listed.stdout)] == [
        ("income", {"champion": 1})
    ]


def test_console_script_error_is_one_line_on_stderr_with_status_1(tmp_path: Path) -> None:
    done = _run("models", "show", "income/abc", home=tmp_path / "home", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error (invalid_reference): ")
    assert done.stderr.count("\n") == 1
    usage = _run("models", "register", home=tmp_path / "home", cwd=tmp_path)
    assert usage.returncode == 2
    assert "Missing argument" in usage.stderr
