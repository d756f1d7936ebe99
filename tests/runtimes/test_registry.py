"""Choosing a flavor for an object or a file, loading, and the errors for bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from aweigh.core.entities import OutputKind
from aweigh.core.errors import MissingDependencyError, NotAModelError, UnsupportedFlavorError
from aweigh.runtimes import (
    FLAVORS,
    flavor_for_file,
    flavor_for_object,
    get_flavor,
    load_predictor,
    suffixes,
)
from aweigh.runtimes.base import Flavor

from .conftest import NUMERIC, TARGET

CLASSIFICATION = OutputKind("classification", ("<=50K", ">50K"))


@pytest.fixture(scope="module")
def small_model(features: pd.DataFrame, labels: pd.Series) -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(features[NUMERIC[:3]], labels)


def test_flavors_in_detection_order() -> None:
    assert FLAVORS == ("lightgbm", "xgboost", "onnx", "sklearn", "python")
    for name in FLAVORS:
        flavor = get_flavor(name)
        assert isinstance(flavor, Flavor)
        assert flavor.name == name
        assert flavor.suffix in suffixes()[name]
        assert get_flavor(name.upper()) is flavor


@pytest.mark.parametrize("name", ["torch", "", "scikit-learn"])
def test_unknown_flavor_name(name: str) -> None:
    with pytest.raises(UnsupportedFlavorError, match=r"must be one of lightgbm, xgboost, onnx"):
        get_flavor(name)


@pytest.mark.parametrize(("obj", "type_name"), [({"a": 1}, "dict"), (3, "int"), ("m", "str")])
def test_object_of_no_flavor(obj: object, type_name: str) -> None:
    with pytest.raises(UnsupportedFlavorError, match=rf"supported flavor.*Got {type_name} instead"):
        flavor_for_object(obj)


def test_a_class_is_not_a_model() -> None:
    with pytest.raises(UnsupportedFlavorError, match="Got type instead"):
        flavor_for_object(LogisticRegression)


def test_hint_that_does_not_fit_the_object(small_model: LogisticRegression) -> None:
    with pytest.raises(NotAModelError, match=r"looks like a 'sklearn' model"):
        flavor_for_object(small_model, "lightgbm")
    with pytest.raises(NotAModelError, match=r"A 'onnx' model must be a onnx\.ModelProto"):
        flavor_for_object({"a": 1}, "onnx")
    with pytest.raises(UnsupportedFlavorError, match="Got 'keras' instead"):
        flavor_for_object(small_model, "keras")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.joblib"
    with pytest.raises(NotAModelError, match="No file at"):
        flavor_for_file(path)
    with pytest.raises(NotAModelError, match="No file at"):
        load_predictor(path, "sklearn", CLASSIFICATION)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "model.joblib"
    folder.mkdir()
    with pytest.raises(NotAModelError, match="Got a directory instead"):
        flavor_for_file(folder)
    with pytest.raises(NotAModelError, match="Got a directory instead"):
        load_predictor(folder, "sklearn", CLASSIFICATION)


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "model.h5"
    path.write_bytes(b"\x89HDF")
    with pytest.raises(UnsupportedFlavorError, match=r"known suffix .*sklearn: \.joblib"):
        flavor_for_file(path)


def test_hint_is_used_for_a_file_without_suffix(
    small_model: LogisticRegression, tmp_path: Path
) -> None:
    path = tmp_path / "0123abcd"
    get_flavor("sklearn").save(small_model, path)
    assert flavor_for_file(path, "sklearn").name == "sklearn"


def test_csv_renamed_model_joblib(adult: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    adult.head(50).to_csv(path, index=False)
    with pytest.raises(NotAModelError, match=r"must be a 'sklearn' model to have the suffix"):
        flavor_for_file(path)
    with pytest.raises(NotAModelError, match=r"model\.joblib' must be a 'sklearn' model") as info:
        load_predictor(path, "sklearn", CLASSIFICATION)
    assert info.value.details == {"path": str(path), "flavor": "sklearn"}
    assert info.value.__cause__ is not None


def test_truncated_joblib_file(small_model: LogisticRegression, tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    get_flavor("sklearn").save(small_model, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NotAModelError, match=r"model\.joblib' must be a 'sklearn' model"):
        load_predictor(path, "sklearn", CLASSIFICATION)


def test_joblib_file_holding_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump({"coef": [1.0, 2.0], "target": TARGET}, path, compress=3)
    assert flavor_for_file(path).name == "sklearn"  # it is a joblib file...
    with pytest.raises(NotAModelError, match=r"must hold a fitted estimator.*Got a dict instead"):
        load_predictor(path, "sklearn", CLASSIFICATION)  # ...but not a model


def test_missing_framework_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # makes `import lightgbm` fail
    with pytest.raises(MissingDependencyError, match=r"pip install 'aweigh\[lightgbm\]'"):
        get_flavor("lightgbm").framework_versions()
    path = tmp_path / "model.txt"
    path.write_text("tree\n")
    with pytest.raises(MissingDependencyError, match=r"needs the 'lightgbm' package"):
        load_predictor(path, "lightgbm", CLASSIFICATION)


def test_framework_versions() -> None:
    expected = {
        "lightgbm": {"lightgbm"},
        "xgboost": {"xgboost"},
        "onnx": {"onnx", "onnxruntime"},
        "sklearn": {"scikit-learn", "joblib"},
        "python": {"cloudpickle", "python"},
    }
    for name, keys in expected.items():
        versions = get_flavor(name).framework_versions()
        assert set(versions) == keys
        assert all(isinstance(v, str) and v for v in versions.values())
