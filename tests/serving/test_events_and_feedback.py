"""Predictions become events after the reply; feedback joins them by request id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from aweigh.storage.events import ParquetEventLog
from tests.serving.conftest import FEATURES, record


async def _predict(client: httpx.AsyncClient, rows: pd.DataFrame, **extra: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/models/income/predict",
        json={"instances": [record(r) for _, r in rows.iterrows()], **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_predicted_row_becomes_an_event(
    make_client: Any, tmp_path: Path, adult_rows: pd.DataFrame
) -> None:
    rows = adult_rows[FEATURES].head(5)
    async with make_client() as client:
        body = await _predict(client, rows, subject_id="person-17")
        await _predict(client, adult_rows[FEATURES].iloc[5:6])
    log = ParquetEventLog(tmp_path / "events")
    events = log.query_frame(
        "SELECT request_id, row, model, version, output, proba, latency_ms, subject_id, "
        "inputs FROM events WHERE request_id = ? ORDER BY row",
        [body["request_id"]],
    )
    log.close()
    assert list(events["row"]) == [0, 1, 2, 3, 4]
    assert set(events["model"]) == {"income"}
    assert set(events["version"]) == {1}
    assert [o.strip('"') for o in events["output"]] == body["predictions"]
    from aweigh.bootstrap import privacy_secret
    from aweigh.privacy.redact import hash_subject
    from aweigh.settings import Settings

    secret = privacy_secret(Settings(home=tmp_path))
    assert set(events["subject_id"]) == {hash_subject(secret, "person-17")}
    assert (events["latency_ms"] > 0).all()
    assert '"age"' in events["inputs"].iloc[0]


async def test_feedback_is_matched_and_unknown_ids_are_reported(
    make_client: Any, adult_rows: pd.DataFrame
) -> None:
    async with make_client() as client:
        ids = [
            (await _predict(client, adult_rows[FEATURES].iloc[i : i + 1]))["request_id"]
            for i in range(3)
        ]
        labels = [
            {"request_id": rid, "label": label}
            for rid, label in zip(ids, adult_rows["income"].head(3), strict=True)
        ]
        answer = await client.post(
            "/v1/models/income/feedback", json=[*labels, {"request_id": "never-seen", "label": 1}]
        )
        assert answer.status_code == 200
        assert answer.json() == {
            "model": "income",
            "received": 4,
            "stored": 3,
            "unknown_request_ids": ["never-seen"],
        }
        single = await client.post(
            "/v1/models/income/feedback", json={"request_id": ids[0], "label": "<=50K"}
        )
        assert single.json()["stored"] == 1


async def test_a_label_days_later_is_matched_from_disk_by_a_new_server(
    make_client: Any, adult_rows: pd.DataFrame, tmp_path: Path
) -> None:
    async with make_client() as client:
        rid = (await _predict(client, adult_rows[FEATURES].head(1)))["request_id"]
    async with make_client() as restarted:  # a fresh process knows nothing in memory
        answer = (
            await restarted.post(
                "/v1/models/income/feedback", json={"request_id": rid, "label": ">50K"}
            )
        ).json()
    assert answer["stored"] == 1
    assert answer["unknown_request_ids"] == []
    log = ParquetEventLog(tmp_path / "events")
    joined = log.query_frame(
        "SELECT p.request_id, f.label FROM events p JOIN events f USING (request_id) "
        "WHERE p.kind = 'prediction' AND f.kind = 'feedback'"
    )
    log.close()
    assert list(joined["request_id"]) == [rid]


async def test_bad_feedback_is_refused_naming_each_problem(client: httpx.AsyncClient) -> None:
    cases = [
        [],
        {"label": 1},
        {"request_id": "a"},
        {"request_id": 5, "label": 1},
        [{"request_id": "a", "label": 1, "row": -1}],
        "text",
        {"request_id": "a", "label": 1, "extra": True},
    ]
    for body in cases:
        response = await client.post("/v1/models/income/feedback", json=body)
        assert response.status_code == 422, body
    malformed = await client.post("/v1/models/income/feedback", content=b"{oops")
    assert malformed.status_code == 400
