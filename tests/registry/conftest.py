"""A registry on a memory store and a local artifact folder, with a manual clock."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aweigh.core.clock import ManualClock
from aweigh.registry.service import Registry
from aweigh.storage.artifacts.local import LocalArtifactStore
from aweigh.storage.memory import MemoryStore

NUMERIC = ["age", "education_num", "hours_per_week", "capital_gain"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def registry(tmp_path: Path, clock: ManualClock) -> Registry:
    return Registry(
        MemoryStore(),
        LocalArtifactStore(tmp_path / "artifacts"),
        actor="ana",
        clock=clock,
        record_git=False,
    )


@pytest.fixture(scope="session")
def adult(adult_train: pd.DataFrame) -> pd.DataFrame:
    return adult_train.sample(3000, random_state=42).reset_index(drop=True)


@pytest.fixture(scope="session")
def income_model(adult: pd.DataFrame) -> object:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=30, random_state=42).fit(
        adult[NUMERIC], adult["income"]
    )
