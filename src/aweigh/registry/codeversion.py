"""The code version a model was trained with: the git commit of the working directory."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_commit(cwd: Path | None = None, timeout_s: float = 3.0) -> str | None:
    """``<sha>`` (``<sha>+dirty`` with uncommitted changes), or None outside a git repo.

    ``--no-optional-locks`` keeps ``git status`` from taking the user's index lock.
    """
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = head.stdout.strip()
    return f"{sha}+dirty" if status.stdout.strip() else sha
