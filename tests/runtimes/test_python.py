"""The 'python' flavor: cloudpickled callables and objects with predict/predict_proba."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from aweigh.core.entities import OutputKind
from aweigh.core.errors import InvalidInputError
from aweigh.runtimes import flavor_for_object, get_flavor, load_predictor
from aweigh.runtimes.base import has_proba

from .conftest import NUMERIC, RoundTrip


def rule(frame: pd.DataFrame) -> np.ndarray:
    return np.where(frame["education_num"] >= 13, ">50K", "<=50K")


def test_function_round_trip(features: pd.DataFrame, round_trip: RoundTrip) -> None:
    predictor, output = round_trip(rule)
    assert output == OutputKind("other")  # the registry infers it from a sample
    assert not has_proba(predictor)
    np.testing.assert_array_equal(predictor.predict(features), rule(features))


def test_lambda_round_trip(features: pd.DataFrame, round_trip: RoundTrip) -> None:
    predictor, _ = round_trip(lambda frame: frame["age"] * 2.0)
    assert np.allclose(predictor.predict(features), features["age"] * 2.0)


def test_object_with_predict_and_predict_proba(
    features: pd.DataFrame, round_trip: RoundTrip
) -> None:
    class AgeRule:  # a local class: cloudpickle stores it by value
        threshold = 45

        def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
            p = (frame["age"].to_numpy() >= self.threshold).astype(float) * 0.6 + 0.2
            return np.column_stack([1 - p, p])

        def predict(self, frame: pd.DataFrame) -> list[str]:
            return [">50K" if p > 0.5 else "<=50K" for p in self.predict_proba(frame)[:, 1]]

    model = AgeRule()
    kind = OutputKind("classification", ("<=50K", ">50K"))
    predictor, _ = round_trip(model, output=kind)
    np.testing.assert_array_equal(predictor.predict(features), np.asarray(model.predict(features)))
    assert has_proba(predictor)
    proba = predictor.predict_proba(features)  # type: ignore[attr-defined]
    assert proba.shape == (len(features), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(proba, model.predict_proba(features))


def test_wrong_number_of_predictions(features: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "model.cloudpickle"
    get_flavor("python").save(lambda frame: np.zeros(len(frame) - 1), path)
    predictor = load_predictor(path, "python", OutputKind("regression"))
    with pytest.raises(InvalidInputError, match=r"callable returned 9 predictions for 10 rows"):
        predictor.predict(features.head(10))


def test_predict_needs_a_data_frame(tmp_path: Path) -> None:
    path = tmp_path / "model.cpkl"
    get_flavor("python").save(rule, path)
    predictor = load_predictor(path, "python", OutputKind("other"))
    with pytest.raises(InvalidInputError, match=r"must be a pandas DataFrame.*Got list instead"):
        predictor.predict([[1, 2, 3]])  # type: ignore[arg-type]


def test_python_hint_takes_a_sklearn_model(
    features: pd.DataFrame, labels: pd.Series, round_trip: RoundTrip
) -> None:
    model = LogisticRegression(max_iter=500).fit(features[NUMERIC[:3]], labels)
    assert flavor_for_object(model).name == "sklearn"
    predictor, _ = round_trip(model, "python", OutputKind("classification", ("<=50K", ">50K")))
    assert predictor.flavor == "python"
    np.testing.assert_array_equal(
        predictor.predict(features[NUMERIC[:3]]), model.predict(features[NUMERIC[:3]])
    )
