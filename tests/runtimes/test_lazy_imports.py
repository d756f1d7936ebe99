"""Importing aweigh.runtimes and getting every flavor imports no ML framework."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aweigh.runtimes

HEAVY = ("lightgbm", "xgboost", "onnxruntime", "onnx", "torch", "sklearn", "skl2onnx")

SCRIPT = f"""
import sys
import aweigh.runtimes as runtimes
for name in runtimes.FLAVORS:
    flavor = runtimes.get_flavor(name)
    flavor.matches_object({{"not": "a model"}})
    flavor.matches_object(len)
loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
print("loaded:", loaded)
sys.exit(1 if loaded else 0)
"""


def test_no_framework_is_imported() -> None:
    src = str(Path(aweigh.runtimes.__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "loaded: []" in done.stdout
