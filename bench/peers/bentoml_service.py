"""The BentoML peer of ``python -m bench serving``: one service, one batchable API per model.

Runs only in ``.bench-venvs/bentoml``:
``bentoml serve bentoml_service:BreastCancer --working-dir bench/peers``. The model
files come from ``BENCH_MODEL_LIGHT`` and ``BENCH_MODEL_HEAVY`` (the joblib files every
server loads). Each API takes ``{"rows": [[30 floats], ...]}``, is batchable (BentoML's
adaptive batching gathers concurrent requests along axis 0, up to 32 rows), gives the
model a DataFrame with its feature names (as the other servers do) and answers the
predicted labels.
"""

from __future__ import annotations

import os
from typing import Any

import bentoml
import joblib
import numpy as np
import pandas as pd

MAX_BATCH_SIZE = 32
#: BentoML's upper bound on a request's time in the batching queue (its default is 60 s)
MAX_LATENCY_MS = 10_000


def _load(variable: str) -> tuple[Any, list[str]]:
    model = joblib.load(os.environ[variable])
    return model, list(model.feature_names_in_)


@bentoml.service(workers=1)
class BreastCancer:
    """The light and the heavy model, each behind its own batchable API."""

    def __init__(self) -> None:
        self.light_model, self.light_columns = _load("BENCH_MODEL_LIGHT")
        self.heavy_model, self.heavy_columns = _load("BENCH_MODEL_HEAVY")

    @bentoml.api(batchable=True, max_batch_size=MAX_BATCH_SIZE, max_latency_ms=MAX_LATENCY_MS)
    def light(self, rows: np.ndarray) -> np.ndarray:
        """Labels of the light model, one per row."""
        result: np.ndarray = self.light_model.predict(
            pd.DataFrame(rows, columns=self.light_columns)
        )
        return result

    @bentoml.api(batchable=True, max_batch_size=MAX_BATCH_SIZE, max_latency_ms=MAX_LATENCY_MS)
    def heavy(self, rows: np.ndarray) -> np.ndarray:
        """Labels of the heavy model, one per row."""
        result: np.ndarray = self.heavy_model.predict(
            pd.DataFrame(rows, columns=self.heavy_columns)
        )
        return result
