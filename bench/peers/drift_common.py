"""What every side of the drift benchmark shares: its config, timers, memory, the result line.

Standard library only, so the peer scripts can import it inside their own venvs (a
script's folder is first on ``sys.path``). A side is one process: it gets a JSON
config as its only argument and prints one JSON line as its result.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def config() -> dict[str, Any]:
    """The side's config: the JSON object given as the first argument."""
    loaded: dict[str, Any] = json.loads(sys.argv[1])
    return loaded


def _status_mb(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss_mb() -> float:
    """This process's resident memory now, in MiB (0.0 where /proc is missing)."""
    return _status_mb("VmRSS:")


def peak_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``), in MiB.

    Unlike ``ru_maxrss`` it starts afresh at ``exec``, so it never includes the memory
    of the parent the process was forked from.
    """
    return _status_mb("VmHWM:")


class Clock:
    """Wall and CPU seconds of named steps (CPU counts every thread of the process)."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, float]] = {}

    def run(self, name: str, fn: Callable[[], T]) -> T:
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        self.add(name, time.perf_counter() - wall, time.process_time() - cpu)
        return out

    def add(self, name: str, wall_s: float, cpu_s: float) -> None:
        step = self.steps.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0})
        step["wall_s"] += wall_s
        step["cpu_s"] += cpu_s


def versions(*dists: str) -> dict[str, str | None]:
    """Python's and the named distributions' versions in this venv."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in dists:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def emit(result: dict[str, Any]) -> None:
    """Print the result line (last on stdout) with the netguard's log of network attempts."""
    log = os.environ.get("BENCH_NETGUARD_LOG")
    attempts = Path(log).read_text().splitlines() if log and Path(log).exists() else []
    print(
        json.dumps({**result, "peak_self_mb": peak_mb(), "network_attempts": attempts}),
        flush=True,
    )
