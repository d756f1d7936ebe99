"""The 'python' flavor: callables ``f(frame)`` and objects with ``predict(frame)``, cloudpickled.

For models no framework flavor covers. Functions and classes defined in ``__main__`` (scripts,
notebooks) are stored by value; those imported from a module are stored by reference, so
that module must be importable where the model is loaded. Loading a pickle runs code: load
only artifacts whose sha256 the registry has checked.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aweigh.core.entities import OutputKind
from aweigh.runtimes._common import loading, make_predictor, not_a_model, read_head, require
from aweigh.runtimes.base import Flavor, Predictor

_INSTALL = "cloudpickle"


def _entry(obj: Any) -> Any:
    """What to call with a frame: ``obj.predict`` when it has one, else ``obj`` itself."""
    predict = getattr(obj, "predict", None)
    return predict if callable(predict) else obj


class PythonFlavor(Flavor):
    """Any callable ``f(frame) -> array-like`` or object with a ``predict(frame)`` method."""

    name = "python"
    suffix = ".cloudpickle"
    suffixes = (".cloudpickle", ".cpkl")

    def matches_object(self, obj: Any) -> bool:
        if isinstance(obj, type):
            return False  # a class is not a model; pass an instance
        return callable(obj) or callable(getattr(obj, "predict", None))

    def matches_file(self, path: Path) -> bool:
        return path.suffix.lower() in self.suffixes and read_head(path, 1) == b"\x80"

    def save(self, obj: Any, path: Path) -> None:
        cloudpickle = require("cloudpickle", self.name, _INSTALL)
        with path.open("wb") as fh:
            cloudpickle.dump(obj, fh)

    def read(self, path: Path) -> Any:
        cloudpickle = require("cloudpickle", self.name, _INSTALL)
        with loading(path, self.name), path.open("rb") as fh:
            obj = cloudpickle.load(fh)
        if not self.matches_object(obj):
            raise not_a_model(path, self.name, "a callable or an object with predict", obj)
        return obj

    def load(self, path: Path, output: OutputKind) -> Predictor:
        obj = self.read(path)
        entry = _entry(obj)

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return np.asarray(entry(frame))

        proba_fn: Any = getattr(obj, "predict_proba", None)

        def proba(frame: pd.DataFrame) -> np.ndarray:
            return np.asarray(proba_fn(frame))

        has_proba = callable(proba_fn)
        return make_predictor(self.name, output, predict, proba if has_proba else None, "callable")

    def infer_output(self, obj: Any) -> OutputKind | None:
        return None  # the registry infers it from predictions on a sample

    def framework_versions(self) -> dict[str, str]:
        cloudpickle = require("cloudpickle", self.name, _INSTALL)
        return {"cloudpickle": str(cloudpickle.__version__), "python": platform.python_version()}
