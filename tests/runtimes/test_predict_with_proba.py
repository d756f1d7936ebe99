"""One pass for labels and probabilities gives exactly what two calls would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aweigh.core.entities import OutputKind
from aweigh.runtimes import get_flavor, load_predictor

NUMERIC = ["age", "education_num", "hours_per_week", "capital_gain"]


@pytest.mark.parametrize(
    "model",
    [
        HistGradientBoostingClassifier(max_iter=30, random_state=42),
        RandomForestClassifier(n_estimators=20, random_state=42),
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        make_pipeline(StandardScaler(), LinearDiscriminantAnalysis()),
    ],
    ids=["hgb", "forest", "pipeline-logreg", "pipeline-not-listed"],
)
def test_labels_and_probabilities_match_separate_calls(
    model: Any, adult_train: pd.DataFrame, tmp_path: Path
) -> None:
    rows = adult_train.sample(1500, random_state=42)
    fitted = model.fit(rows[NUMERIC], rows["income"])
    path = tmp_path / "model.joblib"
    get_flavor("sklearn").save(fitted, path)
    predictor = load_predictor(path, "sklearn", OutputKind("classification", ("<=50K", ">50K")))
    labels, proba = predictor.predict_with_proba(rows[NUMERIC])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(labels, fitted.predict(rows[NUMERIC]))
    np.testing.assert_allclose(proba, fitted.predict_proba(rows[NUMERIC]))
