"""The 'sklearn' flavor: scikit-learn estimators and Pipelines, written with joblib to one file.

joblib files are pickles: loading one runs code, so load only artifacts whose sha256 the
registry has checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aweigh.core.entities import OutputKind
from aweigh.runtimes._common import (
    comes_from,
    loading,
    make_predictor,
    not_a_model,
    plain_classes,
    read_head,
    require,
)
from aweigh.runtimes.base import Flavor, Predictor

#: packages whose sklearn-API models have their own (native, non-pickle) flavor
_OTHER_FLAVORS = ("lightgbm", "xgboost", "onnx", "onnxruntime")
#: first bytes of a pickle (protocol 2+) and of the compressors joblib can use
_MAGICS = (b"\x80", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00\x00", b"\x04\x22\x4d\x18", b"ZF")


def _is_zlib(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0


def _final_step(obj: Any) -> Any:
    steps = getattr(obj, "steps", None)
    if comes_from(obj, "sklearn") and isinstance(steps, list) and steps:
        return steps[-1][1]
    return obj


class SklearnFlavor(Flavor):
    """scikit-learn estimators (and duck-typed ones with fit/predict/get_params)."""

    name = "sklearn"
    suffix = ".joblib"
    suffixes = (".joblib", ".pkl", ".pickle")

    def matches_object(self, obj: Any) -> bool:
        if isinstance(obj, type) or comes_from(obj, *_OTHER_FLAVORS):
            return False
        if not callable(getattr(obj, "predict", None)):
            return False
        if comes_from(obj, "sklearn"):
            return True
        return callable(getattr(obj, "fit", None)) and callable(getattr(obj, "get_params", None))

    def matches_file(self, path: Path) -> bool:
        if path.suffix.lower() not in self.suffixes:
            return False
        head = read_head(path)
        return head.startswith(_MAGICS) or _is_zlib(head)

    def save(self, obj: Any, path: Path) -> None:
        joblib = require("joblib", self.name, "joblib")
        joblib.dump(obj, path, compress=3)

    def read(self, path: Path) -> Any:
        joblib = require("joblib", self.name, "joblib")
        with loading(path, self.name):
            model = joblib.load(path)
        if not callable(getattr(model, "predict", None)) or isinstance(model, type):
            raise not_a_model(path, self.name, "a fitted estimator with a predict method", model)
        return model

    def load(self, path: Path, output: OutputKind) -> Predictor:
        model = self.read(path)

        def predict(frame: Any) -> Any:
            return model.predict(frame)

        proba = model.predict_proba if callable(getattr(model, "predict_proba", None)) else None
        both = _shared_transform(model) if proba is not None else None
        return make_predictor(self.name, output, predict, proba, "'sklearn' model", both)

    def infer_output(self, obj: Any) -> OutputKind | None:
        final = _final_step(obj)
        classes = getattr(final, "classes_", None)
        if classes is not None:
            return OutputKind("classification", plain_classes(classes))
        base = require("sklearn.base", self.name, "scikit-learn")
        try:
            if base.is_classifier(obj):
                return OutputKind("classification", ())
            if base.is_regressor(obj):
                return OutputKind("regression")
        except (AttributeError, TypeError):  # duck-typed estimators without sklearn tags
            estimator_type = getattr(final, "_estimator_type", None)
            if estimator_type == "regressor":
                return OutputKind("regression")
        return None

    def framework_versions(self) -> dict[str, str]:
        sklearn = require("sklearn", self.name, "scikit-learn")
        joblib = require("joblib", self.name, "joblib")
        return {"scikit-learn": str(sklearn.__version__), "joblib": str(joblib.__version__)}


#: classifiers whose ``predict`` is exactly ``classes_[argmax(predict_proba)]``, so one
#: ``predict_proba`` call gives both answers (SVC and others whose predict differs from
#: their calibrated probabilities are not listed and keep two calls)
ARGMAX_CLASSIFIERS = frozenset(
    {
        "HistGradientBoostingClassifier",
        "GradientBoostingClassifier",
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
        "KNeighborsClassifier",
        "GaussianNB",
        "MultinomialNB",
        "BernoulliNB",
        "ComplementNB",
        "CategoricalNB",
        "MLPClassifier",
        "LogisticRegression",
        "LogisticRegressionCV",
        "AdaBoostClassifier",
        "BaggingClassifier",
    }
)


def _shared_transform(model: Any) -> Any:
    """Labels and probabilities in one pass.

    For a Pipeline the transformers run once (what ``Pipeline.predict`` and
    ``Pipeline.predict_proba`` each do). For a final step in ``ARGMAX_CLASSIFIERS`` the
    labels come from the probabilities, halving the model's compute.
    """
    steps: list[Any] = list(getattr(model, "steps", None) or [])
    is_pipeline = len(steps) >= 2 and callable(getattr(model, "__getitem__", None))
    head, final = (model[:-1], steps[-1][1]) if is_pipeline else (None, model)
    if not callable(getattr(final, "predict_proba", None)):
        return None
    classes = getattr(final, "classes_", None)
    from_proba = type(final).__name__ in ARGMAX_CLASSIFIERS and classes is not None
    if head is None and not from_proba:
        return None

    def both(frame: Any) -> tuple[Any, Any]:
        transformed = head.transform(frame) if head is not None else frame
        proba = final.predict_proba(transformed)
        if from_proba:
            import numpy as np

            return np.asarray(classes)[np.argmax(proba, axis=1)], proba
        return final.predict(transformed), proba

    return both
