"""In-process serving fixtures: a real registry and event log, the app on httpx's ASGI
transport (no sockets), with the app's lifespan run as uvicorn would run it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from aweigh.core.clock import ManualClock
from aweigh.registry.service import Registry
from aweigh.serving.app import create_app
from aweigh.settings import Settings
from aweigh.storage.artifacts.local import LocalArtifactStore
from aweigh.storage.events import ParquetEventLog
from aweigh.storage.sql.store import SqlStore

FEATURES = ["age", "workclass", "education_num", "sex", "hours_per_week", "capital_gain"]
CATEGORICAL = ["workclass", "sex"]


@pytest.fixture(scope="session")
def adult_rows(adult_train: pd.DataFrame) -> pd.DataFrame:
    return adult_train.sample(4000, random_state=42).reset_index(drop=True)


@pytest.fixture(scope="session")
def income_pipeline(adult_rows: pd.DataFrame) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    cats = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    features = ColumnTransformer([("cat", cats, CATEGORICAL)], remainder="passthrough")
    model = Pipeline(
        [
            ("features", features),
            ("model", HistGradientBoostingClassifier(max_iter=30, random_state=42)),
        ]
    )
    return model.fit(adult_rows[FEATURES], adult_rows["income"])


def failing_model(frame: pd.DataFrame) -> np.ndarray:
    """A model with a bug: it crashes whenever it is given exactly two rows."""
    if len(frame) == 2:
        raise RuntimeError("secret internal detail: index out of range in feature 7")
    return np.where(frame["age"] > 40, "old", "young")


def record(row: pd.Series) -> dict[str, Any]:
    """A JSON-ready record: NaN becomes null, numpy scalars become Python values."""
    return {
        k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()
    }


@pytest.fixture
def registry(tmp_path: Path, income_pipeline: Any, adult_rows: pd.DataFrame) -> Registry:
    reg = Registry(
        SqlStore(f"sqlite:///{tmp_path / 'aweigh.db'}"),
        LocalArtifactStore(tmp_path / "artifacts"),
        actor="test",
        clock=ManualClock(),
        record_git=False,
    )
    sample = adult_rows[FEATURES].head(200)
    trained_on = adult_rows[FEATURES]
    reg.register(
        income_pipeline, "income", sample=sample, training_data=trained_on, alias="champion"
    )
    reg.register(
        income_pipeline, "income", sample=sample, training_data=trained_on, alias="challenger"
    )
    reg.register(failing_model, "fragile", sample=sample.head(20))
    return reg


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, Any]:
    """Keyword arguments of the test server's Settings (tests may change some)."""
    return {
        "home": tmp_path,
        "alias_refresh_s": 0,
        "max_body_bytes": 64 * 1024,
        "events_flush_interval_s": 0.05,
        "max_wait_ms": 5,
        "gc_tuning": False,  # the test process runs many apps: leave its GC alone
    }


@pytest.fixture
def make_client(registry: Registry, settings: dict[str, Any], tmp_path: Path) -> Callable[..., Any]:
    """Start the app (lifespan and all) and give an httpx client bound to it."""

    def factory(**changes: Any) -> Any:
        return Running(
            create_app(
                Settings(**{**settings, **changes}),
                registry=registry,
                event_log=ParquetEventLog(tmp_path / "events", flush_interval_s=0.05),
            )
        )

    return factory


class Running:
    """``async with``: the app's lifespan runs, and a client waits until it is ready."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver"
        )
        for _ in range(200):
            if (await self.client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.02)
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await self._lifespan.__aexit__(None, None, None)


@pytest.fixture
async def client(make_client: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c
