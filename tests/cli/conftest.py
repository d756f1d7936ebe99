"""Fixtures for the command-line tests: a private home per test and real Adult models on disk.

Every test gets its own ``AWEIGH_HOME`` under ``tmp_path``, runs in ``tmp_path`` (so no
``aweigh.toml`` is picked up), and starts and ends with an empty ``registry()`` cache so
one test's registry never leaks into the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import joblib
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from tests.cli._support import CATEGORICAL, FEATURES, NUMERIC, USER, ModelFiles, reset_registry


@pytest.fixture(autouse=True)
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty aweigh home for each test; the registry cache cleared around it."""
    for key in list(os.environ):
        if key.startswith("AWEIGH_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("AWEIGH_HOME", str(home))
    monkeypatch.setenv("AWEIGH_USER", USER)
    monkeypatch.chdir(tmp_path)
    reset_registry()
    yield home
    reset_registry()


def _pipeline(c: float) -> Pipeline:
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numeric", "passthrough", NUMERIC),
        ]
    )
    return Pipeline([("features", features), ("model", LogisticRegression(C=c, max_iter=1000))])


@pytest.fixture(scope="session")
def model_files(adult_train: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> ModelFiles:
    """Two logistic regressions trained on 2000 Adult rows (seed 42), saved with joblib."""
    folder = tmp_path_factory.mktemp("model-files")
    frame = adult_train.sample(n=2000, random_state=42).reset_index(drop=True)
    X, y = frame[FEATURES], frame["income"]
    model, model_v2 = folder / "model.joblib", folder / "model_v2.joblib"
    joblib.dump(_pipeline(1.0).fit(X, y), model)
    joblib.dump(_pipeline(0.5).fit(X, y), model_v2)
    sample, training_data = folder / "rows.csv", folder / "train.parquet"
    X.head(50).to_csv(sample, index=False)
    frame.to_parquet(training_data)
    return ModelFiles(
        model=model, model_v2=model_v2, sample=sample, training_data=training_data, frame=frame
    )
