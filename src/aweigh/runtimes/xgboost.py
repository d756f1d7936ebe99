"""The 'xgboost' flavor: XGBoost boosters saved as native JSON models, never pickled.

JSON models load in later XGBoost versions and run no code when loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aweigh.core.entities import OutputKind
from aweigh.core.errors import NotAModelError
from aweigh.runtimes._common import (
    binary_or_multi,
    classes_for,
    comes_from,
    labels_from_proba,
    loading,
    make_predictor,
    plain_classes,
    read_head,
    require,
)
from aweigh.runtimes.base import Flavor, Predictor

_INSTALL = "'aweigh[xgboost]'"
#: objectives whose output is a class index (no probabilities)
_LABEL_OBJECTIVES = ("multi:softmax", "binary:hinge")


def _booster(obj: Any, flavor: str) -> Any:
    if type(obj).__name__ == "Booster":
        return obj
    try:
        return obj.get_booster()
    except Exception as exc:
        raise NotAModelError(
            f"The XGBoost model must be fitted before it is saved with the '{flavor}' flavor. "
            f"Got an unfitted {type(obj).__name__} instead; call fit() first.",
            {"flavor": flavor},
        ) from exc


def _objective(booster: Any) -> tuple[str, int]:
    """The booster's objective name and its number of classes (0 unless multi-class)."""
    learner = json.loads(booster.save_config())["learner"]
    num_class = int(float(learner.get("learner_model_param", {}).get("num_class", 0) or 0))
    return str(learner["objective"]["name"]), num_class


def prepare_frame(booster: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in training order; text columns of categorical features as pandas categories.

    XGBoost (3.1+) re-codes categories against those stored in the model, so a category
    column built from this frame alone predicts like the training frame did.
    """
    names = booster.feature_names
    if names and list(frame.columns) != list(names) and set(names) <= set(frame.columns):
        frame = frame[list(names)]
    types = booster.feature_types or []
    converted: dict[str, Any] = {}
    for column, kind in zip(frame.columns, types, strict=False):
        dtype = frame[column].dtype
        if kind == "c" and not isinstance(dtype, pd.CategoricalDtype):
            converted[str(column)] = frame[column].astype("category")
    return frame.assign(**converted) if converted else frame


class XGBoostFlavor(Flavor):
    """xgboost.Booster and the XGBClassifier/XGBRegressor/XGBRanker wrappers."""

    name = "xgboost"
    suffix = ".json"
    suffixes = (".json", ".ubj")

    def matches_object(self, obj: Any) -> bool:
        if not comes_from(obj, "xgboost"):
            return False
        return type(obj).__name__ == "Booster" or callable(getattr(obj, "get_booster", None))

    def matches_file(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".ubj":
            return read_head(path, 1) == b"{"
        if suffix != ".json":
            return False
        try:
            with path.open("rb") as fh:
                data = json.load(fh)
        except (ValueError, UnicodeDecodeError):
            return False
        return isinstance(data, dict) and "learner" in data

    def save(self, obj: Any, path: Path) -> None:
        require("xgboost", self.name, _INSTALL)
        # save_raw, not save_model: the format must not depend on the file name's suffix
        path.write_bytes(bytes(_booster(obj, self.name).save_raw(raw_format="json")))

    def read(self, path: Path) -> Any:
        xgboost = require("xgboost", self.name, _INSTALL)
        with loading(path, self.name):
            booster = xgboost.Booster()
            booster.load_model(bytearray(path.read_bytes()))
        return booster

    def load(self, path: Path, output: OutputKind) -> Predictor:
        xgboost = require("xgboost", self.name, _INSTALL)
        booster = self.read(path)
        objective, num_class = _objective(booster)
        best = booster.attr("best_iteration")
        iterations = (0, int(best) + 1) if best is not None else (0, 0)

        def raw(frame: pd.DataFrame) -> Any:
            frame = prepare_frame(booster, frame)
            has_cat = any(isinstance(t, pd.CategoricalDtype) for t in frame.dtypes)
            matrix = xgboost.DMatrix(frame, enable_categorical=has_cat)
            return booster.predict(matrix, iteration_range=iterations)

        source = "'xgboost' model"
        if output.task != "classification":
            return make_predictor(self.name, output, raw, None, source)
        classes = classes_for(output, max(num_class, 2), path, self.name)
        if objective in _LABEL_OBJECTIVES:

            def label(frame: pd.DataFrame) -> np.ndarray:
                index = np.asarray(raw(frame)).reshape(-1).astype(np.int64)
                return np.asarray(list(classes))[index]

            return make_predictor(self.name, output, label, None, source)

        def proba(frame: pd.DataFrame) -> np.ndarray:
            out = np.asarray(raw(frame))
            if objective == "binary:logitraw":
                out = 1.0 / (1.0 + np.exp(-out))
            return binary_or_multi(out)

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return labels_from_proba(proba(frame), classes)

        return make_predictor(self.name, output, predict, proba, source)

    def infer_output(self, obj: Any) -> OutputKind | None:
        is_booster = type(obj).__name__ == "Booster"
        classes = None if is_booster else getattr(obj, "classes_", None)
        if classes is not None:
            return OutputKind("classification", plain_classes(classes))
        objective, num_class = _objective(_booster(obj, self.name))
        if objective.startswith("binary:"):
            return OutputKind("classification", (0, 1))
        if objective.startswith("multi:"):
            return OutputKind("classification", tuple(range(num_class)))
        if objective.startswith("rank:"):
            return OutputKind("other")
        return OutputKind("regression")

    def framework_versions(self) -> dict[str, str]:
        xgboost = require("xgboost", self.name, _INSTALL)
        return {"xgboost": str(xgboost.__version__)}
