"""`aweigh serve` restarts itself lean (-OO, Arrow's system allocator) under the same pid,
and never replaces a process that is not the aweigh program."""

from __future__ import annotations

import sys
from pathlib import Path

from aweigh.serving.process import LEAN_ENV, lean_command
from tests.serving._process_support import AWEIGH


def test_the_aweigh_program_is_restarted_lean_with_its_arguments() -> None:
    argv = [str(AWEIGH), "serve", "--port", "8123", "--model", "churn@champion"]
    command = lean_command(argv, {"HOME": "/root"}, optimize=0)
    assert command is not None
    args, env = command
    assert args == [sys.executable, "-m", "aweigh", *argv[1:]]
    assert env["PYTHONOPTIMIZE"] == "2"
    assert env["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    assert env["HOME"] == "/root"


def test_python_dash_m_aweigh_is_restarted_too() -> None:
    main = str(Path(sys.prefix) / "lib" / "aweigh" / "__main__.py")
    assert lean_command([main, "serve"], {}, optimize=0) is not None


def test_a_process_that_is_not_aweigh_is_never_replaced() -> None:
    for argv in (["/usr/bin/pytest", "serve"], ["/x/pytest/__main__.py"], ["-c"], []):
        assert lean_command(argv, {}, optimize=0) is None, argv


def test_a_lean_process_is_not_restarted_again() -> None:
    argv = [str(AWEIGH), "serve"]
    assert lean_command(argv, {"AWEIGH_LEAN_PROCESS": "1"}, optimize=0) is None
    assert lean_command(argv, dict(LEAN_ENV), optimize=2) is None


def test_an_explicit_arrow_allocator_is_kept() -> None:
    command = lean_command([str(AWEIGH), "serve"], {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}, 0)
    assert command is not None
    assert command[1]["ARROW_DEFAULT_MEMORY_POOL"] == "jemalloc"
