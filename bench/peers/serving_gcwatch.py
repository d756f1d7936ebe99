"""Diagnostic launcher of ``python -m bench serving --gc-check``: the aweigh CLI, with
every garbage collection timed, and ``gc.freeze()`` on request.

    python bench/peers/serving_gcwatch.py REPORT.json FREEZE_FILE serve --port 8000 ...

Each collection's duration is recorded through ``gc.callbacks``; the totals per
generation (and every full collection's duration) are written to REPORT.json every half
second, atomically, because uvicorn ends the process with the signal that stopped it, so
no exit hook would run. Once FREEZE_FILE exists, the launcher runs ``gc.collect()`` and
``gc.freeze()`` once: start-up objects (the imported libraries, the loaded models) then
leave every later collection, which is what a server could do after loading its models.
Nothing of aweigh is changed; the CLI runs as ``python -m aweigh`` would run it.
"""

from __future__ import annotations

import gc
import json
import os
import runpy
import sys
import threading
import time
from pathlib import Path
from typing import Any

_started = [0.0]
_stats: dict[str, Any] = {
    "gen0": {"count": 0, "total_s": 0.0, "max_s": 0.0},
    "gen1": {"count": 0, "total_s": 0.0, "max_s": 0.0},
    "gen2": {"count": 0, "total_s": 0.0, "max_s": 0.0, "durations_s": []},
    "frozen": None,
}


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    took = time.perf_counter() - _started[0]
    entry = _stats[f"gen{info['generation']}"]
    entry["count"] += 1
    entry["total_s"] += took
    entry["max_s"] = max(entry["max_s"], took)
    if info["generation"] == 2:
        entry["durations_s"].append(round(took, 6))


def _report(path: Path, freeze_file: Path) -> None:
    while True:
        time.sleep(0.5)
        if _stats["frozen"] is None and freeze_file.exists():
            _stats["tracked_before_freeze"] = len(gc.get_objects())
            gc.collect()
            gc.freeze()
            _stats["frozen"] = gc.get_freeze_count()
        _stats["time"] = time.monotonic()
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(_stats))
        os.replace(partial, path)


def main() -> None:
    """Install the hooks, start the reporter, then run ``aweigh <args>``."""
    report, freeze_file, *args = sys.argv[1:]
    gc.callbacks.append(_on_gc)
    threading.Thread(
        target=_report, args=(Path(report), Path(freeze_file)), daemon=True, name="gcwatch"
    ).start()
    sys.argv = ["aweigh", *args]
    runpy.run_module("aweigh", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
