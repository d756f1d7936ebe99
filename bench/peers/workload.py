"""The registry workload every side runs: same data, models, sample, counts and timer.

Only the standard library, pandas and scikit-learn are imported here, so both aweigh's
worker (in ``.venv``) and the peer scripts (in ``.bench-venvs/<peer>``) can use it.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

FEATURES = ["age", "education_num", "hours_per_week", "capital_gain"]
TARGET = "income"
MODEL_NAME = "adult-income"
ALIAS = "champion"
TRAIN_ROWS = 2000
SAMPLE_ROWS = 100
MAX_ITER = 20

#: operation -> (timed repetitions, untimed warm-up repetitions); warm-ups of set_alias
#: are even so every timed call really moves the alias.
COUNTS: dict[str, tuple[int, int]] = {
    "register": (30, 2),
    "resolve": (500, 20),
    "set_alias": (200, 10),
    "alias_history": (200, 10),
    "list_versions": (200, 10),
    "load": (50, 4),
    "load_predict": (50, 4),
    "predict": (200, 10),
    "register_default": (3, 0),
}


def scaled_counts(factor: float) -> dict[str, tuple[int, int]]:
    """COUNTS with every timed count multiplied by ``factor`` (at least 3; for smoke runs)."""
    return {op: (max(3, round(n * factor)), warm) for op, (n, warm) in COUNTS.items()}


@dataclass
class Workload:
    """The data and models of one run, built the same way on every side."""

    features: pd.DataFrame
    target: pd.Series
    sample: pd.DataFrame
    batch: pd.DataFrame
    counts: dict[str, tuple[int, int]]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Workload:
        """Read the Adult rows named in ``config`` and take the fixed random subset."""
        frame = pd.read_csv(config["data"]).sample(TRAIN_ROWS, random_state=0)
        features = frame[FEATURES].reset_index(drop=True)
        counts = {op: (int(n), int(w)) for op, (n, w) in config["counts"].items()}
        return cls(
            features=features,
            target=frame[TARGET].reset_index(drop=True),
            sample=features.head(SAMPLE_ROWS),
            batch=features.tail(SAMPLE_ROWS),
            counts=counts,
        )

    def fit_models(self, n: int) -> list[HistGradientBoostingClassifier]:
        """``n`` fitted models that predict alike but differ in bytes (their random_state).

        Distinct bytes keep content-addressed stores from deduplicating the artifacts.
        """
        return [
            HistGradientBoostingClassifier(max_iter=MAX_ITER, random_state=i).fit(
                self.features, self.target
            )
            for i in range(n)
        ]

    def params(self, i: int) -> dict[str, int]:
        """The params recorded with the i-th registration."""
        return {"max_iter": MAX_ITER, "random_state": i}


def set_alias_target(i: int) -> int:
    """The version the i-th set_alias call moves the alias to (alternates 2, 1, 2, ...)."""
    return 2 if i % 2 == 0 else 1


def summarize(samples_ns: list[int]) -> dict[str, float]:
    """Median, p95 (nearest rank), mean, min, max in ms, and ops/s of a sequential loop."""
    ordered = sorted(samples_ns)
    n = len(ordered)
    total_s = sum(ordered) / 1e9
    return {
        "n": n,
        "median_ms": statistics.median(ordered) / 1e6,
        "p95_ms": ordered[max(0, math.ceil(0.95 * n) - 1)] / 1e6,
        "mean_ms": statistics.fmean(ordered) / 1e6,
        "min_ms": ordered[0] / 1e6,
        "max_ms": ordered[-1] / 1e6,
        "ops_per_s": n / total_s if total_s > 0 else float("inf"),
    }


def time_op(fn: Callable[[int], object], count: int, warmup: int) -> dict[str, float]:
    """Call ``fn(i)`` ``warmup`` times untimed, then ``count`` times timed one by one."""
    for i in range(warmup):
        fn(i)
    samples: list[int] = []
    for i in range(warmup, warmup + count):
        start = time.perf_counter_ns()
        fn(i)
        samples.append(time.perf_counter_ns() - start)
    return summarize(samples)


def prediction_counts(predictions: Any) -> dict[str, int]:
    """How often each label was predicted: both sides must agree on it."""
    labels = pd.Series(list(predictions)).astype(str)
    return {str(k): int(v) for k, v in labels.value_counts().sort_index().items()}


def network_attempts() -> list[str]:
    """Connections the netguard refused in this process and its children (see netguard/)."""
    log = os.environ.get("BENCH_NETGUARD_LOG")
    if not log or not Path(log).exists():
        return []
    return Path(log).read_text().splitlines()


def read_config(argv: list[str]) -> dict[str, Any]:
    """The JSON config the orchestrator passes as the last command-line argument."""
    if not argv:
        sys.exit("usage: <script> [options] CONFIG_JSON")
    return dict(json.loads(argv[-1]))


def emit(result: dict[str, Any]) -> None:
    """Print the result as one JSON line on stdout (the orchestrator reads the last line)."""
    sys.stdout.flush()
    print(json.dumps(result), flush=True)
