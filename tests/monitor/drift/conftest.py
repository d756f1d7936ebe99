"""Fixtures for the drift tests: the real Adult test split and Electricity, seeded references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aweigh.monitor.drift import ColumnSketch
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="session")
def adult_test() -> pd.DataFrame:
    path = SHARED_DATA / "adult" / "adult_test.csv"
    if not path.exists():
        from aweigh.demo import load_adult

        return load_adult("test")
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def electricity() -> pd.DataFrame:
    path = SHARED_DATA / "electricity" / "electricity.csv"
    if not path.exists():
        pytest.skip("the Electricity data is not in shared/data")
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def normal_reference() -> ColumnSketch:
    """30,000 standard normal values (seed 42): the reference of the power checks."""
    sketch = ColumnSketch()
    sketch.update(np.random.default_rng(42).normal(size=30_000))
    return sketch


def shifted_adult(frame: pd.DataFrame, seed: int = 42) -> pd.DataFrame:
    """A copy with older ages (+5 years) and another education mix (30% to Doctorate)."""
    out = frame.copy()
    out["age"] = out["age"] + 5
    rng = np.random.default_rng(seed)
    out.loc[rng.random(len(out)) < 0.3, "education"] = "Doctorate"
    return out
