"""The Open Inference Protocol (KServe V2) in process: health, metadata, infer."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd

from tests.serving.conftest import FEATURES, record


async def test_health_and_server_metadata(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v2/health/live")).status_code == 200
    assert (await client.get("/v2/health/ready")).status_code == 200
    meta = (await client.get("/v2")).json()
    assert meta["name"] == "aweigh"


async def test_model_metadata_lists_typed_inputs_and_outputs(client: httpx.AsyncClient) -> None:
    meta = (await client.get("/v2/models/income")).json()
    assert meta["name"] == "income"
    inputs = {i["name"]: i["datatype"] for i in meta["inputs"]}
    assert inputs == {
        "age": "INT64",
        "workclass": "BYTES",
        "education_num": "INT64",
        "sex": "BYTES",
        "hours_per_week": "INT64",
        "capital_gain": "INT64",
    }
    assert meta["outputs"] == [
        {"name": "predict", "datatype": "BYTES", "shape": [-1]},
        {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 2]},
    ]
    versioned = (await client.get("/v2/models/income/versions/2")).json()
    assert versioned["versions"] == ["2"]
    assert (await client.get("/v2/models/income/ready")).status_code == 200
    missing = await client.get("/v2/models/churn")
    assert missing.status_code == 404
    assert "churn" in missing.json()["error"]


def _tensors(rows: pd.DataFrame) -> list[dict[str, Any]]:
    types = {"workclass": "BYTES", "sex": "BYTES"}
    return [
        {
            "name": c,
            "shape": [len(rows)],
            "datatype": types.get(c, "INT64"),
            "data": [record(r)[c] for _, r in rows.iterrows()],
        }
        for c in FEATURES
    ]


async def test_infer_with_one_tensor_per_column(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame, income_pipeline: Any
) -> None:
    rows = adult_rows[FEATURES].head(7)
    response = await client.post(
        "/v2/models/income/infer", json={"id": "r1", "inputs": _tensors(rows)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model_name"], body["model_version"], body["id"]) == ("income", "1", "r1")
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["predict"]["data"] == list(income_pipeline.predict(rows))
    assert outputs["predict_proba"]["shape"] == [7, 2]
    np.testing.assert_allclose(
        np.reshape(outputs["predict_proba"]["data"], (7, 2)), income_pipeline.predict_proba(rows)
    )


async def test_infer_on_a_version_with_requested_outputs(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    rows = adult_rows[FEATURES].head(3)
    body = (
        await client.post(
            "/v2/models/income/versions/2/infer",
            json={"inputs": _tensors(rows), "outputs": [{"name": "predict"}]},
        )
    ).json()
    assert body["model_version"] == "2"
    assert [o["name"] for o in body["outputs"]] == ["predict"]


async def test_bad_tensors_get_protocol_errors(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    rows = adult_rows[FEATURES].head(2)
    good = _tensors(rows)
    cases = [
        {"inputs": good[:-1]},  # a column missing
        {"inputs": [{**good[0], "shape": [3]}, *good[1:]]},  # shape vs data
        {"inputs": [{**good[0], "data": ["a", "b"]}, *good[1:]]},  # INT64 with text
        {"inputs": good, "outputs": [{"name": "embedding"}]},  # unknown output
        {
            "inputs": [{"name": "matrix", "shape": [2, 5], "datatype": "FP64", "data": [0.0] * 10}]
        },  # wrong width
        {"inputs": "nope"},
    ]
    for body in cases:
        response = await client.post("/v2/models/income/infer", json=body)
        assert response.status_code in (400, 422), body
        assert isinstance(response.json()["error"], str)
    binary = await client.post(
        "/v2/models/income/infer", content=b"{}", headers={"Inference-Header-Content-Length": "2"}
    )
    assert binary.status_code == 400
    assert "binary_data=False" in binary.json()["error"]
