"""Shared fixtures: a 3000-row sample of the Adult census data and a save/load round trip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aweigh.core.entities import OutputKind
from aweigh.runtimes import flavor_for_file, flavor_for_object, load_predictor
from aweigh.runtimes.base import Predictor

TARGET = "income"
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORICAL = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]

RoundTrip = Callable[..., tuple[Predictor, OutputKind]]


@pytest.fixture(scope="session")
def adult(adult_train: pd.DataFrame) -> pd.DataFrame:
    """3000 rows of Adult (seed 42); text columns as read (pandas 'str'), empty cells as NaN.

    ``adult_train`` (tests/conftest.py) reads shared/data/adult/adult_train.csv.
    """
    return adult_train.sample(n=3000, random_state=42).reset_index(drop=True)


@pytest.fixture(scope="session")
def features(adult: pd.DataFrame) -> pd.DataFrame:
    return adult.drop(columns=[TARGET])


@pytest.fixture(scope="session")
def labels(adult: pd.DataFrame) -> pd.Series:
    return adult[TARGET]


@pytest.fixture
def round_trip(tmp_path: Path) -> RoundTrip:
    """Save ``model`` with its flavor, find the flavor again from the file, load it back."""

    def run(
        model: Any, flavor: str | None = None, output: OutputKind | None = None
    ) -> tuple[Predictor, OutputKind]:
        handler = flavor_for_object(model, flavor)
        path = tmp_path / f"model{handler.suffix}"
        handler.save(model, path)
        assert path.is_file()
        assert flavor_for_file(path) is handler
        kind = output or handler.infer_output(model) or OutputKind("other")
        predictor = load_predictor(path, handler.name, kind)
        assert isinstance(predictor, Predictor)
        assert predictor.flavor == handler.name
        assert predictor.output == kind
        return predictor, kind

    return run
