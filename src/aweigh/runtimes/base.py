"""The Predictor protocol and the Flavor plug-in point every framework implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from aweigh.core.entities import OutputKind


@runtime_checkable
class Predictor(Protocol):
    """A loaded model version. ``predict_proba`` exists only where the model has one.

    ``predict`` returns one prediction per row (class labels for classifiers, numbers
    for regressors); ``predict_proba`` returns an (n_rows, n_classes) float array whose
    columns follow ``classes``.
    """

    flavor: str
    output: OutputKind

    def predict(self, frame: pd.DataFrame) -> np.ndarray: ...


def has_proba(predictor: Predictor) -> bool:
    """True when the predictor can give class probabilities."""
    return callable(getattr(predictor, "predict_proba", None))


class Flavor(ABC):
    """How one framework's models are recognised, written to one file, and loaded.

    Implementations import their framework only inside methods, so importing
    ``aweigh.runtimes`` never imports LightGBM, XGBoost, ONNX Runtime or torch.
    """

    name: str
    #: file name suffix used for the artifact (for humans; the store is content-addressed)
    suffix: str

    @abstractmethod
    def matches_object(self, obj: Any) -> bool:
        """True when ``obj`` is a model of this flavor (checked without importing it)."""

    @abstractmethod
    def matches_file(self, path: Path) -> bool:
        """True when the file at ``path`` looks like a model of this flavor."""

    @abstractmethod
    def save(self, obj: Any, path: Path) -> None:
        """Write ``obj`` to the single file ``path``."""

    @abstractmethod
    def read(self, path: Path) -> Any:
        """Deserialise the file at ``path`` (already checked) into the framework's object.

        The registry calls ``infer_output(read(path))`` when a model is registered from
        a file, so this returns what ``matches_object``/``infer_output`` understand.
        """

    @abstractmethod
    def load(self, path: Path, output: OutputKind) -> Predictor:
        """Load the file at ``path`` (already checked against its sha256)."""

    @abstractmethod
    def infer_output(self, obj: Any) -> OutputKind | None:
        """What the in-memory model predicts, or None when it cannot tell."""

    def framework_versions(self) -> dict[str, str]:
        """Versions of the libraries this flavor used (recorded with each version)."""
        return {}
