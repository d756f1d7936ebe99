"""Helpers shared by the flavors: lazy imports, predictor objects, label and error plumbing."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aweigh.core.entities import OutputKind
from aweigh.core.errors import (
    AweighError,
    InvalidInputError,
    MissingDependencyError,
    NotAModelError,
)

FrameFn = Callable[[pd.DataFrame], np.ndarray]


def require(module: str, flavor: str, install: str) -> Any:
    """Import ``module`` now, or say what to ``pip install`` when it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"The '{flavor}' flavor needs the '{module}' package, which is not installed. "
            f"Install it with: pip install {install}",
            {"flavor": flavor, "package": module, "install": install},
        ) from exc


def class_modules(obj: Any) -> list[str]:
    """Module names of the classes in ``type(obj).__mro__`` (no import needed)."""
    return [getattr(cls, "__module__", "") or "" for cls in type(obj).__mro__]


def comes_from(obj: Any, *packages: str) -> bool:
    """True when ``obj`` (not a class) is an instance of a class defined in one of ``packages``."""
    if isinstance(obj, type):
        return False
    return any(m == p or m.startswith(p + ".") for m in class_modules(obj) for p in packages)


def type_name(obj: Any) -> str:
    cls = type(obj)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def plain(value: Any) -> Any:
    """A numpy scalar as the matching Python value (int, float, str, bool); others unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def plain_classes(classes: Any) -> tuple[Any, ...]:
    return tuple(plain(c) for c in np.asarray(classes).tolist()) if classes is not None else ()


def read_head(path: Path, size: int = 64) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def check_frame(frame: Any) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(
            f"The 'frame' passed to predict must be a pandas DataFrame with one row per "
            f"example. Got {type_name(frame)} instead.",
            {"type": type_name(frame)},
        )
    return frame


def binary_or_multi(raw: Any) -> np.ndarray:
    """Class probabilities (n, k) from a booster's output: (n,) means P(class 1) of two."""
    proba = np.asarray(raw)
    if proba.ndim == 1 or (proba.ndim == 2 and proba.shape[1] == 1):
        p = proba.reshape(-1)
        return np.column_stack([1.0 - p, p])
    return proba


def labels_from_proba(proba: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    labels: np.ndarray = np.asarray(list(classes))[np.argmax(proba, axis=1)]
    return labels


def classes_for(output: OutputKind, n_classes: int, path: Path, flavor: str) -> tuple[Any, ...]:
    """The labels of the model's probability columns: ``output.classes`` or 0..k-1."""
    if not output.classes:
        return tuple(range(n_classes))
    if len(output.classes) != n_classes:
        raise NotAModelError(
            f"The '{flavor}' model at '{path}' must predict as many classes as its output "
            f"kind lists ({len(output.classes)}: {list(output.classes)!r}). Got a model with "
            f"{n_classes} classes instead. Register it again so aweigh records its real classes.",
            {"path": str(path), "flavor": flavor},
        )
    return tuple(output.classes)


@contextmanager
def loading(path: Path, flavor: str) -> Iterator[None]:
    """Turn any non-aweigh failure while loading ``path`` into a NotAModelError."""
    try:
        yield
    except AweighError:
        raise
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if len(reason) > 300:
            reason = reason[:300] + "..."
        raise NotAModelError(
            f"The file '{path}' must be a '{flavor}' model, but loading it failed ({reason}). "
            f"Check that the file is complete and was saved with the '{flavor}' flavor, "
            f"or register the model again.",
            {"path": str(path), "flavor": flavor},
        ) from exc


def not_a_model(path: Path, flavor: str, what: str, obj: Any) -> NotAModelError:
    return NotAModelError(
        f"The file '{path}' must hold {what} for the '{flavor}' flavor. "
        f"Got a {type_name(obj)} instead. Register a fitted model, not its parts or data.",
        {"path": str(path), "flavor": flavor, "type": type_name(obj)},
    )


class ModelPredictor:
    """A loaded model that gives one prediction per row; see ``base.Predictor``."""

    def __init__(self, flavor: str, output: OutputKind, predict: FrameFn, source: str) -> None:
        self.flavor = flavor
        self.output = output
        self._predict = predict
        self._source = source

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        frame = check_frame(frame)
        result = np.asarray(self._predict(frame))
        if result.ndim == 2 and result.shape[1] == 1:
            result = result.reshape(-1)
        self._check_rows(result, frame, "predictions")
        return result

    def _check_rows(self, result: np.ndarray, frame: pd.DataFrame, what: str) -> None:
        got = 1 if result.ndim == 0 else len(result)
        if got != len(frame):
            raise InvalidInputError(
                f"The {self._source} returned {got} {what} for {len(frame)} rows. It must "
                f"return exactly one per input row; check that it predicts row by row.",
                {"rows": len(frame), "returned": got},
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} flavor={self.flavor!r} task={self.output.task!r}>"


class ProbaPredictor(ModelPredictor):
    """A loaded classifier that also gives class probabilities."""

    def __init__(
        self,
        flavor: str,
        output: OutputKind,
        predict: FrameFn,
        proba: FrameFn,
        source: str,
        both: Callable[[pd.DataFrame], tuple[Any, Any]] | None = None,
    ) -> None:
        super().__init__(flavor, output, predict, source)
        self._proba = proba
        self._both = both

    def predict_with_proba(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities in one pass where the model allows it (pipelines
        transform the input once instead of twice)."""
        if self._both is None:
            return self.predict(frame), self.predict_proba(frame)
        frame = check_frame(frame)
        labels, proba = (np.asarray(x) for x in self._both(frame))
        self._check_rows(labels, frame, "predictions")
        self._check_rows(proba, frame, "probability rows")
        return labels, proba

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        frame = check_frame(frame)
        result = np.asarray(self._proba(frame))
        if result.ndim != 2:
            raise InvalidInputError(
                f"The {self._source} must return class probabilities as an (n_rows, n_classes) "
                f"array. Got an array of shape {result.shape} instead.",
                {"shape": list(result.shape)},
            )
        self._check_rows(result, frame, "probability rows")
        return result


def make_predictor(
    flavor: str,
    output: OutputKind,
    predict: FrameFn,
    proba: FrameFn | None,
    source: str,
    both: Callable[[pd.DataFrame], tuple[Any, Any]] | None = None,
) -> ModelPredictor:
    """A predictor that has ``predict_proba`` only when ``proba`` is given."""
    if proba is None:
        return ModelPredictor(flavor, output, predict, source)
    return ProbaPredictor(flavor, output, predict, proba, source, both)
