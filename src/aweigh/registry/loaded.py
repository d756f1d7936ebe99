"""A loaded model version: the runtime's predictor plus the version it came from."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from aweigh.core.entities import ModelVersion
from aweigh.core.errors import InvalidInputError
from aweigh.registry.signature import as_frame
from aweigh.runtimes.base import Predictor, has_proba


class LoadedModel:
    """What ``aweigh.load`` returns: ``predict``/``predict_proba`` on frames or records.

    Input columns are matched to the version's signature by name (extra columns are
    ignored, missing ones are an error naming them), so callers need not know the order.
    """

    def __init__(self, version: ModelVersion, predictor: Predictor) -> None:
        self.version = version
        self.predictor = predictor

    @property
    def ref(self) -> str:
        return self.version.ref

    @property
    def flavor(self) -> str:
        return self.version.flavor

    @property
    def classes(self) -> tuple[Any, ...]:
        return self.version.output.classes

    @property
    def has_proba(self) -> bool:
        return has_proba(self.predictor)

    def _frame(self, data: Any) -> pd.DataFrame:
        frame = as_frame(data, "input")
        wanted = self.version.signature.names
        if not wanted:
            return frame
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"The input lacks column(s) {missing} that {self.ref} needs. "
                f"Expected columns: {list(wanted)}.",
                {"missing": missing},
            )
        return frame if list(frame.columns) == list(wanted) else frame[list(wanted)]

    def predict(self, data: Any) -> np.ndarray:
        """One prediction per row: class labels for classifiers, numbers for regressors."""
        return self.predictor.predict(self._frame(data))

    def predict_proba(self, data: Any) -> np.ndarray:
        """Class probabilities, one column per entry of ``classes``."""
        if not self.has_proba:
            raise InvalidInputError(
                f"{self.ref} ({self.flavor}, {self.version.output.task}) gives no class "
                "probabilities; call predict instead."
            )
        proba: np.ndarray = self.predictor.predict_proba(self._frame(data))  # type: ignore[attr-defined]
        return proba

    def __repr__(self) -> str:
        return f"LoadedModel({self.ref!r}, flavor={self.flavor!r})"
