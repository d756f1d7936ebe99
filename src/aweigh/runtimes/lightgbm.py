"""The 'lightgbm' flavor: LightGBM boosters saved as native text models, never pickled.

Text models load in any LightGBM version that reads the format and run no code when loaded.
"""

from __future__ import annotations

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

_INSTALL = "'aweigh[lightgbm]'"
_CLASSIFY = ("binary", "multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr")
_RANK = ("lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart")


def _booster(obj: Any, flavor: str) -> Any:
    """The Booster of ``obj`` (itself, or ``.booster_`` of a fitted sklearn-API model)."""
    if type(obj).__name__ == "Booster":
        return obj
    try:
        return obj.booster_
    except Exception as exc:
        raise NotAModelError(
            f"The LightGBM model must be fitted before it is saved with the '{flavor}' flavor. "
            f"Got an unfitted {type(obj).__name__} instead; call fit() first.",
            {"flavor": flavor},
        ) from exc


def _objective(booster: Any) -> str | None:
    params = getattr(booster, "params", None) or {}
    for key in ("objective", "objective_type", "app", "application", "loss"):
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            objective = value.split()[0].lower()
            return None if objective == "custom" else objective
        if value is not None:  # a Python function given as the objective
            return None
    return "regression"  # LightGBM's default


def _categorical_columns(booster: Any, frame: pd.DataFrame) -> list[tuple[str, list[Any]]]:
    """(column name, categories) for each feature trained as a pandas category."""
    stored = getattr(booster, "pandas_categorical", None)
    if not stored:
        return []
    names = list(booster.feature_name())
    raw = booster.params.get("categorical_feature", [])
    if isinstance(raw, str):
        raw = [int(part) for part in raw.replace(",", " ").split()]
    elif isinstance(raw, int):
        raw = [raw]
    cat_names = [names[int(i)] for i in raw if 0 <= int(i) < len(names)]
    if len(cat_names) != len(stored):
        # some categorical features were integer codes: keep those that are not numbers here
        cat_names = [
            n
            for n in cat_names
            if n in frame.columns and not pd.api.types.is_numeric_dtype(frame[n].dtype)
        ]
    if len(cat_names) != len(stored):
        return []
    return list(zip(cat_names, stored, strict=True))


def prepare_frame(booster: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in training order, and text columns as the categories the booster learned."""
    names = list(booster.feature_name())
    if list(frame.columns) != names and set(names) <= set(frame.columns):
        frame = frame[names]
    converted: dict[str, Any] = {}
    for name, categories in _categorical_columns(booster, frame):
        column = frame.get(name)
        if column is not None and not isinstance(column.dtype, pd.CategoricalDtype):
            # values the model never saw become missing, as LightGBM does for categories
            known = column.where(column.isin(categories))
            converted[name] = pd.Categorical(known, categories=categories)
    return frame.assign(**converted) if converted else frame


class LightGBMFlavor(Flavor):
    """lightgbm.Booster and the LGBMClassifier/LGBMRegressor/LGBMRanker wrappers."""

    name = "lightgbm"
    suffix = ".txt"
    suffixes = (".txt", ".lgb")

    def matches_object(self, obj: Any) -> bool:
        if not comes_from(obj, "lightgbm"):
            return False
        return type(obj).__name__ == "Booster" or callable(getattr(obj, "predict", None))

    def matches_file(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes and read_head(path, 4) == b"tree"

    def save(self, obj: Any, path: Path) -> None:
        require("lightgbm", self.name, _INSTALL)
        _booster(obj, self.name).save_model(str(path))

    def read(self, path: Path) -> Any:
        lightgbm = require("lightgbm", self.name, _INSTALL)
        with loading(path, self.name):
            return lightgbm.Booster(model_file=str(path))

    def load(self, path: Path, output: OutputKind) -> Predictor:
        booster = self.read(path)

        def raw(frame: pd.DataFrame) -> Any:
            return booster.predict(prepare_frame(booster, frame))

        if output.task != "classification":
            return make_predictor(self.name, output, raw, None, "'lightgbm' model")
        per_iteration = int(booster.num_model_per_iteration())
        classes = classes_for(output, max(per_iteration, 2), path, self.name)

        def proba(frame: pd.DataFrame) -> np.ndarray:
            return binary_or_multi(raw(frame))

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return labels_from_proba(proba(frame), classes)

        return make_predictor(self.name, output, predict, proba, "'lightgbm' model")

    def infer_output(self, obj: Any) -> OutputKind | None:
        classes = getattr(obj, "classes_", None) if type(obj).__name__ != "Booster" else None
        if classes is not None:
            return OutputKind("classification", plain_classes(classes))
        name = type(obj).__name__
        if name == "LGBMRegressor":
            return OutputKind("regression")
        if name == "LGBMRanker":
            return OutputKind("other")
        booster = _booster(obj, self.name)
        objective = _objective(booster)
        if objective is None:  # a custom objective function: the caller must say
            return None
        if objective in _CLASSIFY:
            k = max(int(booster.num_model_per_iteration()), 2)
            return OutputKind("classification", tuple(range(k)))
        return OutputKind("other" if objective in _RANK else "regression")

    def framework_versions(self) -> dict[str, str]:
        lightgbm = require("lightgbm", self.name, _INSTALL)
        return {"lightgbm": str(lightgbm.__version__)}
