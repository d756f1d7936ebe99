"""The 'sklearn' flavor: joblib round trips of Pipelines, classifiers and regressors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from aweigh.core.entities import OutputKind
from aweigh.runtimes import flavor_for_object, get_flavor
from aweigh.runtimes.base import has_proba

from .conftest import CATEGORICAL, NUMERIC, RoundTrip

PASSTHROUGH = ["age", "education_num", "hours_per_week"]


@pytest.fixture(scope="module")
def pipeline(features: pd.DataFrame, labels: pd.Series) -> Pipeline:
    columns = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("num", "passthrough", PASSTHROUGH),
        ]
    )
    model = Pipeline([("columns", columns), ("clf", LogisticRegression(max_iter=1000))])
    return model.fit(features, labels)


def test_pipeline_round_trip_predicts_like_the_fitted_model(
    pipeline: Pipeline, features: pd.DataFrame, round_trip: RoundTrip
) -> None:
    predictor, output = round_trip(pipeline)
    assert output == OutputKind("classification", ("<=50K", ">50K"))
    assert all(type(c) is str for c in output.classes)
    assert predictor.output.classes == tuple(pipeline.classes_)
    np.testing.assert_array_equal(predictor.predict(features), pipeline.predict(features))
    assert has_proba(predictor)
    proba = predictor.predict_proba(features)  # type: ignore[attr-defined]
    assert proba.shape == (len(features), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(proba, pipeline.predict_proba(features))


def test_regressor_round_trip(features: pd.DataFrame, round_trip: RoundTrip) -> None:
    inputs = features[[c for c in NUMERIC if c != "hours_per_week"]]
    model = Pipeline([("scale", StandardScaler()), ("ridge", Ridge())])
    model.fit(inputs, features["hours_per_week"])
    predictor, output = round_trip(model)
    assert output == OutputKind("regression")
    assert not has_proba(predictor)
    got = predictor.predict(inputs)
    assert got.shape == (len(inputs),)
    assert np.allclose(got, model.predict(inputs))


def test_integer_classes_become_plain_ints(
    features: pd.DataFrame, labels: pd.Series, round_trip: RoundTrip
) -> None:
    target = (labels == ">50K").astype("int64")
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(features[NUMERIC], target)
    predictor, output = round_trip(model)
    assert output.classes == (0, 1)
    assert all(type(c) is int for c in output.classes)
    np.testing.assert_array_equal(
        predictor.predict(features[NUMERIC]), model.predict(features[NUMERIC])
    )


def test_read_gives_back_the_estimator(pipeline: Pipeline, tmp_path: Path) -> None:
    flavor = get_flavor("sklearn")
    path = tmp_path / "artifact"  # the store is content-addressed: no suffix needed
    flavor.save(pipeline, path)
    native = flavor.read(path)
    assert isinstance(native, Pipeline)
    assert flavor.infer_output(native) == flavor.infer_output(pipeline)


def test_duck_typed_estimator_is_sklearn_but_boosters_are_not() -> None:
    class Duck:
        def fit(self, frame: pd.DataFrame, y: pd.Series) -> Duck:
            return self

        def predict(self, frame: pd.DataFrame) -> np.ndarray:
            return np.zeros(len(frame))

        def get_params(self, deep: bool = True) -> dict[str, object]:
            return {}

    sklearn = get_flavor("sklearn")
    assert sklearn.matches_object(Duck())
    assert flavor_for_object(Duck()).name == "sklearn"
    assert sklearn.infer_output(Duck()) is None
    assert not sklearn.matches_object(Duck)  # the class, not a model
    assert not sklearn.matches_object(StandardScaler())  # no predict


def test_unfitted_classifier_has_unknown_classes() -> None:
    assert get_flavor("sklearn").infer_output(LogisticRegression()) == OutputKind(
        "classification", ()
    )


def test_framework_versions() -> None:
    versions = get_flavor("sklearn").framework_versions()
    assert set(versions) == {"scikit-learn", "joblib"}
