"""The 'lightgbm' flavor: native text models, pandas categories, binary/multiclass/regression."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from aweigh.core.entities import OutputKind
from aweigh.core.errors import NotAModelError
from aweigh.runtimes import flavor_for_file, flavor_for_object, get_flavor, load_predictor
from aweigh.runtimes.base import has_proba

from .conftest import CATEGORICAL, NUMERIC, RoundTrip


def as_categories(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(dict.fromkeys(CATEGORICAL, "category"))


@pytest.fixture(scope="module")
def classifier(features: pd.DataFrame, labels: pd.Series) -> lgb.LGBMClassifier:
    model = lgb.LGBMClassifier(n_estimators=30, num_leaves=15, verbose=-1, random_state=0)
    return model.fit(as_categories(features), labels)


def test_classifier_on_categories_predicts_from_plain_text_columns(
    classifier: lgb.LGBMClassifier, features: pd.DataFrame, round_trip: RoundTrip
) -> None:
    predictor, output = round_trip(classifier)
    assert flavor_for_object(classifier).name == "lightgbm"  # not 'sklearn'
    assert output == OutputKind("classification", ("<=50K", ">50K"))
    expected = classifier.predict(as_categories(features))
    expected_proba = classifier.predict_proba(as_categories(features))
    text = features.astype(dict.fromkeys(CATEGORICAL, object))  # object, not category
    for frame in (features, text, as_categories(features)):
        np.testing.assert_array_equal(predictor.predict(frame), expected)
        proba = predictor.predict_proba(frame)  # type: ignore[attr-defined]
        assert proba.shape == (len(frame), 2)
        assert np.allclose(proba.sum(axis=1), 1.0)
        assert np.allclose(proba, expected_proba)


def test_columns_are_put_in_training_order(
    classifier: lgb.LGBMClassifier, features: pd.DataFrame, round_trip: RoundTrip
) -> None:
    predictor, _ = round_trip(classifier)
    shuffled = features[list(reversed(features.columns))]
    np.testing.assert_array_equal(
        predictor.predict(shuffled), classifier.predict(as_categories(features))
    )


def test_unseen_category_is_treated_as_missing(
    classifier: lgb.LGBMClassifier, features: pd.DataFrame, round_trip: RoundTrip
) -> None:
    predictor, _ = round_trip(classifier)
    head = features.head(5).copy()
    head["workclass"] = "Astronaut"
    expected = classifier.predict_proba(as_categories(head.assign(workclass=np.nan)))
    assert np.allclose(predictor.predict_proba(head), expected)  # type: ignore[attr-defined]


def test_regressor_round_trip(features: pd.DataFrame, round_trip: RoundTrip) -> None:
    inputs = features[[c for c in NUMERIC if c != "hours_per_week"]]
    model = lgb.LGBMRegressor(n_estimators=20, verbose=-1).fit(inputs, features["hours_per_week"])
    predictor, output = round_trip(model)
    assert output == OutputKind("regression")
    assert not has_proba(predictor)
    assert np.allclose(predictor.predict(inputs), model.predict(inputs))


def test_multiclass_booster_round_trip(features: pd.DataFrame, round_trip: RoundTrip) -> None:
    target = pd.Categorical(features["race"]).codes  # 5 classes
    params = {"objective": "multiclass", "num_class": 5, "verbose": -1, "num_leaves": 7}
    booster = lgb.train(params, lgb.Dataset(features[NUMERIC], label=target), num_boost_round=10)
    predictor, output = round_trip(booster)
    assert output == OutputKind("classification", (0, 1, 2, 3, 4))
    raw = booster.predict(features[NUMERIC])
    proba = predictor.predict_proba(features[NUMERIC])  # type: ignore[attr-defined]
    assert proba.shape == (len(features), 5)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.allclose(proba, raw)
    np.testing.assert_array_equal(predictor.predict(features[NUMERIC]), raw.argmax(axis=1))


def test_read_gives_a_booster_with_the_objective(
    classifier: lgb.LGBMClassifier, tmp_path: Path
) -> None:
    flavor = get_flavor("lightgbm")
    path = tmp_path / "model.txt"
    flavor.save(classifier, path)
    assert path.read_text().startswith("tree")  # native text, not a pickle
    booster = flavor.read(path)
    assert isinstance(booster, lgb.Booster)
    # the text format keeps no label names: a booster read from a file says 0 and 1
    assert flavor.infer_output(booster) == OutputKind("classification", (0, 1))


def test_output_with_wrong_number_of_classes_is_refused(
    classifier: lgb.LGBMClassifier, tmp_path: Path
) -> None:
    path = tmp_path / "model.txt"
    get_flavor("lightgbm").save(classifier, path)
    with pytest.raises(NotAModelError, match=r"as many classes as its output kind lists \(3"):
        load_predictor(path, "lightgbm", OutputKind("classification", ("a", "b", "c")))


def test_unfitted_model_cannot_be_saved(tmp_path: Path) -> None:
    with pytest.raises(NotAModelError, match="must be fitted before it is saved"):
        get_flavor("lightgbm").save(lgb.LGBMClassifier(), tmp_path / "model.txt")


def test_text_file_that_is_not_a_lightgbm_model(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes\nnot a model\n")
    with pytest.raises(NotAModelError, match=r"must be a 'lightgbm' model to have the suffix"):
        flavor_for_file(path)
    with pytest.raises(NotAModelError, match=r"notes\.txt' must be a 'lightgbm' model"):
        load_predictor(path, "lightgbm", OutputKind("classification", ("<=50K", ">50K")))
