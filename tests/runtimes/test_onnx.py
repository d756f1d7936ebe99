"""The 'onnx' flavor: skl2onnx exports (tensor and ZipMap probabilities, per-column inputs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from aweigh.core.entities import OutputKind
from aweigh.core.errors import InvalidInputError, NotAModelError
from aweigh.runtimes import flavor_for_file, flavor_for_object, get_flavor, load_predictor
from aweigh.runtimes.base import has_proba

from .conftest import NUMERIC, RoundTrip

CLASSES = ("<=50K", ">50K")


@pytest.fixture(scope="module")
def numeric_pipeline(features: pd.DataFrame, labels: pd.Series) -> Pipeline:
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))])
    return model.fit(features[NUMERIC].astype("float32"), labels)


def export(model: Any, sample: Any, zipmap: bool = False) -> Any:
    return to_onnx(model, sample, options=None if zipmap else {"zipmap": False})


@pytest.mark.parametrize("zipmap", [False, True])
def test_classifier_round_trip(
    numeric_pipeline: Pipeline, features: pd.DataFrame, zipmap: bool, round_trip: RoundTrip
) -> None:
    inputs = features[NUMERIC]  # int64 columns: fed to the float input as float32
    proto = export(numeric_pipeline, inputs.to_numpy(dtype="float32")[:1], zipmap)
    assert flavor_for_object(proto).name == "onnx"
    predictor, output = round_trip(proto)
    assert output == OutputKind("classification", CLASSES)
    expected = numeric_pipeline.predict(inputs.astype("float32"))
    np.testing.assert_array_equal(predictor.predict(inputs), expected)
    assert has_proba(predictor)
    proba = predictor.predict_proba(inputs)  # type: ignore[attr-defined]
    assert proba.shape == (len(inputs), 2)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(proba, numeric_pipeline.predict_proba(inputs.astype("float32")), atol=1e-5)


def test_one_input_per_column_with_text(
    features: pd.DataFrame, labels: pd.Series, round_trip: RoundTrip
) -> None:
    text = ["education", "sex", "race"]
    frame = features[["age", "hours_per_week", *text]].astype({"age": "float32"})
    columns = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), text),
            ("num", StandardScaler(), ["age", "hours_per_week"]),
        ]
    )
    model = Pipeline([("columns", columns), ("clf", LogisticRegression(max_iter=500))])
    model.fit(frame, labels)
    proto = export(model, frame.head(1))
    assert len(proto.graph.input) == 5
    predictor, output = round_trip(proto)
    assert output == OutputKind("classification", CLASSES)
    np.testing.assert_array_equal(predictor.predict(frame), model.predict(frame))
    proba = predictor.predict_proba(frame)  # type: ignore[attr-defined]
    assert np.allclose(proba, model.predict_proba(frame), atol=1e-5)
    with pytest.raises(InvalidInputError, match="cannot hold missing values"):
        predictor.predict(frame.assign(sex=np.nan))


def test_regressor_round_trip(features: pd.DataFrame, round_trip: RoundTrip) -> None:
    inputs = features[[c for c in NUMERIC if c != "hours_per_week"]].astype("float32")
    model = LinearRegression().fit(inputs, features["hours_per_week"])
    predictor, output = round_trip(to_onnx(model, inputs.to_numpy()[:1]))
    assert output == OutputKind("regression")
    assert not has_proba(predictor)
    got = predictor.predict(inputs)
    assert got.shape == (len(inputs),)
    assert np.allclose(got, model.predict(inputs), atol=1e-3)


def test_read_and_wrong_column_count(
    numeric_pipeline: Pipeline, features: pd.DataFrame, tmp_path: Path
) -> None:
    flavor = get_flavor("onnx")
    path = tmp_path / "model.onnx"
    flavor.save(export(numeric_pipeline, features[NUMERIC].to_numpy("float32")[:1]), path)
    assert flavor.infer_output(flavor.read(path)) == OutputKind("classification", CLASSES)
    predictor = load_predictor(path, "onnx", OutputKind("classification", CLASSES))
    with pytest.raises(InvalidInputError, match=r"must get 6 columns\. Got 5 columns instead"):
        predictor.predict(features[NUMERIC[:5]])


def test_text_file_named_model_onnx(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_text("age,income\n39,<=50K\n")
    with pytest.raises(NotAModelError, match=r"must be a 'onnx' model to have the suffix"):
        flavor_for_file(path)
    with pytest.raises(NotAModelError, match=r"model\.onnx' must be a 'onnx' model") as info:
        load_predictor(path, "onnx", OutputKind("classification", CLASSES))
    assert info.value.__cause__ is not None
