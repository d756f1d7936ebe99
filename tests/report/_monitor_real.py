"""Real monitor results on the Adult census data, in their JSON form, for the report tests.

- **drift**: 5,000 rows of the train split against 3,000 rows of the test split made
  older (+8 years) and more educated (every HS-grad becomes Bachelors), so ``age``,
  ``education`` and ``education_num`` drift and the rest do not.
- **quality**: a logistic regression trained on the train split scores the test split as
  live traffic (1,000 predictions an hour, version 1 then version 2 from hour 8); 70 % of
  the rows get their label 1 to 30 hours later; CBPE estimates come from a calibration
  on the first 3,000 rows.
- **fairness**: that model's predictions on the test split, audited by sex and race.

Each is computed once per test session (``lru_cache``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ADULT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "adult"
NUMERIC = ["age", "education_num", "capital_gain", "hours_per_week"]
CATEGORICAL = ["workclass", "education", "marital_status", "occupation", "sex"]
DRIFT_COLUMNS = [*NUMERIC, *CATEGORICAL, "race"]
SHIFTED = {"age", "education", "education_num"}
START = datetime(2026, 11, 20, tzinfo=UTC)


@lru_cache(maxsize=1)
def _splits() -> tuple[pd.DataFrame, pd.DataFrame]:
    train = pd.read_csv(ADULT / "adult_train.csv")
    test = pd.read_csv(ADULT / "adult_test.csv")
    return train, test


@lru_cache(maxsize=1)
def drift_dict() -> dict[str, Any]:
    """``compare(train sample, shifted test sample).to_dict()``."""
    from aweigh.drift import compare

    train, test = _splits()
    reference = train[DRIFT_COLUMNS].sample(n=5000, random_state=42)
    current = test[DRIFT_COLUMNS].sample(n=3000, random_state=42)
    graduates = current["education"] == "HS-grad"
    current = current.assign(
        age=current["age"] + 8,
        education=current["education"].where(~graduates, "Bachelors"),
        education_num=current["education_num"].where(~graduates, 13),
    )
    result: dict[str, Any] = compare(reference, current).to_dict()
    return result


@lru_cache(maxsize=1)
def _scored() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    train, test = _splits()
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=20), CATEGORICAL),
        ]
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=300))
    model.fit(train[NUMERIC + CATEGORICAL], train["income"])
    features = test[NUMERIC + CATEGORICAL]
    classes = [str(c) for c in model.classes_]
    return test, model.predict(features), model.predict_proba(features), classes


@lru_cache(maxsize=1)
def quality_dicts() -> list[dict[str, Any]]:
    """``[w.to_dict() for w in quality_windows(...)]`` over 14 hourly windows."""
    from aweigh.monitor.estimate import fit_calibration
    from aweigh.monitor.quality import join_labels, quality_windows

    test, pred, proba, classes = _scored()
    reference, rows = slice(0, 3000), slice(3000, None)
    calibration = fit_calibration(proba[reference], test["income"].to_numpy()[reference], classes)
    n = len(test) - 3000
    ts = [START + timedelta(seconds=3.6 * i) for i in range(n)]
    predictions = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(n)],
            "row": 0,
            "ts": ts,
            "version": [1 if i < 8000 else 2 for i in range(n)],
            "output": pred[rows],
            "proba": list(proba[rows]),
        }
    )
    rng = np.random.default_rng(42)
    labelled = np.flatnonzero(rng.random(n) < 0.7)
    delay = rng.uniform(3600, 30 * 3600, labelled.size)
    feedback = pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in labelled],
            "row": 0,
            "ts": [
                ts[i] + timedelta(seconds=float(d)) for i, d in zip(labelled, delay, strict=True)
            ],
            "label": test["income"].to_numpy()[rows][labelled],
        }
    )
    windows = quality_windows(
        join_labels(predictions, feedback), classes=classes, window="1h", calibration=calibration
    )
    return [w.to_dict() for w in windows]


@lru_cache(maxsize=1)
def fairness_dict() -> dict[str, Any]:
    """``fairness_table(...).to_dict()`` of the model's test predictions by sex and race."""
    from aweigh.monitor.fairness import fairness_table

    test, pred, _, _ = _scored()
    report = fairness_table(
        test["income"], pred, test[["sex", "race"]], positive=">50K", n_boot=200, seed=42
    )
    result: dict[str, Any] = report.to_dict()
    return result
