"""Health, readiness, Prometheus metrics, OpenAPI and the admin routes, in process."""

from __future__ import annotations

import asyncio
import gc
import shutil
import subprocess
import threading
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pandas as pd
import pytest
from starlette.routing import Route

from aweigh.registry.service import Registry
from aweigh.serving.app import _trim_when_idle, create_app
from aweigh.settings import Settings
from tests.serving.conftest import FEATURES, Running, record


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready["ready"] is True
    assert {(m["model"], m["version"], m["state"]) for m in ready["models"]} == {
        ("income", 1, "ready"),
        ("fragile", 1, "ready"),
    }


async def test_metrics_count_requests_batches_and_events(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    one = {"instances": [record(adult_rows[FEATURES].iloc[0])]}
    for _ in range(3):
        await client.post("/v1/models/income/predict", json=one)
    await client.post("/v1/models/nope/predict", json=one)
    text = (await client.get("/metrics")).text
    assert (
        'aweigh_requests_total{model="income",route="/v1/models/{name}/predict",'
        'status="200",version="1"} 3.0'
    ) in text
    assert 'status="404"' in text
    assert "aweigh_batch_size_rows_bucket" in text
    assert "aweigh_request_duration_seconds_bucket" in text
    assert 'aweigh_events_total{outcome="appended"}' in text
    assert 'aweigh_model_state{model="income",state="ready",version="1"} 1.0' in text
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (scripts/ensure-servers.sh installs it)")
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


async def test_openapi_documents_exactly_the_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    app = client._transport.app  # type: ignore[attr-defined]
    routes = {
        (r.path, m.lower())
        for r in app.routes
        if isinstance(r, Route)
        for m in (r.methods or set()) - {"HEAD"}
    }
    documented = {(p, m) for p, ops in spec["paths"].items() for m in ops}
    assert documented == routes
    predict = spec["paths"]["/v1/models/{name}/predict"]["post"]
    assert "requestBody" in predict
    assert {p["name"] for p in predict["parameters"]} == {"name", "version", "alias"}


async def test_admin_routes_answer_only_loopback_without_a_key(make_client: Any) -> None:
    async with make_client() as client:  # httpx's ASGI transport calls from 127.0.0.1
        listed = (await client.get("/v1/admin/models")).json()
        assert {m["model"] for m in listed["models"]} == {"income", "fragile"}
        app = client._transport.app  # type: ignore[attr-defined]
        remote = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.1.2.3", 5000)),
            base_url="http://aweigh.internal",
        )
        refused = await remote.get("/v1/admin/models")
        await remote.aclose()
        assert refused.status_code == 403
        assert "AWEIGH_ADMIN_KEY" in refused.json()["error"]["message"]


async def test_admin_routes_with_a_key_and_an_alias_move(
    make_client: Any, adult_rows: pd.DataFrame
) -> None:
    one = {"instances": [record(adult_rows[FEATURES].iloc[0])]}
    async with make_client(admin_key="s3cret") as client:
        assert (await client.get("/v1/admin/models")).status_code == 401
        wrong = await client.get("/v1/admin/models", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        auth = {"Authorization": "Bearer s3cret"}
        assert (await client.get("/v1/admin/models", headers=auth)).status_code == 200
        moved = await client.put(
            "/v1/admin/models/income/aliases/champion",
            headers=auth,
            json={"version": 2, "reason": "better"},
        )
        assert moved.status_code == 200, moved.text
        assert (moved.json()["from_version"], moved.json()["to_version"]) == (1, 2)
        assert (await client.post("/v1/models/income/predict", json=one)).json()["version"] == 2
        stale = await client.put(
            "/v1/admin/models/income/aliases/champion",
            headers=auth,
            json={"version": 1, "expected": 1},
        )
        assert stale.status_code == 409
        unloaded = await client.post("/v1/admin/models/fragile/versions/1/unload", headers=auth)
        assert unloaded.json()["unloaded"] is True
        loaded = await client.post("/v1/admin/models/fragile/versions/1/load", headers=auth)
        assert loaded.json()["state"] == "ready"
        assert (await client.post("/v1/admin/reload", headers=auth)).status_code == 200
        bad = await client.put(
            "/v1/admin/models/income/aliases/champion", headers=auth, json={"version": "two"}
        )
        assert bad.status_code == 422


async def test_the_idle_trimmer_collects_once_after_each_burst() -> None:
    """Garbage is collected (and malloc trimmed) once traffic stops, not while idle."""
    state = SimpleNamespace(recorder=SimpleNamespace(recorded=0))
    full: list[int] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        on_worker = threading.current_thread() is not threading.main_thread()
        if phase == "stop" and info["generation"] == 2 and on_worker:  # the trimmer's
            full.append(1)

    gc.callbacks.append(seen)
    task = asyncio.create_task(_trim_when_idle(state, every_s=0.02))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.12)
        assert full == []  # no traffic yet: nothing to give back
        state.recorder.recorded += 10
        deadline = time.monotonic() + 30  # a full collection of a busy test process is slow
        while not full and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert len(full) == 1
        await asyncio.sleep(0.2)  # ten more idle checks
        assert len(full) == 1  # still idle: once per burst
    finally:
        task.cancel()
        gc.callbacks.remove(seen)


async def test_predictions_count_for_the_trimmer_with_the_event_log_off(
    registry: Registry, settings: dict[str, Any], adult_rows: pd.DataFrame
) -> None:
    app = create_app(Settings(**{**settings, "events_enabled": False}), registry=registry)
    async with Running(app) as client:
        body = {"instances": [record(adult_rows[FEATURES].iloc[i]) for i in range(3)]}
        response = await client.post("/v1/models/income/predict", json=body)
        assert response.status_code == 200, response.text
        assert app.state.aweigh.event_log is None
        assert app.state.aweigh.recorder.recorded == 3
