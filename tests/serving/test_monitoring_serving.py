"""Monitoring in the server: the schedule, GET /v1/models/{name}/monitor, the admin run,
and the aweigh_monitor gauges in /metrics."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pandas as pd
import pytest

from aweigh.registry.service import Registry
from tests.serving.conftest import FEATURES, record


async def _predict(client: httpx.AsyncClient, rows: pd.DataFrame) -> list[str]:
    ids = []
    for start in range(0, len(rows), 50):
        chunk = rows.iloc[start : start + 50]
        answer = await client.post(
            "/v1/models/income/predict",
            json={"instances": [record(r) for _, r in chunk[FEATURES].iterrows()]},
        )
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["request_id"])
    return ids


async def _label(client: httpx.AsyncClient, ids: list[str], rows: pd.DataFrame) -> None:
    items = [
        {"request_id": rid, "row": i, "label": rows["income"].iloc[n * 50 + i]}
        for n, rid in enumerate(ids)
        for i in range(min(50, len(rows) - n * 50))
    ]
    answer = await client.post("/v1/models/income/feedback", json=items)
    assert answer.json()["stored"] == len(items)


async def test_an_admin_run_computes_windows_the_route_and_metrics_show(
    make_client: Any, adult_rows: pd.DataFrame
) -> None:
    rows = adult_rows.head(600)
    async with make_client(monitor_interval_s=0, monitor_reference_events=200) as client:
        ids = await _predict(client, rows)
        await _label(client, ids, rows)
        run = await client.post("/v1/admin/monitor/run", json={"model": "income"})
        assert run.status_code == 200, run.text
        body = run.json()
        assert not body["errors"]
        assert [w["model"] for w in body["windows"]] == ["income"]
        assert set(body["windows"][0]["records"]) == {"drift", "quality"}

        shown = (await client.get("/v1/models/income/monitor")).json()
        quality = shown["quality"][0]["payload"]["overall"]
        assert quality["n"] == 600
        assert quality["n_labeled"] == 600
        assert 0.6 < quality["metrics"]["accuracy"] <= 1.0
        assert shown["drift"][0]["summary"]

        metrics = (await client.get("/metrics")).text
        assert 'aweigh_monitor{metric="quality.accuracy",model="income",version="1"}' in metrics
        assert 'aweigh_alerts_firing{severity="warning"}' in metrics


async def test_the_schedule_runs_a_pass_after_enough_new_predictions(
    make_client: Any, adult_rows: pd.DataFrame, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aweigh.serving import monitoring

    monkeypatch.setattr(monitoring, "MIN_GAP_S", 0.0)  # not a minute between passes here
    async with make_client(
        monitor_interval_s=3600, monitor_every_events=100, monitor_reference_events=100
    ) as client:
        await _predict(client, adult_rows.head(150))
        for _ in range(150):  # the schedule checks every few seconds
            if registry.store.monitor_records("income", kind="drift"):
                break
            await asyncio.sleep(0.1)
    assert registry.store.monitor_records("income", kind="drift")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/models/income/monitor?limit=0", 422),
        ("/v1/models/income/monitor?version=x", 422),
        ("/v1/models/bad%20name/monitor", 422),
    ],
)
async def test_bad_monitor_queries_name_the_problem(
    client: httpx.AsyncClient, path: str, code: int
) -> None:
    answer = await client.get(path)
    assert answer.status_code == code
    assert answer.json()["error"]["message"]


async def test_a_malformed_admin_run_body_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/admin/monitor/run", json={"model": "income", "x": 1})
    assert answer.status_code == 422
    assert "model" in answer.json()["error"]["message"]


async def test_a_model_without_traffic_has_empty_monitor_history(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/v1/models/income/monitor")).json()
    assert body["drift"] == []
    assert body["alerts"] == []


async def test_an_admin_run_of_one_named_window_returns_its_payloads(
    make_client: Any, adult_rows: pd.DataFrame
) -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC) - timedelta(seconds=1)
    async with make_client(monitor_interval_s=0, monitor_reference_events=100) as client:
        await _predict(client, adult_rows.head(200))
        end = datetime.now(UTC) + timedelta(seconds=1)
        window = {
            "model": "income",
            "version": 1,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        body = (await client.post("/v1/admin/monitor/run", json=window)).json()
        [only] = body["windows"]
        assert only["rows"] == 200
        assert only["payloads"]["quality"]["overall"]["n"] == 200
        bad = await client.post("/v1/admin/monitor/run", json={**window, "start": "yesterday"})
        assert bad.status_code == 422
        assert "ISO 8601" in bad.json()["error"]["message"]
