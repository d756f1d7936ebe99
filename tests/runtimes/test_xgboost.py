"""The 'xgboost' flavor: native JSON models, binary/multiclass/regression, categories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from aweigh.core.entities import OutputKind
from aweigh.core.errors import NotAModelError
from aweigh.runtimes import flavor_for_file, flavor_for_object, get_flavor, load_predictor
from aweigh.runtimes.base import has_proba

from .conftest import CATEGORICAL, NUMERIC, RoundTrip


@pytest.fixture(scope="module")
def classifier(features: pd.DataFrame, labels: pd.Series) -> xgb.XGBClassifier:
    target = (labels == ">50K").astype("int64")
    model = xgb.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=2, random_state=0)
    return model.fit(features[NUMERIC], target)


def test_classifier_round_trip(
    classifier: xgb.XGBClassifier, features: pd.DataFrame, round_trip: RoundTrip
) -> None:
    predictor, output = round_trip(classifier)
    assert flavor_for_object(classifier).name == "xgboost"  # not 'sklearn'
    assert output == OutputKind("classification", (0, 1))
    assert all(type(c) is int for c in output.classes)
    inputs = features[NUMERIC]
    np.testing.assert_array_equal(predictor.predict(inputs), classifier.predict(inputs))
    proba = predictor.predict_proba(inputs)  # type: ignore[attr-defined]
    assert proba.shape == (len(inputs), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(proba, classifier.predict_proba(inputs))


def test_saved_file_is_native_json(
    classifier: xgb.XGBClassifier, features: pd.DataFrame, tmp_path: Path
) -> None:
    flavor = get_flavor("xgboost")
    path = tmp_path / "artifact"  # no suffix: the format must not depend on it
    flavor.save(classifier, path)
    assert "learner" in json.loads(path.read_text())
    assert isinstance(flavor.read(path), xgb.Booster)
    assert flavor.infer_output(flavor.read(path)) == OutputKind("classification", (0, 1))
    predictor = load_predictor(path, "xgboost", OutputKind("classification", ("no", "yes")))
    labels = predictor.predict(features[NUMERIC])  # class names come from the output kind
    expected = np.where(classifier.predict(features[NUMERIC]) == 1, "yes", "no")
    np.testing.assert_array_equal(labels, expected)


def test_regressor_round_trip(features: pd.DataFrame, round_trip: RoundTrip) -> None:
    inputs = features[[c for c in NUMERIC if c != "hours_per_week"]]
    model = xgb.XGBRegressor(n_estimators=20, max_depth=3, n_jobs=2)
    model.fit(inputs, features["hours_per_week"])
    predictor, output = round_trip(model)
    assert output == OutputKind("regression")
    assert not has_proba(predictor)
    assert np.allclose(predictor.predict(inputs), model.predict(inputs))


@pytest.mark.parametrize("objective", ["multi:softprob", "multi:softmax"])
def test_multiclass_booster(features: pd.DataFrame, objective: str, round_trip: RoundTrip) -> None:
    target = pd.Categorical(features["race"]).codes
    params = {"objective": objective, "num_class": 5, "max_depth": 3, "nthread": 2}
    booster = xgb.train(params, xgb.DMatrix(features[NUMERIC], label=target), num_boost_round=10)
    predictor, output = round_trip(booster)
    assert output == OutputKind("classification", (0, 1, 2, 3, 4))
    raw = booster.predict(xgb.DMatrix(features[NUMERIC]))
    labels = predictor.predict(features[NUMERIC])
    if objective == "multi:softmax":  # gives class indices only
        assert not has_proba(predictor)
        np.testing.assert_array_equal(labels, raw.astype(int))
    else:
        proba = predictor.predict_proba(features[NUMERIC])  # type: ignore[attr-defined]
        assert proba.shape == (len(features), 5)
        assert np.allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_array_equal(labels, raw.argmax(axis=1))


def test_categorical_model_takes_text_columns(
    features: pd.DataFrame, labels: pd.Series, round_trip: RoundTrip
) -> None:
    categories = features.astype(dict.fromkeys(CATEGORICAL, "category"))
    model = xgb.XGBClassifier(
        n_estimators=15, max_depth=3, enable_categorical=True, tree_method="hist", n_jobs=2
    )
    model.fit(categories, (labels == ">50K").astype("int64"))
    predictor, _ = round_trip(model)
    expected = model.predict_proba(categories)
    assert np.allclose(predictor.predict_proba(features), expected)  # type: ignore[attr-defined]
    head = features.head(200)  # fewer categories present: XGBoost re-codes them
    assert np.allclose(predictor.predict_proba(head), expected[:200])  # type: ignore[attr-defined]


def test_json_that_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"threshold": 0.5}')
    with pytest.raises(NotAModelError, match=r"must be a 'xgboost' model to have the suffix"):
        flavor_for_file(path)
    with pytest.raises(NotAModelError, match=r"config\.json' must be a 'xgboost' model"):
        load_predictor(path, "xgboost", OutputKind("regression"))
