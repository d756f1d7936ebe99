"""The records API in process: answers, references, request ids, and every bad input."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.serving.conftest import FEATURES, record


async def test_predicts_records_with_probabilities_and_labels(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame, income_pipeline: Any
) -> None:
    rows = adult_rows[FEATURES].head(25)
    response = await client.post(
        "/v1/models/income/predict", json={"instances": [record(r) for _, r in rows.iterrows()]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model"], body["version"]) == ("income", 1)
    assert body["classes"] == ["<=50K", ">50K"]
    assert body["predictions"] == list(income_pipeline.predict(rows))
    np.testing.assert_allclose(body["probabilities"], income_pipeline.predict_proba(rows))
    assert response.headers["x-request-id"] == body["request_id"]


async def test_predicts_columnar_inputs(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame, income_pipeline: Any
) -> None:
    rows = adult_rows[FEATURES].iloc[100:110]
    columns = {c: [record(r)[c] for _, r in rows.iterrows()] for c in FEATURES}
    body = (await client.post("/v1/models/income/predict", json={"inputs": columns})).json()
    assert body["predictions"] == list(income_pipeline.predict(rows))


async def test_version_and_alias_query_parameters_pick_the_version(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    one = {"instances": [record(adult_rows[FEATURES].iloc[0])]}
    for query, version in (("?version=2", 2), ("?alias=challenger", 2), ("?version=1", 1), ("", 1)):
        body = (await client.post(f"/v1/models/income/predict{query}", json=one)).json()
        assert body["version"] == version, query


async def test_a_client_request_id_is_kept_and_a_hostile_one_replaced(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    one = {"instances": [record(adult_rows[FEATURES].iloc[0])]}
    kept = await client.post(
        "/v1/models/income/predict", json=one, headers={"X-Request-ID": "order-7:retry.2"}
    )
    assert kept.headers["x-request-id"] == "order-7:retry.2"
    assert kept.json()["request_id"] == "order-7:retry.2"
    for hostile in ("x" * 500, "a b", "<script>"):
        replaced = await client.post(
            "/v1/models/income/predict", json=one, headers={"X-Request-ID": hostile}
        )
        assert replaced.headers["x-request-id"] != hostile
        assert len(replaced.headers["x-request-id"]) == 32


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()["error"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    for raw in (b"{not json", b"", b"\xff\xfe", b"[1, 2"):
        response = await client.post(
            "/v1/models/income/predict", content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, raw
        assert _error(response)["code"] == "malformed_request"


async def test_a_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    big = b'{"instances": [' + b'{"age": 1},' * 10_000 + b'{"age": 1}]}'
    response = await client.post("/v1/models/income/predict", content=big)
    assert response.status_code == 413
    assert "limit" in _error(response)["message"]

    async def chunks() -> Any:  # no content-length: the limit holds while streaming
        for _ in range(100):
            yield b" " * 1024

    streamed = await client.post("/v1/models/income/predict", content=chunks())
    assert streamed.status_code == 413


async def test_missing_and_unknown_columns_are_named_per_row(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    good = record(adult_rows[FEATURES].iloc[0])
    no_age = {k: v for k, v in good.items() if k != "age"}
    extra = {**good, "zipcode": "02139"}
    response = await client.post(
        "/v1/models/income/predict", json={"instances": [good, no_age, extra]}
    )
    assert response.status_code == 422
    errors = _error(response)["details"]["errors"]
    assert {"row": 1, "fields": ["age"], "error": "missing"} in errors
    assert {"row": 2, "fields": ["zipcode"], "error": "unknown column"} in errors


async def test_values_of_the_wrong_type_are_named_by_field_and_row(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    good = record(adult_rows[FEATURES].iloc[0])
    bad = [
        good,
        {**good, "age": "forty"},
        {**good, "sex": 1, "hours_per_week": True},
        {**good, "capital_gain": [1]},
    ]
    response = await client.post("/v1/models/income/predict", json={"instances": bad})
    assert response.status_code == 422
    error = _error(response)
    named = {(e["row"], e["column"]) for e in error["details"]["errors"]}
    assert named == {(1, "age"), (2, "sex"), (2, "hours_per_week"), (3, "capital_gain")}
    assert error["details"]["rejected_rows"] == [1, 2, 3]
    assert "'forty'" in str(error["details"]["errors"])


async def test_values_outside_the_contract_are_rejected_with_the_rule(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    good = record(adult_rows[FEATURES].iloc[0])
    response = await client.post(
        "/v1/models/income/predict", json={"instances": [good, {**good, "age": 999}]}
    )
    assert response.status_code == 422
    error = _error(response)
    (violation,) = error["details"]["errors"]
    assert (violation["row"], violation["column"], violation["rule"], violation["value"]) == (
        1,
        "age",
        "max",
        999,
    )
    assert "999" in error["message"]
    metrics = (await client.get("/metrics")).text
    assert (
        'aweigh_contract_violations_total{column="age",model="income",policy="reject",'
        'rule="max",version="1"} 1.0'
    ) in metrics


@pytest.mark.parametrize(
    "body",
    [
        {"instances": []},
        {"inputs": {}},
        {"instances": "rows"},
        {"rows": []},
        [1, 2],
        "x",
        {"instances": [1, 2]},
        {"inputs": {"age": [1, 2], "sex": ["M"]}},
        {"instances": [{}], "inputs": {}},
        {"inputs": {"age": 3}},
        {"instances": [{}], "subject_id": 5},
    ],
)
async def test_bodies_of_the_wrong_shape_are_a_422_that_says_what_to_send(
    client: httpx.AsyncClient, body: Any
) -> None:
    response = await client.post("/v1/models/income/predict", json=body)
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid_input"


async def test_unknown_models_and_versions_are_404(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    one = {"instances": [record(adult_rows[FEATURES].iloc[0])]}
    for url, code in (
        ("/v1/models/churn/predict", "model_not_found"),
        ("/v1/models/income/predict?version=9", "version_not_found"),
        ("/v1/models/income/predict?alias=canary", "alias_not_found"),
    ):
        response = await client.post(url, json=one)
        assert response.status_code == 404, url
        assert _error(response)["code"] == code
    bad_ref = await client.post("/v1/models/income/predict?version=abc", json=one)
    assert bad_ref.status_code == 422


async def test_an_exception_inside_the_model_is_a_500_without_internals(
    client: httpx.AsyncClient, adult_rows: pd.DataFrame
) -> None:
    row = record(adult_rows[FEATURES].iloc[0])
    crash = await client.post("/v1/models/fragile/predict", json={"instances": [row, row]})
    assert crash.status_code == 500
    error = _error(crash)
    assert error["code"] == "prediction_failed"
    assert "secret internal detail" not in crash.text
    assert "Traceback" not in crash.text
    fine = await client.post("/v1/models/fragile/predict", json={"instances": [row]})
    assert fine.status_code == 200
    assert fine.json()["predictions"] in (["old"], ["young"])


async def test_a_model_that_fails_to_load_is_a_503_while_others_serve(
    make_client: Any, registry: Any, adult_rows: pd.DataFrame
) -> None:
    from pathlib import Path

    version = registry.resolve("income/2")
    path = Path(registry.artifacts.location(version.sha256))
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    one = {"instances": [record(adult_rows[FEATURES].iloc[0])]}
    async with make_client() as client:
        broken = await client.post("/v1/models/income/predict?version=2", json=one)
        assert broken.status_code == 503
        assert "does not match its registered sha256" in _error(broken)["message"]
        ok = await client.post("/v1/models/fragile/predict", json=one)
        assert ok.status_code == 200
        ready = (await client.get("/readyz")).json()
        states = {(m["model"], m["version"]): m["state"] for m in ready["models"]}
        assert states[("income", 2)] == "failed"
